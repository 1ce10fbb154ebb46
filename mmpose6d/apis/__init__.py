"""High-level inference APIs."""
from .face_stream import FaceStream
from .img2pose_inferencer import Img2PoseInferencer

__all__ = ['Img2PoseInferencer', 'FaceStream']
