"""img2pose test-time augmentation: multi-scale and flip, merged by box voting."""
import numpy as np
import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import InstanceData

from mmpose6d.geometry import (bbox_voting, flip_boxes, flip_poses, matrix_to_rotvec,
                               nearest_rotation, rotvec_to_matrix)
from mmpose6d.registry import MODELS


def merge_poses(poses, members, group_ids, weights, num_groups):
    """Weighted mean pose of each voting group (:func:`~mmpose6d.geometry.bbox_voting`'s
    flat ``members``, ``group_ids``, ``weights``): translations averaged, rotations by the
    chordal mean (the nearest rotation to the weighted sum of rotation matrices)."""
    if num_groups == 0:
        return poses.new_zeros((0, 6))
    members = torch.as_tensor(members, dtype=torch.long, device=poses.device)
    group_ids = torch.as_tensor(group_ids, dtype=torch.long, device=poses.device)
    weights = torch.as_tensor(weights, dtype=poses.dtype, device=poses.device)
    totals = poses.new_zeros(num_groups).index_add_(0, group_ids, weights)
    weights = weights / totals[group_ids]
    picked = poses[members]
    rot = poses.new_zeros((num_groups, 3, 3)).index_add_(
        0, group_ids, weights[:, None, None] * rotvec_to_matrix(picked[:, :3]))
    trans = poses.new_zeros((num_groups, 3)).index_add_(0, group_ids,
                                                        weights[:, None] * picked[:, 3:])
    return torch.cat([matrix_to_rotvec(nearest_rotation(rot)), trans], 1)


@MODELS.register_module()
class Img2PoseTTAModel(BaseTTAModel):
    """img2pose's WIDER FACE multi-scale and flip test (``evaluation/evaluate_wider.py``).

    Each pass's boxes, in the original image as the model returns them with ``rescale``
    (scaled back by the resize ratios), are truncated to integers; a flipped pass's boxes are
    mirrored back (``w - x2, w - x1``); every pass's boxes and scores are pooled in pass
    order (the TTA pipeline's: all unflipped scales, then all flipped) and merged by box
    voting at ``iou_thr`` (:func:`~mmpose6d.geometry.bbox_voting`, the original's greedy
    order), keeping every voted box unless ``max_per_img`` is set. Beyond the original, each
    merged face also gets a pose: the weighted mean (:func:`merge_poses`) of its group's
    poses, un-flipped, with the model's face outputs of it in the original image
    (:meth:`~mmpose6d.geometry.FaceModel.face_outputs`) and, when the model has a
    ``camera``, its poses in that camera. Outputs are sorted by voted score.

    Args:
        tta_cfg: ``dict(iou_thr=0.6, max_per_img=None)``.
    """

    def __init__(self, tta_cfg=None, **kwargs):
        super().__init__(**kwargs)
        self.tta_cfg = dict(iou_thr=0.6, max_per_img=None)
        self.tta_cfg.update(tta_cfg or {})

    def test_step(self, data):
        """``BaseTTAModel.test_step`` with the model's ``camera`` set aside while the views
        run: only the merged faces' poses are solved in it, once, for the whole batch (the
        views' would be dropped with them)."""
        camera = getattr(self.module, 'camera', None)
        if camera is None:
            return super().test_step(data)
        self.module.camera = None
        try:
            merged = super().test_step(data)
        finally:
            self.module.camera = camera
        self.module.add_camera_outputs(merged)
        return merged

    def merge_preds(self, data_samples_list):
        merged = [self._merge_single(samples) for samples in data_samples_list]
        if getattr(self.module, 'camera', None) is not None:
            self.module.add_camera_outputs(merged)
        return merged

    def _merge_single(self, data_samples):
        boxes, scores, poses = [], [], []
        for sample in data_samples:
            pred = sample.pred_instances
            b, p = torch.trunc(pred.bboxes), pred.poses
            if sample.metainfo.get('flip', False):
                width = sample.metainfo['ori_shape'][1]
                b, p = flip_boxes(b, width), flip_poses(p)
            boxes.append(b)
            scores.append(pred.scores)
            poses.append(p)
        boxes, scores, poses = torch.cat(boxes), torch.cat(scores), torch.cat(poses)
        dets = torch.cat([boxes.double(), scores.double()[:, None]], 1).cpu().numpy()
        voted, groups = bbox_voting(dets, iou_thr=self.tta_cfg['iou_thr'], return_groups=True)
        merged_poses = merge_poses(poses.double().cpu(), *groups, num_groups=len(voted))
        order = np.argsort(-voted[:, 4], kind='stable')[:self.tta_cfg['max_per_img']]
        result = data_samples[0].clone()
        device = boxes.device
        merged_poses = merged_poses[torch.as_tensor(order, dtype=torch.long)].to(device)
        height, width = result.metainfo['ori_shape'][:2]
        result.pred_instances = InstanceData(
            bboxes=torch.as_tensor(voted[order, :4], dtype=torch.float32, device=device),
            scores=torch.as_tensor(voted[order, 4], dtype=scores.dtype, device=device),
            labels=torch.zeros(len(order), dtype=torch.long, device=device),
            poses=merged_poses.to(dtype=poses.dtype),
            **self.module.face_model.face_outputs(merged_poses,
                                                  merged_poses.new_tensor([width, height])))
        return result
