"""Box voting, the merge step of img2pose's WIDER FACE test-time augmentation.

numpy in, numpy out (the rule's exception, as :mod:`.pnp`): a greedy loop whose order
follows numpy's sort, as the original.
"""
import numpy as np

from .boxes import box_iou


def bbox_voting(boxes_scores, iou_thr=0.6, return_groups=False):
    """Merge boxes+scores (N,5) by voting -> (M,5), highest-scoring group first.

    Take the best remaining box, group every box with IoU >= ``iou_thr`` to it, weight each
    by ``(score / group max score) * IoU``; the merged box is the weighted mean, its score the
    sum of ``score * weight``. With ``return_groups``, also ``(members, group_ids, weights)``:
    flat (K,) arrays of each member's index into the input, its merged box's row and its
    weight, so callers can merge per-box attributes (poses) alike in one vectorised step.
    """
    dets = np.asarray(boxes_scores, dtype=np.float64).reshape(-1, 5)
    remaining = dets[:, 4].ravel().argsort()[::-1]
    merged, groups = [], []
    while len(remaining):
        ious = box_iou(dets[remaining[0], None, :4], dets[remaining, :4], plus_one=True)[0]
        members = ious >= iou_thr
        if not members.any():  # a degenerate (NaN) box never groups, even with itself
            remaining = remaining[1:]
            continue
        index = remaining[members]
        group = dets[index]
        weights = group[:, 4] / group[:, 4].max() * ious[members]
        box = (group[:, :4] * weights[:, None]).sum(0) / weights.sum()
        merged.append(np.append(box, (group[:, 4] * weights).sum()))
        groups.append((index, weights))
        remaining = remaining[~members]
    out = np.array(merged).reshape(-1, 5)
    if not return_groups:
        return out
    sizes = [len(index) for index, _ in groups]
    members = np.concatenate([index for index, _ in groups]) if groups else np.zeros(0, int)
    weights = np.concatenate([w for _, w in groups]) if groups else np.zeros(0)
    return out, (members, np.repeat(np.arange(len(groups)), sizes), weights)
