"""img2pose datasets (JSON and LMDB), their validation and the pose transforms."""
from .head_pose_datasets import AFLW2000Dataset, BIWIDataset
from .img2pose_dataset import Img2PoseDataset, Img2PoseLMDBDataset
from .skip_counter import SKIPS, SkipCounter
from .transforms import *  # noqa: F401,F403

__all__ = [
    'AFLW2000Dataset', 'BIWIDataset', 'Img2PoseDataset', 'Img2PoseLMDBDataset', 'SKIPS',
    'SkipCounter'
]
