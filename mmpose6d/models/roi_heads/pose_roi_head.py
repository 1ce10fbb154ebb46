"""img2pose's RoI head: a StandardRoIHead whose box branch predicts faces and 6DoF poses."""
import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import empty_instances, unpack_gt_instances
from mmdet.structures.bbox import bbox2roi

from mmpose6d.registry import MODELS


@MODELS.register_module()
class PoseRoIHead(StandardRoIHead):
    """Samples proposals as Faster R-CNN does, then trains the pose head's score on every
    sampled RoI and its pose only on the positives (whose BatchNorm sees only faces)."""

    def _bbox_feats(self, x, rois):
        feats = self.bbox_roi_extractor(x[:self.bbox_roi_extractor.num_inputs], rois)
        return self.shared_head(feats) if self.with_shared_head else feats

    def _bbox_forward(self, x, rois):
        cls_score, pose_pred = self.bbox_head(self._bbox_feats(x, rois))
        return dict(cls_score=cls_score, bbox_pred=pose_pred)

    def loss(self, x, rpn_results_list, batch_data_samples):
        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = \
            unpack_gt_instances(batch_data_samples)
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(rpn_results, batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(
                self.bbox_sampler.sample(assign_result, rpn_results, batch_gt_instances[i],
                                         feats=[feat[i][None] for feat in x]))

        rois = bbox2roi([res.priors for res in sampling_results])
        shared = self.bbox_head.forward_shared(self._bbox_feats(x, rois))
        is_pos = torch.cat([
            torch.arange(len(res.priors), device=rois.device) < len(res.pos_priors)
            for res in sampling_results
        ])
        return self.bbox_head.loss_and_target(
            self.bbox_head.fc_cls(shared), self.bbox_head.forward_pose(shared[is_pos]),
            sampling_results, batch_gt_instances, batch_img_metas)

    def predict_bbox(self, x, batch_img_metas, rpn_results_list, rcnn_test_cfg, rescale=False):
        proposals = [res.bboxes for res in rpn_results_list]
        rois = bbox2roi(proposals)
        if rois.shape[0] == 0:
            results = empty_instances(batch_img_metas, rois.device, task_type='bbox')
            for res in results:
                res.poses = rois.new_zeros((0, 6))
            return results
        cls_scores, pose_preds = self.bbox_head(self._bbox_feats(x, rois))
        counts = [len(p) for p in proposals]
        return self.bbox_head.predict_by_feat(
            rois.split(counts), cls_scores.split(counts), pose_preds.split(counts),
            batch_img_metas, rcnn_test_cfg, rescale=rescale)
