"""MatcherAssigner: torchvision's low-quality matches, against mmdet's MaxIoUAssigner."""
import torch
from mmdet.models.task_modules.assigners import MaxIoUAssigner

from mmpose6d.models.task_modules import MatcherAssigner

# IoU of 2 ground truths (rows) with 5 priors (columns)
OVERLAPS = torch.tensor([[0.40, 0.10, 0.60, 0.00, 0.25],
                         [0.45, 0.35, 0.00, 0.20, 0.10]])
LABELS = torch.tensor([3, 7])


def test_thresholds_and_best_priors():
    result = MatcherAssigner(pos_iou_thr=0.5, neg_iou_thr=0.3).assign_wrt_overlaps(
        OVERLAPS, LABELS)
    # prior 2: IoU 0.6 >= 0.5 -> gt 0 (also gt 0's best); prior 0 (0.45) is gt 1's best ->
    # positive, gt 1; prior 1 (0.35) lies between the thresholds -> ignored; priors 3, 4
    # below 0.3 -> negative
    assert result.gt_inds.tolist() == [2, -1, 1, 0, 0]
    assert result.labels.tolist() == [7, -1, 3, -1, -1]


def test_best_prior_goes_to_the_gt_it_overlaps_most():
    """Prior 0 is gt 0's best (0.40) but overlaps gt 1 more (0.45): torchvision matches it
    to gt 1, mmdet's rule to gt 0."""
    overlaps = torch.tensor([[0.40, 0.10], [0.45, 0.50]])
    ours = MatcherAssigner(pos_iou_thr=0.7, neg_iou_thr=0.3).assign_wrt_overlaps(
        overlaps, LABELS)
    mmdet = MaxIoUAssigner(pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.0,
                           match_low_quality=True).assign_wrt_overlaps(overlaps, LABELS)
    assert ours.gt_inds.tolist() == [2, 2] and ours.labels.tolist() == [7, 7]
    assert mmdet.gt_inds.tolist() == [1, 2]


def test_without_low_quality_matches_and_without_gts():
    result = MatcherAssigner(pos_iou_thr=0.5, neg_iou_thr=0.3, match_low_quality=False)\
        .assign_wrt_overlaps(OVERLAPS, LABELS)
    assert result.gt_inds.tolist() == [-1, -1, 1, 0, 0]
    empty = MatcherAssigner(pos_iou_thr=0.5, neg_iou_thr=0.3).assign_wrt_overlaps(
        torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))
    assert empty.gt_inds.tolist() == [0, 0, 0, 0]
