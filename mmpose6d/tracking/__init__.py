"""Faces followed through video: the One Euro filter of poses and the face tracker. Imports
neither mmdet nor mmcv."""
from .face_tracker import ROTATION_FILTER, TRANSLATION_FILTER, FaceTracker, euler_key
from .one_euro import (OneEuroFilter, PoseOneEuroFilter, RotationOneEuroFilter,
                       TranslationOneEuroFilter, smoothing_factor)

__all__ = [
    'OneEuroFilter', 'RotationOneEuroFilter', 'TranslationOneEuroFilter', 'PoseOneEuroFilter',
    'smoothing_factor', 'FaceTracker', 'euler_key', 'ROTATION_FILTER', 'TRANSLATION_FILTER'
]
