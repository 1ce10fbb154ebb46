"""Box overlap: one IoU for the metrics, the WIDER protocol, box voting and the statistics."""
import torch

from ._backend import numpy_or_torch


@numpy_or_torch
def box_iou(boxes_a, boxes_b, aligned=False, plus_one=False):
    """IoU of x1y1x2y2 boxes: (N,M) of every pair of ``boxes_a`` (N,4) and ``boxes_b`` (M,4),
    or (N,) of row-aligned pairs with ``aligned``.

    ``plus_one`` counts pixel areas as ``(x2 - x1 + 1) * (y2 - y1 + 1)``: the convention of
    img2pose's box voting and of the WIDER FACE evaluation (``docs/geometry.md``). Pairs
    that do not overlap are 0; the arithmetic runs in the WIDER port's order, so its values
    are bit-identical.
    """
    if not aligned:
        boxes_a, boxes_b = boxes_a[:, None, :], boxes_b[None, :, :]
    extra = 1.0 if plus_one else 0.0
    iw = torch.minimum(boxes_a[..., 2], boxes_b[..., 2]) - \
        torch.maximum(boxes_a[..., 0], boxes_b[..., 0]) + extra
    ih = torch.minimum(boxes_a[..., 3], boxes_b[..., 3]) - \
        torch.maximum(boxes_a[..., 1], boxes_b[..., 1]) + extra
    area_a = (boxes_a[..., 2] - boxes_a[..., 0] + extra) * (boxes_a[..., 3] - boxes_a[..., 1] +
                                                            extra)
    area_b = (boxes_b[..., 2] - boxes_b[..., 0] + extra) * (boxes_b[..., 3] - boxes_b[..., 1] +
                                                            extra)
    overlap = (iw > 0) & (ih > 0)
    inter = torch.where(overlap, iw * ih, torch.zeros_like(iw))
    iou = inter / (area_a + area_b - inter)
    return torch.where(overlap, iou, torch.zeros_like(iou))
