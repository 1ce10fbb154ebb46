"""Drawing of poses and landmarks on images (cv2 only; no mmdet needed)."""
from .draw import draw_points, draw_pose_axes

__all__ = ['draw_points', 'draw_pose_axes']
