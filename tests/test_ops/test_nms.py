"""mmpose6d.ops.batched_nms against torchvision's rule, written out in numpy."""
import numpy as np
import pytest
import torch
from mmcv.ops import batched_nms as mmcv_batched_nms

from mmpose6d.ops import batched_nms

NMS = dict(type='nms', iou_threshold=0.4)


def reference_nms(boxes, scores, threshold):
    """torchvision's CPU nms: stable descending score order; a box is suppressed by a kept
    earlier box when IoU (in the boxes' dtype) > threshold (a double)."""
    order = torch.sort(scores, descending=True, stable=True)[1].numpy()
    b = boxes.numpy()[order]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    zero = b.dtype.type(0)
    suppressed = np.zeros(len(b), bool)
    keep = []
    for i in range(len(b)):
        if suppressed[i]:
            continue
        keep.append(order[i])
        later = slice(i + 1, None)
        w = np.maximum(zero, np.minimum(b[i, 2], b[later, 2]) - np.maximum(b[i, 0], b[later, 0]))
        h = np.maximum(zero, np.minimum(b[i, 3], b[later, 3]) - np.maximum(b[i, 1], b[later, 1]))
        inter = w * h
        suppressed[later] |= (inter / (area[i] + area[later] - inter)).astype(float) > threshold
    return keep


def reference_batched_nms(boxes, scores, groups, threshold):
    """torchvision's batched_nms above 1000 boxes: each group alone, then the kept boxes in
    index order sorted by score."""
    kept = torch.zeros(len(boxes), dtype=torch.bool)
    for group in groups.unique():
        members = (groups == group).nonzero()[:, 0]
        kept[members[reference_nms(boxes[members], scores[members], threshold)]] = True
    keep = kept.nonzero()[:, 0]
    return keep[scores[keep].sort(descending=True, stable=True)[1]]


def random_boxes(num, groups, seed, dtype=torch.float32, tied=False):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(num, 2, generator=g) * 500
    wh = torch.rand(num, 2, generator=g) * 80 + 1
    scores = torch.rand(num, generator=g)
    if tied:  # many equal scores: the stable order decides
        scores = (scores * 20).floor() / 20
    return (torch.cat([xy, xy + wh], 1).to(dtype), scores.to(dtype),
            torch.randint(0, groups, (num, ), generator=g))


@pytest.mark.parametrize('seed,dtype,tied', [(0, torch.float32, False),
                                             (1, torch.float32, True),
                                             (2, torch.float64, False)])
def test_groups_match_torchvision_rule(seed, dtype, tied):
    boxes, scores, groups = random_boxes(6000, 5, seed, dtype, tied)
    keep = batched_nms(boxes, scores, groups, NMS)
    expected = reference_batched_nms(boxes, scores, groups, 0.4)
    assert 1000 < len(keep) < 6000
    assert torch.equal(keep, expected)
    assert keep.dtype == torch.long


def test_a_threshold_tie_follows_torchvision():
    """IoU exactly 0.4 in float32 is above the double 0.4 (0.4f > 0.4): suppressed, as in
    torchvision (mmcv compares with 0.4f and keeps it)."""
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 4., 10.]])  # IoU 40 / 100 = 0.4f
    assert float(np.float32(0.4)) > 0.4
    scores = torch.tensor([0.9, 0.8])
    for repeat in (1, 600):  # below and above the coordinate trick's 1000 boxes
        offsets = torch.arange(repeat).repeat_interleave(2)[:, None] * 20.
        many = (boxes.repeat(repeat, 1) + offsets)
        keep = batched_nms(many, scores.repeat(repeat), torch.zeros(2 * repeat, dtype=int),
                           NMS)
        assert len(keep) == repeat and (keep % 2 == 0).all()


def test_few_boxes_use_the_coordinate_trick():
    """Up to 1000 boxes the groups are shifted apart and suppressed in one NMS: the groups
    stay independent, and the result is mmcv's (which shifts too)."""
    boxes, scores, groups = random_boxes(900, 3, 3)
    boxes[groups == 1] = boxes[groups == 0][:int((groups == 1).sum())]
    keep = batched_nms(boxes, scores, groups, NMS)
    expected = mmcv_batched_nms(boxes, scores, groups, NMS)[1]
    assert torch.equal(keep, expected)
    assert torch.equal(keep, reference_batched_nms(boxes, scores, groups, 0.4))


def test_empty_and_other_devices():
    empty = batched_nms(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=int), NMS)
    assert empty.shape == (0, ) and empty.dtype == torch.long
    # a config that is not plain NMS runs on mmcv
    boxes, scores, groups = random_boxes(50, 2, 4)
    soft = dict(type='soft_nms', iou_threshold=0.4)
    assert torch.equal(batched_nms(boxes, scores, groups, soft),
                       mmcv_batched_nms(boxes, scores, groups, soft)[1])


def test_threads_give_the_same_result():
    boxes, scores, groups = random_boxes(8000, 5, 5)
    threads = torch.get_num_threads()
    try:
        results = []
        for n in (1, 2, 4):
            torch.set_num_threads(n)
            results.append(batched_nms(boxes, scores, groups, NMS))
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(results[0], other) for other in results[1:])
