"""Box voting, the merge step of img2pose's WIDER FACE test-time augmentation.

numpy in, numpy out (the rule's exception, as :mod:`.pnp`): a greedy grouping whose order
follows numpy's sort, as the original. The grouping runs on ``mmpose6d._ext`` (one
vectorised pass over the ungrouped boxes per group), the merge in one vectorised step.
"""
import numpy as np
import torch

from .boxes import box_iou

try:
    from mmpose6d import _ext
except ImportError:  # not compiled: the same grouping in numpy, one group per step
    _ext = None


def voting_groups(boxes, iou_thr):
    """The greedy groups of boxes (N,4) given in voting order: the first box not yet grouped
    leads a group of every ungrouped box whose IoU with it (``+1`` pixel areas) is >=
    ``iou_thr``; a box that does not group with itself (empty, NaN) is dropped. Returns
    each box's group (N,) (-1: dropped; groups numbered in leader order) and its IoU with
    its leader (N,)."""
    boxes = np.ascontiguousarray(boxes, dtype=np.float64).reshape(-1, 4)
    if _ext is not None:
        group, iou = _ext.box_voting_groups(torch.from_numpy(boxes), float(iou_thr))
        return group.numpy(), iou.numpy()
    group, iou = np.full(len(boxes), -1), np.zeros(len(boxes))
    remaining, groups = np.arange(len(boxes)), 0
    while len(remaining):
        ious = box_iou(boxes[remaining[0], None], boxes[remaining], plus_one=True)[0]
        members = ious >= iou_thr
        if not members[0]:  # no group, even with itself
            remaining = remaining[1:]
            continue
        group[remaining[members]], iou[remaining[members]] = groups, ious[members]
        groups += 1
        remaining = remaining[~members]
    return group, iou


def bbox_voting(boxes_scores, iou_thr=0.6, return_groups=False):
    """Merge boxes+scores (N,5) by voting -> (M,5), highest-scoring group first.

    Take the best remaining box, group every box with IoU >= ``iou_thr`` to it
    (:func:`voting_groups`), weight each by ``(score / group max score) * IoU``; the merged
    box is the weighted mean, its score the sum of ``score * weight``. With
    ``return_groups``, also ``(members, group_ids, weights)``: flat (K,) arrays of each
    member's index into the input, its merged box's row and its weight, grouped by merged
    box and in voting order within each, so callers can merge per-box attributes (poses)
    alike in one vectorised step.
    """
    dets = np.asarray(boxes_scores, dtype=np.float64).reshape(-1, 5)
    order = dets[:, 4].ravel().argsort()[::-1]
    group, iou = voting_groups(dets[order, :4], iou_thr)
    grouped = np.flatnonzero(group >= 0)
    grouped = grouped[np.argsort(group[grouped], kind='stable')]
    members, group_ids = order[grouped], group[grouped]
    num_groups = int(group.max()) + 1 if len(grouped) else 0
    scores = dets[members, 4]
    starts = np.flatnonzero(np.r_[True, group_ids[1:] != group_ids[:-1]]) \
        if len(grouped) else np.zeros(0, int)
    best = np.maximum.reduceat(scores, starts) if len(grouped) else np.zeros(0)
    weights = scores / best[group_ids] * iou[grouped]
    total = np.bincount(group_ids, weights, num_groups)
    boxes = np.stack([np.bincount(group_ids, weights * dets[members, k], num_groups)
                      for k in range(4)], 1).reshape(-1, 4) / total[:, None]
    out = np.c_[boxes, np.bincount(group_ids, scores * weights, num_groups)]
    return (out, (members, group_ids, weights)) if return_groups else out
