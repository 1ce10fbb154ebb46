"""Drawing of boxes, poses, landmarks and meshes on images, and the img2pose visualizer."""
from .draw import draw_boxes, draw_mesh, draw_points, draw_pose_axes, reference_triangles
from .local_visualizer import Img2PoseLocalVisualizer

__all__ = [
    'draw_boxes', 'draw_points', 'draw_pose_axes', 'draw_mesh', 'reference_triangles',
    'Img2PoseLocalVisualizer'
]
