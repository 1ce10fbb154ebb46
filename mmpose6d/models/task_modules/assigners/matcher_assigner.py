"""torchvision's ``Matcher`` rule (the original img2pose RPN targets) as an mmdet assigner."""
from mmdet.models.task_modules.assigners import MaxIoUAssigner

from mmpose6d.registry import TASK_UTILS


@TASK_UTILS.register_module()
class MatcherAssigner(MaxIoUAssigner):
    """``MaxIoUAssigner`` whose low-quality matches follow torchvision's ``Matcher``.

    Priors with IoU >= ``pos_iou_thr`` are positive, below ``neg_iou_thr`` negative, the
    rest ignored, as in mmdet. With ``match_low_quality``, every prior whose IoU with some
    ground truth equals that ground truth's best IoU is positive too, matched to the ground
    truth it overlaps MOST (mmdet's rule matches it to the ground truth it is best for, and
    needs ``min_pos_iou``; torchvision has no minimum).
    """

    def __init__(self, pos_iou_thr, neg_iou_thr, match_low_quality=True, **kwargs):
        super().__init__(pos_iou_thr, neg_iou_thr, min_pos_iou=0.0, match_low_quality=False,
                         **kwargs)
        self.match_best_priors = match_low_quality

    def assign_wrt_overlaps(self, overlaps, gt_labels):
        result = super().assign_wrt_overlaps(overlaps, gt_labels)
        if self.match_best_priors and overlaps.numel():
            best_for_a_gt = (overlaps == overlaps.max(dim=1, keepdim=True).values).any(0)
            # argmax over the few such priors' columns only: CPU argmax along dim 0 of the
            # whole (gts, priors) matrix costs several times its max
            matched = overlaps[:, best_for_a_gt].argmax(dim=0)
            result.gt_inds[best_for_a_gt] = matched + 1
            result.labels[best_for_a_gt] = gt_labels[matched]
        return result
