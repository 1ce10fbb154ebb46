"""img2pose test-time augmentation: multi-scale and flip, merged by box voting."""
import numpy as np
import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import InstanceData

from mmpose6d.geometry import (bbox_voting, flip_boxes, flip_poses, matrix_to_rotvec,
                               nearest_rotation, rotvec_to_matrix)
from mmpose6d.registry import MODELS


def merge_poses(poses, groups):
    """Weighted mean pose of each voting group: translations averaged, rotations by the
    chordal mean (the nearest rotation to the weighted sum of rotation matrices)."""
    merged = []
    for index, weights in groups:
        w = torch.as_tensor(weights / weights.sum(), dtype=poses.dtype)
        rot = (w[:, None, None] * rotvec_to_matrix(poses[index, :3])).sum(0)
        merged.append(torch.cat([matrix_to_rotvec(nearest_rotation(rot)),
                                 (w[:, None] * poses[index, 3:]).sum(0)]))
    return torch.stack(merged) if merged else poses.new_zeros((0, 6))


@MODELS.register_module()
class Img2PoseTTAModel(BaseTTAModel):
    """Pools the detections of every scale and flip of an image (flipped ones mirrored back,
    poses too), then merges them by box voting at ``iou_thr``; each merged face gets the
    voted box and score and the weighted mean of its group's poses; the pose head's
    :meth:`~mmpose6d.models.PoseHead.face_outputs` of the merged poses in the original image
    complete each face as the model's own predictions.

    Args:
        tta_cfg: ``dict(iou_thr=0.6, max_per_img=...)``.
    """

    def __init__(self, tta_cfg=None, **kwargs):
        super().__init__(**kwargs)
        self.tta_cfg = dict(iou_thr=0.6, max_per_img=None)
        self.tta_cfg.update(tta_cfg or {})

    def merge_preds(self, data_samples_list):
        return [self._merge_single(samples) for samples in data_samples_list]

    def _merge_single(self, data_samples):
        boxes, scores, poses = [], [], []
        for sample in data_samples:
            pred = sample.pred_instances
            b, p = pred.bboxes, pred.poses
            if sample.metainfo.get('flip', False):
                width = sample.metainfo['ori_shape'][1]
                b, p = flip_boxes(b, width), flip_poses(p)
            boxes.append(b)
            scores.append(pred.scores)
            poses.append(p)
        boxes, scores, poses = torch.cat(boxes), torch.cat(scores), torch.cat(poses)
        dets = torch.cat([boxes, scores[:, None]], 1).double().cpu().numpy()
        voted, groups = bbox_voting(dets, iou_thr=self.tta_cfg['iou_thr'], return_groups=True)
        merged_poses = merge_poses(poses.double().cpu(), groups)
        order = np.argsort(-voted[:, 4], kind='stable')[:self.tta_cfg['max_per_img']]
        result = data_samples[0].clone()
        device = boxes.device
        merged_poses = merged_poses[order].to(device=device)
        height, width = result.metainfo['ori_shape'][:2]
        result.pred_instances = InstanceData(
            bboxes=torch.as_tensor(voted[order, :4], dtype=boxes.dtype, device=device),
            scores=torch.as_tensor(voted[order, 4], dtype=scores.dtype, device=device),
            labels=torch.zeros(len(order), dtype=torch.long, device=device),
            poses=merged_poses.to(dtype=poses.dtype),
            **self.module.roi_head.pose_head.face_outputs(
                merged_poses, merged_poses.new_tensor([width, height])))
        return result
