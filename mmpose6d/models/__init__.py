from .data_preprocessors import Img2PoseDataPreprocessor
from .dense_heads import Img2PoseRPNHead
from .detectors import Img2Pose
from .roi_heads import OpsRoIExtractor, PoseHead, PoseRoIHead
from .task_modules import LocalPoseCoder, MatcherAssigner, TorchvisionAnchorGenerator
from .test_time_augs import Img2PoseTTAModel

__all__ = [
    'Img2Pose', 'Img2PoseRPNHead', 'PoseRoIHead', 'PoseHead', 'OpsRoIExtractor',
    'MatcherAssigner', 'LocalPoseCoder', 'TorchvisionAnchorGenerator', 'Img2PoseTTAModel',
    'Img2PoseDataPreprocessor'
]
