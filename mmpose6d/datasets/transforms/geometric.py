"""Geometric augmentations that move boxes and landmarks together.

Global pose labels depend on the image size, so they are recomputed afterwards by
:class:`PoseLabelsFromLandmarks`; only the flip (exact) carries existing ``gt_poses`` over.
"""
import math

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
    """:class:`PoseResize` sized and resampled as the original img2pose model does
    (torchvision's ``GeneralizedRCNNTransform``), to reproduce an original checkpoint's
    detections exactly.

    Keeping the ratio, the scale is ``min(long / long side, short / short side)`` of
    ``scale=(long, short)`` as in mmdet, but the size is rounded down (mmdet rounds to the
    nearest) and the image is resampled bilinearly in float32 (``align_corners=False``)
    rather than by OpenCV on uint8. Landmarks and boxes move as in :class:`PoseResize`.

    With ``in_model`` the pixels are left as they are and only the size is set
    (``img_shape``, ``scale_factor``): :class:`~mmpose6d.models.Img2PoseDataPreprocessor`
    then resamples the image after normalising it, in the original's order (the img2pose
    configs' test pipelines); the image must reach that preprocessor. Otherwise the result is
    a float32 image of the new size. Only ``keep_ratio=True`` is supported.
    """

    def __init__(self, scale, keep_ratio=True, in_model=False, **kwargs):
        if not keep_ratio:
            raise ValueError('TorchvisionResize keeps the aspect ratio (keep_ratio=True)')
        self.in_model = in_model
        super().__init__(scale=scale, keep_ratio=True, **kwargs)

    def _resize_img(self, results):
        img = results.get('img')
        if img is None:
            return
        h, w = img.shape[:2]
        long_edge, short_edge = max(results['scale']), min(results['scale'])
        factor = min(long_edge / max(h, w), short_edge / min(h, w))
        if self.in_model:  # F.interpolate's size for recompute_scale_factor=True
            size = (math.floor(h * factor), math.floor(w * factor))
        else:
            chw = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32)).reshape(
                h, w, -1).permute(2, 0, 1)[None]
            out = F.interpolate(chw, scale_factor=factor, mode='bilinear',
                                recompute_scale_factor=True, align_corners=False)[0]
            resized = out.permute(1, 2, 0).numpy()
            results['img'] = resized if img.ndim == 3 else resized[..., 0]
            size = resized.shape[:2]
        results['img_shape'] = size
        results['scale_factor'] = (size[1] / w, size[0] / h)
        results['keep_ratio'] = True

    def __repr__(self):
        return f'{super().__repr__()[:-1]}, in_model={self.in_model})'


@TRANSFORMS.register_module()
class Img2PoseScaleResize(TorchvisionResize):
    """One scale of img2pose's multi-scale test (``--tta``): the short side brought to
    ``short_side`` the way the original's WIDER evaluation sets its model's size.

    For an image of w x h: ``factor = short_side / min(w, h)``, ``new_w = int(w * factor)``,
    ``new_h = int(h * factor)`` (truncated), then :class:`TorchvisionResize` with
    ``scale=(max(new_w, new_h), min(new_w, new_h))``: the model's own transform with
    ``min_size``/``max_size`` set to those sizes, which resamples the ORIGINAL image (the
    long-side cap of single-scale testing does not apply); ``in_model`` as there.
    """

    def __init__(self, short_side, **kwargs):
        if short_side <= 0:
            raise ValueError(f'short_side must be positive, got {short_side}')
        self.short_side = short_side
        super().__init__(scale=(short_side, short_side), **kwargs)

    def _resize_img(self, results):
        height, width = results['img'].shape[:2]
        factor = self.short_side / min(width, height)
        new_w, new_h = int(width * factor), int(height * factor)
        results['scale'] = (max(new_w, new_h), min(new_w, new_h))
        super()._resize_img(results)

    def __repr__(self):
        return f'{self.__class__.__name__}(short_side={self.short_side})'
