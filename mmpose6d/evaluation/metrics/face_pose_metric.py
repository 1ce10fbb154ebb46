"""Face detection AP and 6DoF pose error against ground-truth poses."""
import json
from pathlib import Path

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmpose6d.geometry import (Camera, FaceModel, box_iou, rotation_angle_deg, rotvec_to_euler,
                               to_numpy, wrap_degrees)
from mmpose6d.registry import METRICS

from ..functional import voc_ap


def match_image(pred_boxes, scores, gt_boxes, iou_thr):
    """Greedy matching in descending score: index of the matched gt per prediction, or -1."""
    order = np.argsort(-scores, kind='stable')
    matched = np.full(len(pred_boxes), -1)
    taken = np.zeros(len(gt_boxes), bool)
    if len(gt_boxes) and len(pred_boxes):
        ious = box_iou(pred_boxes, gt_boxes)
        for i in order:
            candidates = np.where(~taken, ious[i], -1)
            best = candidates.argmax()
            if candidates[best] >= iou_thr:
                matched[i], taken[best] = best, True
    return matched


@METRICS.register_module()
class FacePoseMetric(BaseMetric):
    """Face AP at ``iou_thr`` and pose errors of the matched faces.

    Predictions are the model's ``pred_instances`` in the original image (``bboxes``,
    ``scores``, ``poses`` and the head's ``euler``).

    Ground truth: the global poses of ``gt_poses_file`` (``{image path: [[6 numbers], ...]}``,
    e.g. the rendered set's exact render poses; keys match the end of each sample's
    ``img_path``) or, without it, the pipeline's ``gt_instances.poses``. Ground-truth boxes
    are the face model's boxes of those poses in the original image (``face_model``:
    :class:`~mmpose6d.geometry.FaceModel`'s arguments, None: its defaults; the model's), i.e.
    the boxes the model is trained to output.

    ``camera``: None, or the camera that took the images (anything
    :meth:`~mmpose6d.geometry.Camera.build` takes): the ground-truth poses are then poses in
    that camera, their boxes the face model's projected through it (distortion included),
    and the errors are those of the model's poses in it, ``camera_poses`` and
    ``camera_euler`` (a model given the same ``camera``: ``tools/test.py --camera``).

    Reports ``AP50``, ``pitch``/``yaw``/``roll``/``mae`` (mean absolute Euler error in degrees,
    AFLW convention), ``rot_err`` (mean geodesic angle, degrees) and ``trans_err`` (mean
    ``|t - t_gt| / |t_gt|``) over the true positives.
    """
    default_prefix = 'face_pose'

    def __init__(self,
                 face_model=None,
                 gt_poses_file=None,
                 iou_thr=0.5,
                 camera=None,
                 collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.face_model = FaceModel.build(face_model)
        self.camera = Camera.build(camera)
        self.iou_thr = iou_thr
        self.gt_table = None
        if gt_poses_file is not None:
            with open(gt_poses_file) as f:
                self.gt_table = {
                    k: np.asarray(v, np.float64).reshape(-1, 6)
                    for k, v in json.load(f).items()
                }

    def _gt_poses(self, sample):
        if self.gt_table is None:
            return to_numpy(sample['gt_instances']['poses'], np.float64).reshape(-1, 6)
        parts = Path(sample['img_path']).parts
        for n in range(1, len(parts) + 1):
            key = '/'.join(parts[-n:])
            if key in self.gt_table:
                return self.gt_table[key]
        raise KeyError(f'{sample["img_path"]}: no entry in the gt poses file')

    def process(self, data_batch, data_samples):
        poses_key, euler_key = (('poses', 'euler') if self.camera is None else
                                ('camera_poses', 'camera_euler'))
        for sample in data_samples:
            pred = sample['pred_instances']
            height, width = sample['ori_shape']
            image_wh = np.array([width, height], np.float64)
            gt_poses = self._gt_poses(sample)
            gt_poses = gt_poses[np.isfinite(gt_poses).all(1)]
            if self.camera is None:
                gt_boxes = self.face_model.boxes(gt_poses, image_wh)
            else:
                if poses_key not in pred:
                    raise KeyError(f'FacePoseMetric(camera=...) scores the poses in that camera, '
                                   f'but the predictions have no {poses_key}: give the model '
                                   'the camera too (tools/test.py --camera does both)')
                gt_boxes = self.face_model.camera_boxes(gt_poses, image_wh, self.camera)
            self.results.append(
                dict(boxes=to_numpy(pred['bboxes']).reshape(-1, 4),
                     scores=to_numpy(pred['scores']),
                     poses=to_numpy(pred[poses_key], np.float64).reshape(-1, 6),
                     euler=to_numpy(pred[euler_key], np.float64).reshape(-1, 3),
                     gt_boxes=gt_boxes,
                     gt_poses=gt_poses))

    def compute_metrics(self, results):
        scores, tps, pred_poses, pred_euler, gt_poses = [], [], [], [], []
        for res in results:
            matched = match_image(res['boxes'], res['scores'], res['gt_boxes'], self.iou_thr)
            scores.append(res['scores'])
            tps.append(matched >= 0)
            pred_poses.append(res['poses'][matched >= 0])
            pred_euler.append(res['euler'][matched >= 0])
            gt_poses.append(res['gt_poses'][matched[matched >= 0]])
        num_gt = sum(len(res['gt_boxes']) for res in results)
        scores, tps = np.concatenate(scores), np.concatenate(tps)
        order = np.argsort(-scores, kind='stable')
        tp_cum = np.cumsum(tps[order])
        recall = tp_cum / max(num_gt, 1)
        precision = tp_cum / np.arange(1, len(order) + 1)
        metrics = dict(AP50=float(voc_ap(recall, precision)) if len(order) else 0.0)
        pred_poses, gt_poses = np.concatenate(pred_poses), np.concatenate(gt_poses)
        if len(pred_poses):
            diff = np.concatenate(pred_euler) - rotvec_to_euler(gt_poses[:, :3])
            diff = np.abs(wrap_degrees(diff))
            angle = rotation_angle_deg(pred_poses[:, :3], gt_poses[:, :3])
            trans = np.linalg.norm(pred_poses[:, 3:] - gt_poses[:, 3:], axis=1) / \
                np.linalg.norm(gt_poses[:, 3:], axis=1)
            metrics.update(pitch=float(diff[:, 0].mean()),
                           yaw=float(diff[:, 1].mean()),
                           roll=float(diff[:, 2].mean()),
                           mae=float(diff.mean()),
                           rot_err=float(angle.mean()),
                           trans_err=float(trans.mean()))
        metrics['num_matched'] = int(len(pred_poses))
        MMLogger.get_current_instance().info('face pose: ' +
                                             ', '.join(f'{k} {v:.4f}' for k, v in metrics.items()))
        return metrics
