"""The img2pose geometry core (``docs/geometry.md``), vectorised over faces.

One dispatch rule: each formula is written once in torch and decorated with
:func:`numpy_or_torch`, so numpy arrays in give numpy out and tensors in give
(differentiable) tensors out. The exceptions go through numpy: the PnP labels
(:mod:`.pnp`, OpenCV's solver), box voting (:mod:`.voting`, a greedy loop) and the user's
camera (:mod:`.camera`, OpenCV's distortion model; its pose solver gives tensors, not
differentiable, for tensors, on their device).
The torch cores (``*_t``) are private to this package; everything else imports the names
below. :class:`FaceModel` holds what the formulas are applied with: the face's 3D
references and box rule.
"""
from ._backend import numpy_or_torch, to_numpy
from .boxes import box_iou
from .camera import (ADULT_IPD_MM, ADULT_IPD_SD_MM, Camera, CameraImageSizeError,
                     interpupillary_distance, millimetres_per_unit, poses_in_camera)
from .face_model import FaceModel
from .flip import (FLIP_PERM_5, FLIP_PERM_68, flip_boxes, flip_landmarks, flip_permutation,
                   flip_poses)
from .pnp import (SOLVE_IN, check_solve_in, global_pose_from_landmarks, image_pose_from_landmarks,
                  labels_from_landmarks, pose_from_landmarks)
from .pose import (image_intrinsics, landmarks_to_bbox, local_intrinsics, pose_bbox_to_full_image,
                   pose_full_image_to_bbox, pose_to_bbox, project_points)
from .rotation import (compose_rotvec, continuous_euler, euler_to_matrix, euler_to_rotvec,
                       matrix_to_euler, matrix_to_rotvec, nearest_rotation, relative_rotvec,
                       rotation_angle_deg, rotvec_to_euler, rotvec_to_matrix, wrap_degrees)
from .voting import bbox_voting

__all__ = [
    'numpy_or_torch', 'to_numpy', 'box_iou', 'image_intrinsics', 'local_intrinsics',
    'pose_bbox_to_full_image', 'pose_full_image_to_bbox', 'project_points', 'landmarks_to_bbox',
    'pose_from_landmarks', 'global_pose_from_landmarks', 'image_pose_from_landmarks',
    'labels_from_landmarks', 'SOLVE_IN', 'check_solve_in',
    'pose_to_bbox', 'FaceModel', 'rotvec_to_euler',
    'euler_to_rotvec', 'euler_to_matrix', 'matrix_to_euler', 'rotvec_to_matrix',
    'matrix_to_rotvec', 'nearest_rotation', 'rotation_angle_deg', 'wrap_degrees',
    'relative_rotvec', 'compose_rotvec', 'continuous_euler',
    'bbox_voting', 'FLIP_PERM_5', 'FLIP_PERM_68', 'flip_permutation', 'flip_boxes',
    'flip_landmarks', 'flip_poses', 'Camera', 'CameraImageSizeError', 'poses_in_camera',
    'interpupillary_distance',
    'millimetres_per_unit', 'ADULT_IPD_MM', 'ADULT_IPD_SD_MM'
]
