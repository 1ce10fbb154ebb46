from .pose_heads import PoseHead
from .pose_roi_head import PoseRoIHead
from .roi_extractors import OpsRoIExtractor

__all__ = ['PoseHead', 'PoseRoIHead', 'OpsRoIExtractor']
