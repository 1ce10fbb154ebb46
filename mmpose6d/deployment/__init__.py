"""Deployment: ONNX export of img2pose with its post-processing, and an onnxruntime runner."""
from .export import Img2PoseExportModel, export_onnx
from .onnx_ops import nms, roi_align_boxes
from .runtime import OnnxImg2Pose, build_model, compare_detections, predict_pytorch, read_image

__all__ = ['Img2PoseExportModel', 'export_onnx', 'nms', 'roi_align_boxes', 'OnnxImg2Pose',
           'build_model', 'compare_detections', 'predict_pytorch', 'read_image']
