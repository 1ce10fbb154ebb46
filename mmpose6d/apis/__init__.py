"""High-level inference APIs."""
from .img2pose_inferencer import Img2PoseInferencer

__all__ = ['Img2PoseInferencer']
