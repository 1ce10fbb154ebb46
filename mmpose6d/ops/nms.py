"""Batched NMS on ``mmpose6d._ext``: torchvision's ``batched_nms``, which the original
img2pose runs, with the groups on parallel threads and a vectorised overlap test."""
import torch
from mmcv.ops import batched_nms as mmcv_batched_nms

from .compiled import ext, ext_available

#: torchvision's ``batched_nms`` shifts the boxes of each group apart and runs one NMS up to
#: this many boxes on CPU, and runs the groups one by one above it
COORDINATE_TRICK_MAX_BOXES = 1000


def batched_nms(boxes, scores, idxs, nms_cfg):
    """Indices of the boxes (N, 4) kept by NMS within each group ``idxs`` (N,), by
    descending score, as ``mmcv.ops.batched_nms(...)[1]`` returns them.

    CPU float boxes with ``nms_cfg`` ``type='nms'`` run on ``mmpose6d._ext``, with
    torchvision's rule: above :data:`COORDINATE_TRICK_MAX_BOXES` boxes each group on its
    own, below it the groups shifted apart by ``idxs * (boxes.max() + 1)`` in one NMS.
    mmcv's switches at 10,000 boxes, so between the two its shifted coordinates can round
    an IoU at the threshold differently. Other cases run mmcv's ``batched_nms``."""
    cfg = dict(nms_cfg)
    if not (cfg.pop('type', 'nms') == 'nms' and not cfg.pop('class_agnostic', False)
            and set(cfg) <= {'iou_threshold', 'split_thr'} and boxes.device.type == 'cpu'
            and boxes.dtype in (torch.float32, torch.float64) and scores.dtype == boxes.dtype
            and ext_available()):
        return mmcv_batched_nms(boxes, scores, idxs, nms_cfg)[1]
    groups = idxs.long()
    if len(boxes) <= COORDINATE_TRICK_MAX_BOXES and len(boxes):
        boxes = boxes + (idxs.to(boxes) * (boxes.max() + 1))[:, None]
        groups = torch.zeros_like(groups)
    keep = ext.nms_groups(boxes.contiguous(), scores.contiguous(), groups,
                          float(cfg['iou_threshold'])).nonzero()[:, 0]
    return keep[scores[keep].sort(descending=True, stable=True)[1]]
