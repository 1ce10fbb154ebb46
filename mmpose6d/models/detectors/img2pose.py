"""The img2pose detector: Faster R-CNN whose RoI head predicts a 6DoF pose per face."""
from mmdet.models.detectors import TwoStageDetector

from mmpose6d.registry import MODELS


@MODELS.register_module()
class Img2Pose(TwoStageDetector):
    """A two-stage detector (backbone, FPN, RPN, :class:`PoseRoIHead`).

    Predictions carry ``pred_instances.poses`` (N,6): global poses ``[rx, ry, rz, tx, ty, tz]``
    in the camera ``K_img`` of the original image (f = w + h), besides boxes (the projected
    68-point reference), scores and labels.
    """
