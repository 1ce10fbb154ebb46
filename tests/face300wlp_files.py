"""Tiny 300W-LP trees for tests: ``<subset>/<name>.jpg`` + ``.mat`` (``Pose_Para``, ``pt2d``)
and ``landmarks/<subset>/<name>_pts.mat`` (``pts_2d``, ``pts_3d``), a face being the 68
reference points projected with a known global pose and drawn as dots on noise."""
from pathlib import Path

import cv2
import numpy as np
from scipy.io import savemat

from mmpose6d.geometry import image_intrinsics, project_points
from mmpose6d.testing import known_pose
from mmpose6d.testing.head_pose_files import face_image
from mmpose6d.utils.array_io import DEFAULT_REFERENCE68, load_reference

REF68 = load_reference(DEFAULT_REFERENCE68, 68)


def write_300wlp_sample(root, subset, name, angles, centre_uv, distance=8.0, para_angles=None,
                        width=200, height=180, pts_shape=(68, 2), seed=0):
    """Write one sample whose landmarks are ``REF68`` projected with the global pose of AFLW
    ``angles`` (degrees) centred at pixel ``centre_uv`` at depth ``distance``; its
    ``Pose_Para`` holds ``para_angles`` (default: ``angles``) in radians. ``pts_2d`` is
    stored with ``pts_shape`` ((68,2) as the archive, or (2,68)). Returns
    ``(global pose (6,), landmarks (68,2))``."""
    root = Path(root)
    pose = known_pose(angles, centre_uv, distance, width, height)
    landmarks = project_points(REF68, pose[None], image_intrinsics(width, height))[0]
    (root / subset).mkdir(parents=True, exist_ok=True)
    (root / 'landmarks' / subset).mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(root / subset / f'{name}.jpg'), face_image(landmarks, width, height, seed))
    para = np.r_[np.radians(angles if para_angles is None else para_angles), 0, 0, 0, 1e-3]
    savemat(str(root / subset / f'{name}.mat'), {'Pose_Para': para[None], 'pt2d': landmarks.T})
    points = landmarks if pts_shape == (68, 2) else landmarks.T
    savemat(str(root / 'landmarks' / subset / f'{name}_pts.mat'),
            {'pts_2d': points, 'pts_3d': points})
    return pose, landmarks
