from .pose_head import PoseHead

__all__ = ['PoseHead']
