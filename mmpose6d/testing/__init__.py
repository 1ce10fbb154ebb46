"""Test fixtures that write small files in the layouts of real datasets."""
from .head_pose_files import known_pose, write_aflw_sample, write_biwi_sample

__all__ = ['known_pose', 'write_aflw_sample', 'write_biwi_sample']
