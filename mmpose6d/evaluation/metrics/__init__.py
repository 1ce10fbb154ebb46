"""mmengine metrics of mmpose6d."""
from .face_pose_metric import FacePoseMetric
from .wider_face_metric import WiderFaceMetric

__all__ = ['FacePoseMetric', 'WiderFaceMetric']
