from .detectors import Img2Pose
from .roi_heads import PoseBBoxHead, PoseRoIHead
from .test_time_augs import Img2PoseTTAModel

__all__ = ['Img2Pose', 'PoseRoIHead', 'PoseBBoxHead', 'Img2PoseTTAModel']
