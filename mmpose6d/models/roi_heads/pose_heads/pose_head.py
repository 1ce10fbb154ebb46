"""img2pose's pose branch: a normalised local 6DoF pose per RoI, and the faces it makes."""
import contextlib

import torch
import torch.nn.functional as F
from mmcv.ops import batched_nms
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import nn

from mmpose6d.geometry import (image_intrinsics, local_intrinsics, pose_bbox_to_full_image,
                               pose_full_image_to_bbox, pose_to_bbox, project_points,
                               rotvec_to_euler)
from mmpose6d.registry import MODELS
from mmpose6d.utils.array_io import load_array


def full_precision(device):
    """Autocast off on ``device``: the pose losses project with focal lengths of hundreds to
    thousands of pixels, beyond what float16 / bfloat16 resolve (``--amp``)."""
    if device.type in ('cpu', 'cuda'):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


@MODELS.register_module()
class PoseHead(BaseModule):
    """The original's DoF branch: two FC layers (torchvision's ``TwoMLPHead``, 12544-1024-1024)
    and ``Linear(1024, 256) -> BatchNorm1d -> ReLU -> Linear(256, 6 * num_classes)``.

    It predicts, per RoI, the pose relative to the RoI box (box intrinsics ``f = bw + bh``,
    principal point at the box centre), normalised with ``pose_mean`` / ``pose_stddev``.
    Training targets are the ground-truth global poses moved into each positive RoI's frame;
    at inference the local pose goes back to the image and the face box is the projection
    of the 68-point reference with it (``docs/geometry.md``).

    Args:
        in_channels, roi_feat_size: RoI feature shape (256 x 7 x 7).
        fc_out_channels, pose_hidden_channels: 1024 and 256 in the original.
        num_classes: face classes (1); the output has 6 numbers per class.
        pose_mean, pose_stddev: 6 numbers each, or a ``.npy`` file (the dataset tools'
            output): the statistics of the training set's local poses.
        reference68, reference5: 3D reference points (arrays or ``.npy`` files); the 68 make
            boxes, the 5 the points loss.
        bbox_x_factor, bbox_y_factor, expand_forehead: the box-from-pose factors.
        loss_dof_weight, loss_points_weight: weights of the pose MSE and the points L1.
        nearest_rotation: orthogonalise the sheared rotation of local <-> global (off: the
            original's quaternion of the sheared matrix, which its checkpoints expect).
    """
    #: buffers set from the config; a checkpoint may lack them (an original img2pose
    #: checkpoint converted without them), and loading it then keeps the config's values
    config_buffers = ('pose_mean', 'pose_stddev', 'reference68', 'reference5')

    def __init__(self,
                 pose_mean,
                 pose_stddev,
                 reference68,
                 reference5,
                 in_channels=256,
                 roi_feat_size=7,
                 fc_out_channels=1024,
                 pose_hidden_channels=256,
                 num_classes=1,
                 bbox_x_factor=1.1,
                 bbox_y_factor=1.1,
                 expand_forehead=0.3,
                 loss_dof_weight=1.0,
                 loss_points_weight=1.0,
                 nearest_rotation=False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.shared_fcs = nn.ModuleList([
            nn.Linear(in_channels * roi_feat_size**2, fc_out_channels),
            nn.Linear(fc_out_channels, fc_out_channels)
        ])
        self.pose_pred = nn.Sequential(
            nn.Linear(fc_out_channels, pose_hidden_channels),
            nn.BatchNorm1d(pose_hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(pose_hidden_channels, 6 * num_classes))
        for name, value, shape in (('pose_mean', pose_mean, (6, )),
                                   ('pose_stddev', pose_stddev, (6, )),
                                   ('reference68', reference68, (68, 3)),
                                   ('reference5', reference5, (5, 3))):
            self.register_buffer(name, torch.as_tensor(load_array(value, shape, name),
                                                       dtype=torch.float32))
        self.bbox_factors = dict(x_factor=bbox_x_factor, y_factor=bbox_y_factor,
                                 forehead=expand_forehead)
        self.loss_dof_weight = loss_dof_weight
        self.loss_points_weight = loss_points_weight
        self.nearest_rotation = nearest_rotation

    def forward(self, roi_feats):
        """RoI features (N, C, 7, 7) -> normalised local poses (N, 6 * num_classes).

        In training, BatchNorm cannot estimate batch statistics from fewer than two RoIs
        (the original fails there): such batches use its running statistics instead.
        """
        x = roi_feats.flatten(1)
        for fc in self.shared_fcs:
            x = F.relu(fc(x))
        norm = self.pose_pred[1]
        if not (norm.training and len(x) < 2):
            return self.pose_pred(x)
        norm.eval()
        try:
            return self.pose_pred(x)
        finally:
            norm.train()

    def denormalize(self, poses):
        return poses * self.pose_stddev + self.pose_mean

    def class_poses(self, poses, labels):
        """The 6 numbers of each RoI's class out of (N, 6 * num_classes)."""
        rows = torch.arange(len(poses), device=poses.device)
        return poses.view(len(poses), self.num_classes, 6)[rows, labels]

    def loss_and_target(self, pose_pred, sampling_results, batch_gt_instances,
                        batch_img_metas):
        """``loss_dof`` (squared error summed over the 6 numbers, averaged over the positive
        RoIs) and ``loss_points`` (mean L1 of the 5 reference points projected with the
        predicted and the target local pose in each RoI's ``K_local``).

        ``pose_pred`` holds the positives of every image in sampling order. Targets are the
        matched ground-truth global poses moved into each positive's frame (fractional
        principal point, as the original's loss)."""
        proposals = torch.cat([res.pos_priors for res in sampling_results])
        if len(proposals) == 0:
            zero = pose_pred.sum() * 0
            return dict(loss_dof=zero, loss_points=zero)
        gt_poses = torch.cat([
            gt.poses[res.pos_assigned_gt_inds]
            for res, gt in zip(sampling_results, batch_gt_instances)
        ])
        image_wh = torch.cat([
            proposals.new_tensor(meta['img_shape'][:2][::-1]).expand(len(res.pos_priors), 2)
            for res, meta in zip(sampling_results, batch_img_metas)
        ])
        with torch.no_grad():
            target_local = pose_full_image_to_bbox(
                gt_poses.double(), image_wh, proposals,
                nearest_rotation=self.nearest_rotation).float()
        labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        with full_precision(pose_pred.device):
            pred = self.class_poses(pose_pred.float(), labels)
            target = (target_local - self.pose_mean) / self.pose_stddev
            loss_dof = F.mse_loss(pred, target, reduction='sum') / len(pred)

            k_local = local_intrinsics(proposals.float())
            pred_points = project_points(self.reference5, self.denormalize(pred), k_local)
            target_points = project_points(self.reference5, target_local, k_local)
            loss_points = F.l1_loss(pred_points, target_points)
        return dict(loss_dof=self.loss_dof_weight * loss_dof,
                    loss_points=self.loss_points_weight * loss_points)

    def predict_by_feat(self, proposals, scores, labels, pose_pred, img_meta, rcnn_test_cfg,
                        rescale=False):
        """The faces of one image from its scored proposals (the original's order):
        de-normalised local pose -> global pose with the proposal box (integer principal
        point) -> box from pose -> NMS on those boxes, best score first, uncapped unless
        ``rcnn_test_cfg.max_per_img`` > 0.

        Geometry runs in float64 from the float32 network outputs, as the original's numpy
        code; boxes have integral values in the network input. Poses (and ``euler``) are in
        the camera of the network input. With ``rescale`` the boxes and the projected
        ``landmarks`` / ``landmarks5`` are mapped to the original image as the original
        model maps its boxes: multiplied by ``ori size / input size`` per axis in float32
        (:meth:`rescale_ratios`), so a converted checkpoint gives the original's boxes;
        they then need not be integral."""
        local = self.denormalize(self.class_poses(pose_pred, labels))
        image_wh = proposals.new_tensor(img_meta['img_shape'][:2][::-1], dtype=torch.float64)
        poses, boxes = self.decode_faces(local.double(), proposals, image_wh)
        if len(boxes):
            _, keep = batched_nms(boxes.float(), scores, labels, rcnn_test_cfg.nms)
            max_per_img = rcnn_test_cfg.get('max_per_img', -1)
            keep = keep[:max_per_img] if max_per_img and max_per_img > 0 else keep
        else:
            keep = labels.new_zeros(0)
        boxes, poses = boxes[keep].float(), poses[keep]
        outputs = self.face_outputs(poses, image_wh)
        if rescale:
            ratios = self.rescale_ratios(img_meta, boxes)
            boxes = boxes * ratios.repeat(2)
            for key in ('landmarks', 'landmarks5'):
                outputs[key] = outputs[key] * ratios
        return InstanceData(bboxes=boxes, scores=scores[keep], labels=labels[keep],
                            poses=poses.float(), **outputs)

    @staticmethod
    def rescale_ratios(img_meta, like):
        """``(ori_w / w, ori_h / h)`` of the network input (w, h), in float32 on the device of
        ``like``: torchvision's ``resize_boxes``, which maps the original model's boxes back
        to the image it was given."""
        ori = torch.tensor(img_meta['ori_shape'][:2][::-1], dtype=torch.float32,
                           device=like.device)
        return ori / ori.new_tensor(img_meta['img_shape'][:2][::-1])

    def decode_faces(self, local, proposals, image_wh):
        """Global poses (N,6) and boxes (N,4) of de-normalised local poses (N,6) in their
        proposals (N,4), in the dtype of ``local``: the original's inference step (integer
        box principal point), then the box of the projected 68-point reference. Shared with
        the ONNX export."""
        poses = pose_bbox_to_full_image(local, image_wh, proposals, integer_principal_point=True,
                                        nearest_rotation=self.nearest_rotation)
        boxes = pose_to_bbox(poses, image_wh, self.reference68.to(local.dtype),
                             **self.bbox_factors)
        return poses, boxes

    def face_outputs(self, poses, image_wh):
        """What each face's global pose (N,6) gives in an image of size ``image_wh`` (2,):
        ``euler`` (N,3) pitch, yaw, roll in degrees, ``landmarks`` (N,68,2) and ``landmarks5``
        (N,5,2) the projected references, float32 (computed in float64)."""
        poses = poses.double()
        k_img = image_intrinsics(image_wh[0], image_wh[1])
        return dict(euler=rotvec_to_euler(poses[:, :3]).float(),
                    landmarks=project_points(self.reference68.double(), poses, k_img).float(),
                    landmarks5=project_points(self.reference5.double(), poses, k_img).float())
