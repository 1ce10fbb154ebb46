"""img2pose's RoI head: a face-score branch and a pose branch on one RoIAlign."""
import torch
import torch.nn.functional as F
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import empty_instances, unpack_gt_instances
from mmdet.structures.bbox import bbox2roi
from mmengine.structures import InstanceData

from mmpose6d.registry import MODELS

from .pose_heads.pose_head import full_precision, widened


@MODELS.register_module()
class PoseRoIHead(StandardRoIHead):
    """The original img2pose RoI heads: two branches on the same proposals.

    ``bbox_head`` scores faces (mmdet's ``Shared2FCBBoxHead`` without regression: boxes are
    never regressed) and ``pose_head`` (:class:`PoseHead`) predicts a local 6DoF pose. The
    original pools the RoIs twice with identical RoIAligns; here they are pooled once and
    fed to both branches.

    Training: Faster R-CNN's assignment and sampling (the ground-truth boxes joined to the
    proposals); the score branch learns on every sampled RoI, the pose branch only on the
    positives (its BatchNorm normalises over them). Inference: the pose branch runs only on
    the RoIs whose face score passes ``score_thr`` (the others are discarded anyway), after
    the proposals under ``min_bbox_size`` are dropped; see
    :meth:`PoseHead._predict_by_feat_single`. With ``pose_refine_steps`` > 0 in the test
    config, the pose branch then re-runs that many times on the boxes its poses project to
    (:meth:`refine_poses`); 0, the original, when absent.
    """

    def __init__(self, pose_head, **kwargs):
        super().__init__(**kwargs)
        self.pose_head = MODELS.build(pose_head)

    def _roi_feats(self, x, rois):
        feats = self.bbox_roi_extractor(x[:self.bbox_roi_extractor.num_inputs], rois)
        return self.shared_head(feats) if self.with_shared_head else feats

    def forward(self, x, rpn_results_list, batch_data_samples=None):
        """Face logits and normalised local poses of every proposal (tensor mode)."""
        feats = self._roi_feats(x, bbox2roi([res.bboxes for res in rpn_results_list]))
        return self.bbox_head(feats)[0], self.pose_head(feats)

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
        feats = self._roi_feats(x, rois)
        cls_score, _ = self.bbox_head(feats)
        losses = self.bbox_head.loss_and_target(cls_score, None, rois, sampling_results,
                                                self.train_cfg)['loss_bbox']
        # sampled RoIs are ordered positives first, image by image
        is_pos = torch.cat([
            torch.arange(len(res.priors), device=rois.device) < len(res.pos_priors)
            for res in sampling_results
        ])
        losses.update(self.pose_head.loss_and_target(
            self.pose_head(feats[is_pos]), sampling_results, batch_gt_instances,
            batch_img_metas))
        return losses

    def predict_bbox(self, x, batch_img_metas, rpn_results_list, rcnn_test_cfg, rescale=False):
        """The faces of each image, every per-face output made by
        :meth:`PoseHead.predict_by_feat`."""
        proposals = [res.bboxes for res in rpn_results_list]
        rois = bbox2roi(proposals)
        if rois.shape[0] == 0:
            return self._empty(batch_img_metas, rois)
        feats = self._roi_feats(x, rois)
        cls_score, _ = self.bbox_head(feats)
        # mmdet's class order: background last; float32 under a half-precision autocast
        scores = F.softmax(cls_score.float(), dim=-1)[:, :-1]
        min_size = rcnn_test_cfg.get('min_bbox_size', -1)
        selected = []
        for image, boxes in enumerate(proposals):
            in_image = rois[:, 0] == image
            roi_index, labels = torch.nonzero(scores[in_image] > rcnn_test_cfg.score_thr,
                                              as_tuple=True)
            if min_size >= 0:
                wh = boxes[roi_index, 2:] - boxes[roi_index, :2]
                large = (wh >= min_size).all(1)
                roi_index, labels = roi_index[large], labels[large]
            index = in_image.nonzero()[:, 0][roi_index]
            selected.append(InstanceData(bboxes=rois[index, 1:], scores=scores[index, labels],
                                         labels=labels, index=index))
        pose_pred = self.pose_head(feats[torch.cat([res.index for res in selected])])
        for _ in range(rcnn_test_cfg.get('pose_refine_steps', 0)):
            pose_pred = self.refine_poses(x, pose_pred, selected, batch_img_metas, min_size)
        return self.pose_head.predict_by_feat(pose_pred.split([len(res) for res in selected]),
                                              selected, batch_img_metas, rcnn_test_cfg,
                                              rescale=rescale)

    def refine_poses(self, x, pose_pred, selected, batch_img_metas, min_size=-1):
        """One refinement step: each face's box (``selected[i].bboxes``, updated in place)
        becomes the box its pose projects to, and the pose branch re-runs on it; returns its
        normalised poses there. The pose branch learns on RoIs anywhere around a face (IoU
        >= 0.5 with its projected box); the projected box of its first guess is a better
        centred RoI, on which its pose is closer to the truth. A face whose projected box
        cannot be a RoI (:meth:`PoseHead.usable_rois` with ``min_size``: outside the image,
        empty) keeps its box and pose."""
        head = self.pose_head
        usable = []
        with full_precision(pose_pred.device):
            for pred, res, img_meta in zip(pose_pred.split([len(res) for res in selected]),
                                           selected, batch_img_metas):
                image_wh = res.bboxes.new_tensor(img_meta['img_shape'][:2][::-1],
                                                 dtype=torch.float64)
                _, boxes = head.decode_faces(head.class_poses(widened(pred), res.labels),
                                             widened(res.bboxes), image_wh)
                boxes = boxes.to(res.bboxes.dtype)
                usable.append(head.usable_rois(boxes, min_size))
                res.bboxes = torch.where(usable[-1][:, None], boxes, res.bboxes)
        rois = bbox2roi([res.bboxes for res in selected])
        if rois.shape[0] == 0:
            return pose_pred
        refined = head(self._roi_feats(x, rois))
        return torch.where(torch.cat(usable)[:, None], refined, pose_pred.to(refined.dtype))

    def _empty(self, batch_img_metas, rois):
        results = empty_instances(batch_img_metas, rois.device, task_type='bbox')
        for res in results:
            res.poses = rois.new_zeros((0, 6))
            res.set_data(self.pose_head.face_model.face_outputs(res.poses, rois.new_ones(2)))
        return results
