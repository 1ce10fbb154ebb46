from .img2pose_rpn_head import Img2PoseRPNHead

__all__ = ['Img2PoseRPNHead']
