from .bbox_heads import PoseBBoxHead
from .pose_roi_head import PoseRoIHead
from .roi_extractors import OpsRoIExtractor

__all__ = ['PoseBBoxHead', 'PoseRoIHead', 'OpsRoIExtractor']
