"""Box voting, the merge step of img2pose's WIDER FACE test-time augmentation."""
import numpy as np


def box_iou_plus_one(box, boxes):
    """IoU of one box (4,) with boxes (N,4) using the "+1" pixel-area convention."""
    xx1 = np.maximum(box[0], boxes[:, 0])
    yy1 = np.maximum(box[1], boxes[:, 1])
    xx2 = np.minimum(box[2], boxes[:, 2])
    yy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.maximum(0.0, xx2 - xx1 + 1) * np.maximum(0.0, yy2 - yy1 + 1)
    area = (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
    areas = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
    return inter / (area + areas - inter)


def bbox_voting(boxes_scores, iou_thr=0.6, return_groups=False):
    """Merge boxes+scores (N,5) by voting -> (M,5), highest-scoring group first.

    Take the best remaining box, group every box with IoU >= ``iou_thr`` to it, weight each
    by ``(score / group max score) * IoU``; the merged box is the weighted mean, its score the
    sum of ``score * weight``. With ``return_groups``, also the indices into the input of each
    group's members and their weights, so callers can merge per-box attributes (poses) alike.
    """
    dets = np.asarray(boxes_scores, dtype=np.float64).reshape(-1, 5)
    remaining = dets[:, 4].ravel().argsort()[::-1]
    merged, groups = [], []
    while len(remaining):
        ious = box_iou_plus_one(dets[remaining[0], :4], dets[remaining, :4])
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
    return (out, groups) if return_groups else out
