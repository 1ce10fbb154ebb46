"""Img2PoseRPNHead's proposal step: torchvision's ranking by raw logits, per level."""
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope

from mmpose6d.models import Img2PoseRPNHead


def _head():
    init_default_scope('mmpose6d')
    return Img2PoseRPNHead(
        in_channels=8, feat_channels=8,
        anchor_generator=dict(type='TorchvisionAnchorGenerator', strides=[4, 8],
                              ratios=[1.0], scales=[4]))


def _proposals(level_priors, level_logits, nms_pre=-1, max_per_img=100, min_bbox_size=0.0):
    """Proposals of priors (N_l,4) with logits (N_l,), no box deltas, one image 100 x 100."""
    cls_scores = [torch.tensor(logits, dtype=torch.float32).view(1, 1, -1)
                  for logits in level_logits]
    deltas = [torch.zeros(4, 1, len(logits)) for logits in level_logits]
    priors = [torch.tensor(p, dtype=torch.float32) for p in level_priors]
    cfg = ConfigDict(nms_pre=nms_pre, max_per_img=max_per_img, min_bbox_size=min_bbox_size,
                     nms=dict(type='nms', iou_threshold=0.4))
    return _head()._predict_by_feat_single(cls_scores, deltas, None, priors,
                                           dict(img_shape=(100, 100)), cfg)


def test_ranks_by_logits_where_sigmoids_tie():
    """sigmoid(30) == sigmoid(29) == 1.0 in float32: the logits still decide which of two
    overlapping boxes survives NMS."""
    boxes = [[10, 10, 50, 50], [11, 11, 51, 51], [60, 60, 90, 90]]
    for logits in ([29.0, 30.0, 5.0], [30.0, 29.0, 5.0]):
        assert torch.sigmoid(torch.tensor(logits[:2])).unique().tolist() == [1.0]
        result = _proposals([boxes], [logits])
        best = int(torch.tensor(logits[:2]).argmax())
        assert result.bboxes.tolist() == [boxes[best], boxes[2]]
        assert result.scores.tolist() == [1.0, torch.sigmoid(torch.tensor(5.0)).item()]
        assert result.labels.tolist() == [0, 0]


def test_top_k_and_nms_per_level_then_best_across_levels():
    level0 = [[0, 0, 20, 20], [1, 1, 21, 21], [40, 40, 60, 60], [70, 0, 90, 20]]
    level1 = [[0, 0, 20, 20], [40, 0, 99, 30]]
    # level 0 keeps its 3 best (nms_pre), NMS removes its second box; the same box on
    # another level is not suppressed by it; the 4 best by logit remain
    result = _proposals([level0, level1], [[4.0, 3.0, 2.0, 1.0], [2.5, 0.5]], nms_pre=3,
                        max_per_img=3)
    assert result.bboxes.tolist() == [[0, 0, 20, 20], [0, 0, 20, 20], [40, 40, 60, 60]]
    assert torch.allclose(result.scores.logit(), torch.tensor([4.0, 2.5, 2.0]), atol=1e-5)


def test_boxes_as_large_as_min_bbox_size_stay():
    boxes = [[10, 10, 12, 30], [40, 40, 40.9, 60], [70, 70, 90, 71]]
    result = _proposals([boxes], [[3.0, 2.0, 1.0]], min_bbox_size=1.0)
    assert result.bboxes.tolist() == [[10, 10, 12, 30], [70, 70, 90, 71]]


def test_half_precision_outputs_give_float32_proposals():
    """Under --amp the head's outputs are float16; the proposal step runs in float32, also
    above the 10,000 boxes where mmcv's batched NMS splits its input by level."""
    rng = torch.Generator().manual_seed(0)
    size = 6000
    xy = torch.rand(size, 2, generator=rng) * 900
    priors = torch.cat([xy, xy + 20 + torch.rand(size, 2, generator=rng) * 80], 1)
    logits = torch.randn(2, size, generator=rng)
    cls_scores = [level.view(1, 1, -1).half() for level in logits]
    deltas = [torch.zeros(4, 1, size, dtype=torch.float16) for _ in range(2)]
    cfg = ConfigDict(nms_pre=-1, max_per_img=1000, min_bbox_size=1e-3,
                     nms=dict(type='nms', iou_threshold=0.4))
    result = _head()._predict_by_feat_single(cls_scores, deltas, None, [priors, priors],
                                             dict(img_shape=(1000, 1000)), cfg)
    assert len(result) == 1000
    assert result.bboxes.dtype == result.scores.dtype == torch.float32
    assert (result.scores[:-1] >= result.scores[1:]).all()
