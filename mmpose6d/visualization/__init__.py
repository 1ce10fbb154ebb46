"""Drawing of poses, landmarks and meshes on images, and the img2pose local visualizer."""
from .draw import draw_mesh, draw_points, draw_pose_axes, reference_triangles
from .local_visualizer import Img2PoseLocalVisualizer

__all__ = [
    'draw_points', 'draw_pose_axes', 'draw_mesh', 'reference_triangles',
    'Img2PoseLocalVisualizer'
]
