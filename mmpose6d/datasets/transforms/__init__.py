"""Registered transforms acting on images, boxes, landmarks and poses together."""
from .formatting import POSE_META_KEYS, PackPoseDetInputs
from .geometric import PoseResize, RandomPoseCrop, RandomPoseFlip, TorchvisionResize
from .loading import LoadPoseAnnotations, LoadPoseImage
from .photometric import PhotometricNoise
from .pose_labels import BoxesFromPoses, PoseLabelsFromLandmarks

__all__ = [
    'LoadPoseImage', 'LoadPoseAnnotations', 'RandomPoseCrop', 'RandomPoseFlip', 'PoseResize',
    'TorchvisionResize',
    'PhotometricNoise', 'PoseLabelsFromLandmarks', 'BoxesFromPoses', 'PackPoseDetInputs',
    'POSE_META_KEYS'
]
