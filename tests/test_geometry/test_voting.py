"""Box voting's greedy grouping on mmpose6d._ext against the same rule in numpy, and the
vectorised merge against the rule written per group."""
import numpy as np
import pytest

from mmpose6d.geometry import bbox_voting, voting
from mmpose6d.geometry.boxes import box_iou


def clustered_dets(num_clusters, seed, per_cluster=8):
    """Integer boxes jittered around ``num_clusters`` faces (a multi-scale, flipped test's
    pooled detections), scores in (0.05, 1)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 1000, (num_clusters, 2))
    sizes = rng.uniform(10, 200, num_clusters)[:, None]
    base = np.c_[centres - sizes / 2, centres + sizes / 2]
    boxes = np.trunc(np.repeat(base, per_cluster, 0) +
                     rng.normal(0, 4, (num_clusters * per_cluster, 4)))
    return np.c_[boxes, rng.uniform(0.05, 1, len(boxes))]


def per_group_reference(dets, iou_thr):
    """The rule one group at a time, as the original writes it."""
    remaining = dets[:, 4].argsort()[::-1]
    merged = []
    while len(remaining):
        ious = box_iou(dets[remaining[0], None, :4], dets[remaining, :4], plus_one=True)[0]
        members = ious >= iou_thr
        if not members.any():
            remaining = remaining[1:]
            continue
        group = dets[remaining[members]]
        weights = group[:, 4] / group[:, 4].max() * ious[members]
        merged.append(np.append((group[:, :4] * weights[:, None]).sum(0) / weights.sum(),
                                (group[:, 4] * weights).sum()))
        remaining = remaining[~members]
    return np.array(merged).reshape(-1, 5)


@pytest.mark.parametrize('seed,iou_thr', [(0, 0.6), (1, 0.3), (2, 0.9)])
def test_compiled_grouping_is_the_numpy_rule(seed, iou_thr, monkeypatch):
    dets = clustered_dets(400, seed)
    dets[::97, 2] = dets[::97, 0] - 5  # some empty boxes: dropped
    dets[5, 1] = np.nan
    boxes = dets[dets[:, 4].argsort()[::-1], :4]
    assert voting._ext is not None
    group, iou = voting.voting_groups(boxes, iou_thr)
    monkeypatch.setattr(voting, '_ext', None)
    group_np, iou_np = voting.voting_groups(boxes, iou_thr)
    np.testing.assert_array_equal(group, group_np)
    np.testing.assert_array_equal(iou, iou_np)
    empty = ((boxes[:, 2] - boxes[:, 0] + 1 <= 0) | (boxes[:, 3] - boxes[:, 1] + 1 <= 0)
             | np.isnan(boxes).any(1))
    assert empty.sum() >= len(dets[::97]) + 1
    np.testing.assert_array_equal(group == -1, empty)
    assert 100 < group.max() < len(dets)


@pytest.mark.parametrize('seed', [3, 4])
def test_merge_is_the_per_group_rule(seed):
    dets = clustered_dets(1250, seed)  # 10,000 boxes
    voted, (members, group_ids, weights) = bbox_voting(dets, 0.6, return_groups=True)
    expected = per_group_reference(dets, 0.6)
    assert voted.shape == expected.shape and len(voted) > 1000
    np.testing.assert_allclose(voted, expected, rtol=1e-12, atol=1e-9)
    grouped = (dets[:, 2:4] - dets[:, :2] + 1 > 0).all(1)  # every box but the empty ones
    assert sorted(members.tolist()) == np.flatnonzero(grouped).tolist()
    assert (np.diff(group_ids) >= 0).all()
    # each group led by its highest score, weight 1
    first = np.r_[True, group_ids[1:] != group_ids[:-1]]
    np.testing.assert_array_equal(weights[first], 1.0)


def test_no_boxes_and_zero_threshold():
    out, (members, group_ids, weights) = bbox_voting(np.zeros((0, 5)), 0.6,
                                                     return_groups=True)
    assert out.shape == (0, 5) and len(members) == len(group_ids) == len(weights) == 0
    dets = np.array([[0, 0, 10, 10, 0.9], [100, 100, 110, 110, 0.5]])
    assert len(bbox_voting(dets, 0.0)) == 1  # IoU >= 0: one group of everything
