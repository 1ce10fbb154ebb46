from .local_pose_coder import LocalPoseCoder

__all__ = ['LocalPoseCoder']
