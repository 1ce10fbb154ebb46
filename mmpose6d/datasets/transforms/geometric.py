"""Geometric augmentations that move boxes and landmarks together.

Global pose labels depend on the image size, so they are recomputed afterwards by
:class:`PoseLabelsFromLandmarks`; only the flip (exact) carries existing ``gt_poses`` over.
"""
import numpy as np
import torch
import torch.nn.functional as F
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import RandomFlip, Resize

from mmpose6d.registry import TRANSFORMS

from ...geometry import flip_landmarks, flip_poses
from .instances import keep_instances, mask_and_drop


@TRANSFORMS.register_module()
class RandomPoseCrop(BaseTransform):
    """Random crop of ``min_scale``-``max_scale`` of each side at a random position.

    Faces whose box centre leaves the crop are dropped; boxes are shifted and clipped,
    landmarks shifted. A kept face with a landmark outside the crop would lose its pose label
    but must not become background: with ``landmark_policy='mask'`` its pixels are zeroed and
    it leaves the targets (counted ``crop/landmarks_outside``); with ``'reject'`` such a crop is
    redrawn. A crop keeping no face of an image with faces is redrawn too; after
    ``max_tries`` the image is returned uncropped. Stale ``gt_poses`` are removed.
    """

    def __init__(self, min_scale=0.7, max_scale=1.0, max_tries=10, landmark_policy='mask'):
        if not 0 < min_scale <= max_scale <= 1:
            raise ValueError(f'need 0 < min_scale <= max_scale <= 1, got {min_scale}, '
                             f'{max_scale}')
        if landmark_policy not in ('mask', 'reject'):
            raise ValueError(f"landmark_policy must be 'mask' or 'reject', not "
                             f'{landmark_policy!r}')
        self.min_scale, self.max_scale = min_scale, max_scale
        self.max_tries = max_tries
        self.landmark_policy = landmark_policy

    def _sample_crop(self, height, width):
        """(x0, y0, crop width, crop height), uniform size and position."""
        ch, cw = (np.array([height, width]) *
                  np.random.uniform(self.min_scale, self.max_scale, 2)).astype(int)
        ch, cw = max(ch, 1), max(cw, 1)
        return (np.random.randint(0, width - cw + 1), np.random.randint(0, height - ch + 1),
                cw, ch)

    def transform(self, results):
        height, width = results['img'].shape[:2]
        boxes = results['gt_bboxes'].numpy()
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        landmarks = results.get('gt_landmarks')
        for _ in range(self.max_tries):
            x0, y0, cw, ch = self._sample_crop(height, width)
            lo, hi = np.array([x0, y0]), np.array([x0 + cw, y0 + ch])
            inside = ((centres >= lo) & (centres < hi)).all(1)
            if len(boxes) and not inside.any():
                continue
            lost = np.zeros(len(boxes), bool)
            if landmarks is not None:
                # NaN padding compares False on both sides, so it never counts as outside
                lost = inside & ((landmarks < lo) | (landmarks >= hi)).any((1, 2))
            if lost.any() and self.landmark_policy == 'reject':
                continue
            self._crop(results, x0, y0, cw, ch, inside, lost)
            return results
        return results

    @staticmethod
    def _crop(results, x0, y0, cw, ch, inside, lost):
        results['img'] = np.ascontiguousarray(results['img'][y0:y0 + ch, x0:x0 + cw])
        results['img_shape'] = results['img'].shape[:2]
        results.pop('gt_poses', None)
        keep_instances(results, inside)
        results['gt_bboxes'].translate_([-x0, -y0])
        results['gt_bboxes'].clip_(results['img_shape'])
        if 'gt_landmarks' in results:
            results['gt_landmarks'] = results['gt_landmarks'] - np.float32([x0, y0])
        lost = lost[inside]
        mask_and_drop(results, lost, np.full(len(lost), 'crop/landmarks_outside'),
                      results.get('img_path', ''))

    def __repr__(self):
        return (f'{self.__class__.__name__}(min_scale={self.min_scale}, '
                f'max_scale={self.max_scale}, max_tries={self.max_tries}, '
                f"landmark_policy='{self.landmark_policy}')")


@TRANSFORMS.register_module()
class RandomPoseFlip(RandomFlip):
    """mmdet's horizontal :class:`RandomFlip` that also mirrors landmarks and poses.

    Landmarks: ``u' = w - u`` and the 5- or 68-point mirror permutation, per face by its
    ``gt_num_landmarks``; ``gt_poses`` (if present) by the pose flip relation.
    """

    def __init__(self, prob=0.5, direction='horizontal'):
        if direction != 'horizontal':
            raise ValueError(f"RandomPoseFlip only flips horizontally, not {direction!r}")
        super().__init__(prob=prob, direction=direction)

    def _flip(self, results):
        super()._flip(results)
        width = results['img_shape'][1]
        if 'gt_landmarks' in results:
            landmarks = results['gt_landmarks'].copy()
            num = results['gt_num_landmarks']
            for p in (5, 68):
                rows = num == p
                if rows.any():
                    landmarks[rows, :p] = flip_landmarks(landmarks[rows, :p], width)
            results['gt_landmarks'] = landmarks
        if 'gt_poses' in results:
            results['gt_poses'] = flip_poses(results['gt_poses']).astype(np.float32)


@TRANSFORMS.register_module()
class PoseResize(Resize):
    """mmdet's :class:`Resize` that also rescales ``gt_landmarks`` (not clipped).

    Use it directly or as ``RandomChoiceResize(..., resize_type='PoseResize')``. Global
    poses are nearly invariant to a uniform resize, so ``gt_poses`` are left as they are.
    """

    def transform(self, results):
        results = super().transform(results)
        if results.get('gt_landmarks') is not None:
            results['gt_landmarks'] = (results['gt_landmarks'] *
                                       np.float32(results['scale_factor']))
        return results


@TRANSFORMS.register_module()
class TorchvisionResize(PoseResize):
    """:class:`PoseResize` resampled as the original img2pose model does (torchvision's
    ``GeneralizedRCNNTransform``), to reproduce an original checkpoint's detections exactly.

    Keeping the ratio, the scale is ``min(long / long side, short / short side)`` of
    ``scale=(long, short)`` as in mmdet, but the size is rounded down (mmdet rounds to the
    nearest) and the image is resampled bilinearly in float32 (``align_corners=False``)
    rather than by OpenCV on uint8; the result is a float32 image. Landmarks and boxes move
    as in :class:`PoseResize`. Only ``keep_ratio=True`` is supported.
    """

    def __init__(self, scale, keep_ratio=True, **kwargs):
        if not keep_ratio:
            raise ValueError('TorchvisionResize keeps the aspect ratio (keep_ratio=True)')
        super().__init__(scale=scale, keep_ratio=True, **kwargs)

    def _resize_img(self, results):
        img = results.get('img')
        if img is None:
            return
        h, w = img.shape[:2]
        long_edge, short_edge = max(results['scale']), min(results['scale'])
        factor = min(long_edge / max(h, w), short_edge / min(h, w))
        chw = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32)).reshape(
            h, w, -1).permute(2, 0, 1)[None]
        out = F.interpolate(chw, scale_factor=factor, mode='bilinear',
                            recompute_scale_factor=True, align_corners=False)[0]
        resized = out.permute(1, 2, 0).numpy()
        results['img'] = resized if img.ndim == 3 else resized[..., 0]
        results['img_shape'] = resized.shape[:2]
        results['scale_factor'] = (resized.shape[1] / w, resized.shape[0] / h)
        results['keep_ratio'] = True
