"""Registered transforms acting on images, boxes, landmarks and poses together."""
from .formatting import POSE_META_KEYS, PackPoseDetInputs
from .geometric import (Img2PoseScaleResize, PoseResize, RandomPoseCrop, RandomPoseFlip,
                        TorchvisionResize)
from .loading import LoadPoseAnnotations, LoadPoseImage
from .local_pose_labels import PoseLabelsFromLocalPoses
from .photometric import PhotometricNoise
from .pose_labels import BoxesFromPoses, PoseLabelsFromLandmarks
from .test_time_aug import Img2PoseTestTimeAug

__all__ = [
    'LoadPoseImage', 'LoadPoseAnnotations', 'RandomPoseCrop', 'RandomPoseFlip', 'PoseResize',
    'TorchvisionResize', 'Img2PoseScaleResize', 'Img2PoseTestTimeAug',
    'PhotometricNoise', 'PoseLabelsFromLandmarks', 'PoseLabelsFromLocalPoses', 'BoxesFromPoses',
    'PackPoseDetInputs',
    'POSE_META_KEYS'
]
