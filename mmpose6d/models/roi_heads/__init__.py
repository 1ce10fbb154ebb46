from .bbox_heads import PoseBBoxHead
from .pose_roi_head import PoseRoIHead

__all__ = ['PoseBBoxHead', 'PoseRoIHead']
