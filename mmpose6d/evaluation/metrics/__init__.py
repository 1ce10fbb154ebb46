"""mmengine metrics of mmpose6d."""
from .face_pose_metric import FacePoseMetric
from .head_pose_metric import HeadPoseMetric
from .wider_face_metric import WiderFaceMetric

__all__ = ['FacePoseMetric', 'HeadPoseMetric', 'WiderFaceMetric']
