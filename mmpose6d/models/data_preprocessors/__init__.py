from .img2pose_data_preprocessor import Img2PoseDataPreprocessor

__all__ = ['Img2PoseDataPreprocessor']
