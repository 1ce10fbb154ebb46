"""Loading: images (from files or LMDB bytes) and face annotations with landmarks."""
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmdet.datasets.transforms import LoadAnnotations

from mmpose6d.registry import TRANSFORMS

from ..image_io import decode_image, read_image_bytes
from ..skip_counter import SKIPS


@TRANSFORMS.register_module(name=['LoadPoseImage', 'LoadImageFromFile'])
class LoadPoseImage(LoadImageFromFile):
    """Decode an image to BGR (grayscale ones too, as 3 channels) with counted skips.

    The bytes come from ``results['img_bytes']`` when present (put there by
    :class:`Img2PoseLMDBDataset`, and removed here) or are read from ``results['img_path']``.
    A missing, empty, truncated or corrupt image is counted under its ``image/...`` reason and
    the transform returns None, so the dataset fetches another sample in training.
    Accepts :class:`mmcv.transforms.LoadImageFromFile`'s arguments.

    It is also ``LoadImageFromFile`` in the mmpose6d scope (as mmyolo's ``LoadAnnotations``
    is in mmyolo's), the name the configs give it: mmdet's ``DetInferencer`` swaps the step of
    that name for its ``InferencerLoader``, which reads files with it.
    """

    def transform(self, results):
        path = results.get('img_path')
        if 'img_bytes' in results:
            data, reason = results.pop('img_bytes'), ''
        else:
            data, reason = read_image_bytes(path, self.backend_args)
        img, reason = (None, reason) if reason else decode_image(data, self.color_type,
                                                                 self.imdecode_backend)
        if img is None:
            SKIPS.add(reason, f'{path}: image skipped ({reason})')
            return None
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadPoseAnnotations(LoadAnnotations):
    """mmdet's :class:`LoadAnnotations` plus the faces' landmarks.

    Adds ``gt_landmarks`` (N,68,2) float32, NaN-padded (5-point faces fill rows 0-4, unlabelled
    faces stay NaN) and ``gt_num_landmarks`` (N,) int64 in {0, 5, 68} from each instance's
    ``landmarks`` ((P,2) or None).
    """

    def __init__(self, with_landmarks=True, **kwargs):
        super().__init__(**kwargs)
        self.with_landmarks = with_landmarks

    def transform(self, results):
        results = super().transform(results)
        if self.with_landmarks:
            self._load_landmarks(results)
        return results

    def _load_landmarks(self, results):
        faces = [inst.get('landmarks') for inst in results.get('instances', [])]
        num = np.array([0 if lm is None else len(lm) for lm in faces], np.int64)
        landmarks = np.full((len(faces), 68, 2), np.nan, np.float32)
        for p in (5, 68):
            rows = np.flatnonzero(num == p)
            if len(rows):
                landmarks[rows, :p] = np.stack([faces[i] for i in rows])
        results['gt_landmarks'] = landmarks
        results['gt_num_landmarks'] = num

    def __repr__(self):
        return f'{super().__repr__()[:-1]}, with_landmarks={self.with_landmarks})'
