from .pose_bbox_head import PoseBBoxHead

__all__ = ['PoseBBoxHead']
