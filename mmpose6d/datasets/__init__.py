"""img2pose datasets (JSON and LMDB), their validation and the pose transforms."""
from .face300wlp_dataset import Face300WLPDataset
from .head_pose_datasets import AFLW2000Dataset, BIWIDataset
from .img2pose_dataset import Img2PoseDataset, Img2PoseLMDBDataset
from .skip_counter import SKIPS, SkipCounter
from .transforms import *  # noqa: F401,F403

__all__ = [
    'AFLW2000Dataset', 'BIWIDataset', 'Face300WLPDataset', 'Img2PoseDataset',
    'Img2PoseLMDBDataset', 'SKIPS', 'SkipCounter'
]
