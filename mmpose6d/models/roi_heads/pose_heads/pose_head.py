"""img2pose's pose branch: a normalised local 6DoF pose per RoI, and the faces it makes."""
import contextlib
import warnings

import torch
import torch.nn.functional as F
from mmcv.ops import batched_nms
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import nn

from mmpose6d.geometry import FaceModel, local_intrinsics, project_points
from mmpose6d.registry import MODELS, TASK_UTILS

#: PoseHead's arguments before its coder, face model and losses were settings of their own:
#: the old name -> (the setting, its key). Deprecated: they warn, and go in a later release.
RENAMED_ARGUMENTS = dict(
    pose_mean=('pose_coder', 'pose_mean'),
    pose_stddev=('pose_coder', 'pose_stddev'),
    nearest_rotation=('pose_coder', 'nearest_rotation'),
    reference68=('face_model', 'reference68'),
    reference5=('face_model', 'reference5'),
    bbox_x_factor=('face_model', 'x_factor'),
    bbox_y_factor=('face_model', 'y_factor'),
    expand_forehead=('face_model', 'forehead'),
    loss_dof_weight=('loss_dof', 'loss_weight'),
    loss_points_weight=('loss_points', 'loss_weight'))


def full_precision(device):
    """Autocast off on ``device``: the pose losses project with focal lengths of hundreds to
    thousands of pixels, beyond what float16 / bfloat16 resolve (``--amp``)."""
    if device.type in ('cpu', 'cuda'):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


def widened(tensor):
    """``tensor`` in float32 when it is float16 / bfloat16 (autocast's outputs), else as is."""
    return tensor.float() if tensor.dtype in (torch.float16, torch.bfloat16) else tensor


def _renamed(arguments, **settings):
    """``settings`` (dicts) with the values of the deprecated ``arguments`` moved in
    (:data:`RENAMED_ARGUMENTS`), warning once."""
    unknown = sorted(set(arguments) - set(RENAMED_ARGUMENTS))
    if unknown:
        raise TypeError(f'PoseHead got unexpected arguments {unknown}')
    settings = {name: dict(value or {}) for name, value in settings.items()}
    for name, value in arguments.items():
        setting, key = RENAMED_ARGUMENTS[name]
        settings[setting][key] = value
    if arguments:
        warnings.warn('PoseHead: ' + ', '.join(
            f'{name} is deprecated, set {".".join(RENAMED_ARGUMENTS[name])}'
            for name in arguments))
    return settings


def _save_coder_state_flat(head, state_dict, prefix, local_metadata):
    """Checkpoints keep the pose coder's statistics as the head's own ``pose_mean`` /
    ``pose_stddev``, where every checkpoint has them (converted ones, older ones)."""
    nested = prefix + 'pose_coder.'
    for key in [k for k in state_dict if k.startswith(nested)]:
        state_dict[prefix + key[len(nested):]] = state_dict.pop(key)


def _load_coder_state_flat(head, state_dict, prefix, *args):
    """The inverse of :func:`_save_coder_state_flat`, before loading."""
    for name, _ in head.pose_coder.named_buffers():
        if prefix + name in state_dict:
            state_dict[f'{prefix}pose_coder.{name}'] = state_dict.pop(prefix + name)


