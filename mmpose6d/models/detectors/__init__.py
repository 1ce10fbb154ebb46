from .img2pose import Img2Pose, resolve_channels_last

__all__ = ['Img2Pose', 'resolve_channels_last']
