from .img2pose import Img2Pose

__all__ = ['Img2Pose']
