"""img2pose's RoI box head: face score for every RoI, normalised local 6DoF pose for faces."""
import torch
import torch.nn.functional as F
from mmcv.ops import batched_nms
from mmdet.models.roi_heads.bbox_heads import ConvFCBBoxHead
from mmengine.structures import InstanceData
from torch import nn

from mmpose6d.geometry.pose import (local_intrinsics, pose_bbox_to_full_image,
                                    pose_full_image_to_bbox, pose_to_bbox, project_points_t)
from mmpose6d.registry import MODELS
from ...utils import load_array


@MODELS.register_module()
class PoseBBoxHead(ConvFCBBoxHead):
    """Two shared FC layers (torchvision's ``TwoMLPHead``), then a face/background classifier
    and a pose branch ``Linear(1024, 256) -> BN -> ReLU -> Linear(256, 6 * num_classes)``.

    Boxes are not regressed: targets are the ground-truth global poses moved into each
    proposal's frame and normalised with ``pose_mean``/``pose_stddev``; at inference the
    box of a face is the projection of the 68-point reference with its predicted pose.

    Args:
        pose_mean, pose_stddev: 6 numbers each, or a ``.npy`` file (the LMDB tool's output).
        reference68, reference5: 3D reference points (arrays or ``.npy`` files); the 68 make
            boxes, the 5 the points loss.
        bbox_x_factor, bbox_y_factor, expand_forehead: the box-from-pose factors.
        loss_dof_weight, loss_points_weight: weights of the pose MSE and the points L1.
    """

    def __init__(self,
                 pose_mean,
                 pose_stddev,
                 reference68,
                 reference5,
                 bbox_x_factor=1.1,
                 bbox_y_factor=1.1,
                 expand_forehead=0.3,
                 pose_hidden_channels=256,
                 loss_dof_weight=1.0,
                 loss_points_weight=1.0,
                 **kwargs):
        kwargs.setdefault('num_shared_fcs', 2)
        super().__init__(with_reg=False, **kwargs)
        self.pose_branch = nn.Sequential(
            nn.Linear(self.fc_out_channels, pose_hidden_channels),
            nn.BatchNorm1d(pose_hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(pose_hidden_channels, 6 * self.num_classes))
        self.register_buffer('pose_mean', torch.as_tensor(
            load_array(pose_mean, (6, ), 'pose_mean'), dtype=torch.float32))
        self.register_buffer('pose_stddev', torch.as_tensor(
            load_array(pose_stddev, (6, ), 'pose_stddev'), dtype=torch.float32))
        self.register_buffer('reference68', torch.as_tensor(
            load_array(reference68, (68, 3), 'reference68'), dtype=torch.float32))
        self.register_buffer('reference5', torch.as_tensor(
            load_array(reference5, (5, 3), 'reference5'), dtype=torch.float32))
        self.bbox_factors = dict(x_factor=bbox_x_factor, y_factor=bbox_y_factor,
                                 forehead=expand_forehead)
        self.loss_dof_weight = loss_dof_weight
        self.loss_points_weight = loss_points_weight

    def forward_shared(self, x):
        """RoI features (N,C,7,7) -> the shared 1024-d representation."""
        x = x.flatten(1)
        for fc in self.shared_fcs:
            x = self.relu(fc(x))
        return x

    def forward_pose(self, shared):
        """Normalised local poses (N, 6 * num_classes) of shared features.

        In training, BatchNorm cannot estimate batch statistics from fewer than two RoIs
        (an image with one face, say): those batches use its running statistics instead.
        """
        norm = self.pose_branch[1]
        if not (self.training and len(shared) < 2):
            return self.pose_branch(shared)
        norm.eval()
        try:
            return self.pose_branch(shared)
        finally:
            norm.train()

    def forward(self, x):
        """Class scores and normalised local poses of every RoI (inference)."""
        shared = self.forward_shared(x)
        return self.fc_cls(shared), self.forward_pose(shared)

    def denormalize(self, poses):
        return poses * self.pose_stddev + self.pose_mean

    def _class_poses(self, poses, labels):
        """The 6 numbers of each RoI's class out of (N, 6 * num_classes)."""
        return poses.view(len(poses), self.num_classes, 6)[torch.arange(len(poses)), labels]

    def loss_and_target(self, cls_score, pos_poses, sampling_results, batch_gt_instances,
                        batch_img_metas):
        """``loss_cls`` over every sampled RoI; ``loss_dof`` and ``loss_points`` over the
        positives, whose pose predictions ``pos_poses`` come in sampling order."""
        labels = torch.cat([
            torch.cat([res.pos_gt_labels,
                       res.pos_gt_labels.new_full((len(res.neg_priors), ), self.num_classes)])
            for res in sampling_results
        ])
        loss_cls = self.loss_cls(cls_score, labels, avg_factor=max(len(labels), 1))

        proposals = torch.cat([res.pos_priors for res in sampling_results])
        num_pos = len(proposals)
        if num_pos == 0:
            zero = pos_poses.sum() * 0 + cls_score.sum() * 0
            return dict(loss_cls=loss_cls, loss_dof=zero, loss_points=zero)
        gt_poses = torch.cat([
            gt.poses[res.pos_assigned_gt_inds]
            for res, gt in zip(sampling_results, batch_gt_instances)
        ])
        image_wh = torch.cat([
            proposals.new_tensor(meta['img_shape'][::-1]).expand(len(res.pos_priors), 2)
            for res, meta in zip(sampling_results, batch_img_metas)
        ])
        with torch.no_grad():
            target_local = pose_full_image_to_bbox(gt_poses.double(), image_wh.double(),
                                                   proposals.double()).float()
        pred = self._class_poses(pos_poses, torch.cat([r.pos_gt_labels
                                                       for r in sampling_results]))
        target = (target_local - self.pose_mean) / self.pose_stddev
        loss_dof = F.mse_loss(pred, target, reduction='sum') / num_pos

        k_local = local_intrinsics(proposals)
        pred_points = project_points_t(self.reference5, self.denormalize(pred), k_local)
        target_points = project_points_t(self.reference5, target_local, k_local)
        loss_points = F.l1_loss(pred_points, target_points)
        return dict(loss_cls=loss_cls, loss_dof=self.loss_dof_weight * loss_dof,
                    loss_points=self.loss_points_weight * loss_points)

    def predict_by_feat(self, rois, cls_scores, pose_preds, batch_img_metas, rcnn_test_cfg,
                        rescale=False):
        """Per image: score filter, local -> global pose, box from pose, NMS on those boxes."""
        return [
            self._predict_single(r[:, 1:], s, p, meta, rcnn_test_cfg, rescale)
            for r, s, p, meta in zip(rois, cls_scores, pose_preds, batch_img_metas)
        ]

    def _predict_single(self, proposals, cls_score, pose_pred, img_meta, cfg, rescale):
        scores = F.softmax(cls_score, dim=-1)[:, :-1]
        keep_roi, labels = torch.nonzero(scores > cfg.score_thr, as_tuple=True)
        scores = scores[keep_roi, labels]
        proposals = proposals[keep_roi]
        local = self.denormalize(self._class_poses(pose_pred[keep_roi], labels))
        image_wh = proposals.new_tensor(img_meta['img_shape'][::-1])
        poses = pose_bbox_to_full_image(local, image_wh, proposals)
        boxes = pose_to_bbox(poses, image_wh, self.reference68, **self.bbox_factors)
        if len(boxes):
            _, keep = batched_nms(boxes, scores, labels, cfg.nms)
            keep = keep[:cfg.max_per_img]
        else:
            keep = labels.new_zeros(0)
        results = InstanceData(bboxes=boxes[keep], scores=scores[keep], labels=labels[keep],
                               poses=poses[keep])
        if rescale and len(results):
            # a global pose does not change with a uniform resize (f scales with w + h), so
            # the box in the original image is the same pose projected there
            ori_wh = proposals.new_tensor(img_meta['ori_shape'][::-1])
            results.bboxes = pose_to_bbox(results.poses, ori_wh, self.reference68,
                                          **self.bbox_factors)
        return results
