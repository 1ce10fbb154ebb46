from .img2pose_tta import Img2PoseTTAModel, merge_poses

__all__ = ['Img2PoseTTAModel', 'merge_poses']
