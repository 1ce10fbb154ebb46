"""Pose labels a dataset computed at load time: global poses from stored local poses."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmpose6d.registry import TRANSFORMS

from ...geometry import pose_bbox_to_full_image
from .instances import mask_and_drop
from .pose_labels import _no_targets_left


@TRANSFORMS.register_module()
class PoseLabelsFromLocalPoses(BaseTransform):
    """Global pose labels ``gt_poses`` (N,6) float32 from the local pose each instance stores
    (``local_pose``, relative to its integer ``bbox``): the local -> global step of the
    original img2pose LMDB loader, for data labelled once by its dataset
    (:class:`~mmpose6d.datasets.Face300WLPDataset`) rather than by PnP in the pipeline.

    The poses are placed in the original image (``ori_shape``), where the instances' boxes
    are; a resize then leaves them as they are (see :class:`PoseResize`) and
    :class:`BoxesFromPoses` boxes them in the network input. It needs one target face per
    instance: run it right after :class:`LoadPoseAnnotations`. Faces whose ``local_pose``
    is missing, None or not finite are masked out of the image and the targets
    (``label/unlabelled_face``) and a sample left without faces is dropped (None): a
    training step.
    """

    def transform(self, results):
        instances = results['instances']
        if len(instances) != len(results['gt_bboxes']):
            raise ValueError(f'{type(self).__name__}: {len(results["gt_bboxes"])} target faces '
                             f'for {len(instances)} instances; place it right after '
                             'LoadPoseAnnotations')
        height, width = results['ori_shape'][:2]
        boxes = np.trunc(np.array([inst['bbox'] for inst in instances], np.float64))
        missing = np.full(6, np.nan)
        local = np.array([missing if inst.get('local_pose') is None else inst['local_pose']
                          for inst in instances], np.float64)
        boxes, local = boxes.reshape(-1, 4), local.reshape(-1, 6)
        labelled = np.isfinite(local).all(1)
        poses = np.full_like(local, np.nan)
        if labelled.any():
            poses[labelled] = pose_bbox_to_full_image(
                local[labelled], np.array([width, height], np.float64), boxes[labelled])
        results['gt_poses'] = poses.astype(np.float32)
        mask_and_drop(results, ~labelled, np.full(len(local), 'label/unlabelled_face'),
                      results.get('img_path', ''))
        return _no_targets_left(results)