@MODELS.register_module()
class PoseHead(BaseModule):
    """The original's DoF branch: two FC layers (torchvision's ``TwoMLPHead``, 12544-1024-1024)
    and ``Linear(1024, 256) -> BatchNorm1d -> ReLU -> Linear(256, 6 * num_classes)``.

    It predicts, per RoI, the pose relative to the RoI box, normalised: the targets and the
    decoding are ``pose_coder``'s (:class:`~mmpose6d.models.LocalPoseCoder`). At inference
    the face box is the projection of the face model's 68-point reference with the decoded
    global pose (``docs/geometry.md``).

    Args:
        pose_coder: the coder's config, with the statistics of the training set's local
            poses (``pose_mean``, ``pose_stddev``).
        face_model: :class:`~mmpose6d.geometry.FaceModel`'s arguments (None: its defaults);
            its references become buffers, the 68 points make boxes, the 5 the points loss.
        in_channels, roi_feat_size: RoI feature shape (256 x 7 x 7).
        fc_out_channels, pose_hidden_channels: 1024 and 256 in the original.
        num_classes: face classes (1); the output has 6 numbers per class.
        loss_dof: the loss of the normalised pose, an MSE summed over the 6 numbers and
            averaged over the positive RoIs.
        loss_points: the loss of the 5 reference points projected with the predicted and the
            target local pose in each RoI's camera, an L1 averaged over the coordinates.
        **renamed: deprecated arguments (:data:`RENAMED_ARGUMENTS`).
    """
    #: buffers set from the config (the coder's statistics, the face model's references); a
    #: checkpoint may lack them (an original img2pose checkpoint converted without them), and
    #: loading it then keeps the config's values
    config_buffers = ('pose_mean', 'pose_stddev', 'reference68', 'reference5')

    def __init__(self,
                 pose_coder=dict(type='LocalPoseCoder', pose_mean=None, pose_stddev=None),
                 face_model=None,
                 in_channels=256,
                 roi_feat_size=7,
                 fc_out_channels=1024,
                 pose_hidden_channels=256,
                 num_classes=1,
                 loss_dof=dict(type='mmdet.MSELoss', loss_weight=1.0),
                 loss_points=dict(type='mmdet.L1Loss', loss_weight=1.0),
                 init_cfg=None,
                 **renamed):
        super().__init__(init_cfg=init_cfg)
        settings = _renamed(renamed, pose_coder=pose_coder, face_model=face_model,
                            loss_dof=loss_dof, loss_points=loss_points)
        self.num_classes = num_classes
        self.shared_fcs = nn.ModuleList([
            nn.Linear(in_channels * roi_feat_size**2, fc_out_channels),
            nn.Linear(fc_out_channels, fc_out_channels)
        ])
        self.pose_pred = nn.Sequential(
            nn.Linear(fc_out_channels, pose_hidden_channels),
            nn.BatchNorm1d(pose_hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(pose_hidden_channels, 6 * num_classes))
        self.pose_coder = TASK_UTILS.build(settings['pose_coder'])
        self.register_state_dict_post_hook(_save_coder_state_flat)
        self.register_load_state_dict_pre_hook(_load_coder_state_flat)
        face = FaceModel.build(settings['face_model'])
        for name in ('reference68', 'reference5'):
            self.register_buffer(name, torch.as_tensor(getattr(face, name), dtype=torch.float32))
        self.box_factors = face.box_factors
        self.loss_dof = MODELS.build(settings['loss_dof'])
        self.loss_points = MODELS.build(settings['loss_points'])

    @property
    def face_model(self):
        """The :class:`~mmpose6d.geometry.FaceModel` of this head: its reference buffers (a
        checkpoint's when it holds them) with the configured box factors."""
        return FaceModel(self.reference68, self.reference5, **self.box_factors)

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

    def class_poses(self, poses, labels):
        """The 6 numbers of each RoI's class out of (N, 6 * num_classes)."""
        rows = torch.arange(len(poses), device=poses.device)
        return poses.view(len(poses), self.num_classes, 6)[rows, labels]

    def loss_and_target(self, pose_pred, sampling_results, batch_gt_instances,
                        batch_img_metas):
        """``loss_dof`` and ``loss_points`` (see the class) of the positives of every image,
        in sampling order (``pose_pred``). Targets are the matched ground-truth global poses
        encoded in each positive's box; ``loss_points`` compares with the target local pose
        itself, not its normalised value."""
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
        coder = self.pose_coder
        with torch.no_grad():
            target_local = coder.local_poses(gt_poses, proposals, image_wh)
        labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        with full_precision(pose_pred.device):
            pred = self.class_poses(pose_pred.float(), labels)
            # summed, then divided by the RoIs: mmdet's avg_factor would add an epsilon
            loss_dof = self.loss_dof(pred, coder.normalize(target_local),
                                     reduction_override='sum') / len(pred)
            k_local = local_intrinsics(proposals.float())
            loss_points = self.loss_points(
                project_points(self.reference5, coder.denormalize(pred), k_local),
                project_points(self.reference5, target_local, k_local))
        return dict(loss_dof=loss_dof, loss_points=loss_points)

    def predict_by_feat(self, pose_preds, results_list, batch_img_metas, rcnn_test_cfg,
                        rescale=False):
        """The faces of each image (mmdet's signature): ``pose_preds`` the outputs of its
        scored proposals, ``results_list`` their ``bboxes``, ``scores`` and ``labels``; see
        :meth:`_predict_by_feat_single`. The geometry runs without autocast, from float32
        network outputs at least (:func:`widened`)."""
        device = results_list[0].bboxes.device if results_list else torch.device('cpu')
        with full_precision(device):
            return [
                self._predict_by_feat_single(widened(pose_pred), widened(results.bboxes),
                                             widened(results.scores), results.labels,
                                             img_meta, rcnn_test_cfg, rescale)
                for pose_pred, results, img_meta in zip(pose_preds, results_list,
                                                        batch_img_metas)
            ]

    def _predict_by_feat_single(self, pose_pred, proposals, scores, labels, img_meta,
                                rcnn_test_cfg, rescale=False):
        """The faces of one image from its scored proposals (the original's order): the
        decoded global pose with the proposal box (:meth:`decode_faces`) -> box from pose ->
        NMS on those boxes, best score first, uncapped unless ``rcnn_test_cfg.max_per_img``
        > 0.

        Geometry runs in float64 from the float32 network outputs, as the original's numpy
        code; boxes have integral values in the network input. Poses (and ``euler``) are in
        the camera of the network input. With ``rescale`` the boxes and the projected
        ``landmarks`` / ``landmarks5`` are mapped to the original image as the original
        model maps its boxes: multiplied by ``ori size / input size`` per axis in float32
        (:meth:`rescale_ratios`), so a converted checkpoint gives the original's boxes;
        they then need not be integral."""
        image_wh = proposals.new_tensor(img_meta['img_shape'][:2][::-1], dtype=torch.float64)
        poses, boxes = self.decode_faces(self.class_poses(pose_pred, labels), proposals,
                                         image_wh)
        if len(boxes):
            _, keep = batched_nms(boxes.float(), scores, labels, rcnn_test_cfg.nms)
            max_per_img = rcnn_test_cfg.get('max_per_img', -1)
            keep = keep[:max_per_img] if max_per_img and max_per_img > 0 else keep
        else:
            keep = labels.new_zeros(0)
        boxes, poses = boxes[keep].float(), poses[keep]
        outputs = self.face_model.face_outputs(poses, image_wh)
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

    @staticmethod
    def usable_rois(boxes, min_size=-1):
        """Whether each box (N,4) can be a RoI of the pose branch: finite, not empty and at
        least ``min_size`` wide and high. A pose that projects outside the image has an empty
        box, and one decoded in an empty RoI a non-finite one."""
        wh = boxes[:, 2:] - boxes[:, :2]
        return torch.isfinite(boxes).all(1) & (wh > 0).all(1) & (wh >= min_size).all(1)

    def decode_faces(self, pose_pred, proposals, image_wh):
        """Global poses (N,6) and boxes (N,4) of one class's normalised poses (N,6) in their
        proposals (N,4), in the dtype of ``image_wh`` (2,): the coder's decoding, then the
        face model's box. Shared with the ONNX export."""
        poses = self.pose_coder.decode(pose_pred, proposals, image_wh)
        return poses, self.face_model.boxes(poses, image_wh)
