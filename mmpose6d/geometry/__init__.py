"""The img2pose geometry core (``docs/geometry.md``), vectorised over faces.

Functions take numpy arrays and return numpy, or take tensors and return (differentiable)
tensors, from one torch-written definition.
"""
from .flip import (FLIP_PERM_5, FLIP_PERM_68, flip_boxes, flip_landmarks, flip_permutation,
                   flip_poses)
from .pnp import global_pose_from_landmarks, pose_from_landmarks
from .pose import (image_intrinsics, local_intrinsics, pose_bbox_to_full_image,
                   pose_full_image_to_bbox, pose_to_bbox, project_points)
from .rotation import (euler_to_rotvec, matrix_to_rotvec, rotation_angle_deg, rotvec_to_euler,
                       rotvec_to_matrix)
from .voting import bbox_voting

__all__ = [
    'image_intrinsics', 'local_intrinsics', 'pose_bbox_to_full_image', 'pose_full_image_to_bbox',
    'project_points', 'pose_from_landmarks', 'global_pose_from_landmarks', 'pose_to_bbox',
    'rotvec_to_euler', 'euler_to_rotvec', 'rotvec_to_matrix', 'matrix_to_rotvec',
    'rotation_angle_deg', 'bbox_voting', 'FLIP_PERM_5',
    'FLIP_PERM_68', 'flip_permutation', 'flip_boxes', 'flip_landmarks', 'flip_poses'
]
