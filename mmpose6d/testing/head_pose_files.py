"""Synthetic AFLW2000-3D and BIWI samples with known poses, in the real file layouts.

A face is the 68 reference points projected with a known global pose (``K_img``, f = w + h)
and drawn as dots on a noise image. The pose's rotation is built from chosen AFLW angles by
:func:`~mmpose6d.geometry.euler_to_matrix`, so the files carry the
angles through the benchmarks' own conventions (radians in ``Pose_Para``, BIWI's matrix)
and a reader or metric that gets a convention wrong does not return them. For tests and for
checking a pipeline before the real data is at hand.
"""
import os.path as osp
from pathlib import Path

import cv2
import numpy as np

from mmpose6d.geometry import euler_to_matrix, euler_to_rotvec, image_intrinsics, project_points


def known_pose(angles, centre_uv, distance, width, height):
    """Global pose (6,) with AFLW (pitch, yaw, roll) ``angles`` in degrees whose reference
    origin projects to pixel ``centre_uv`` at depth ``distance`` (reference units)."""
    rotvec = euler_to_rotvec(np.asarray(angles, np.float64).reshape(1, 3))[0]
    ray = np.linalg.solve(image_intrinsics(width, height), [centre_uv[0], centre_uv[1], 1.0])
    return np.concatenate([rotvec, ray * distance])


def face_image(landmarks, width, height, seed=0):
    """BGR noise image (height, width, 3) with ``landmarks`` (P,2) drawn as white dots."""
    img = np.random.default_rng(seed).integers(0, 200, (height, width, 3), np.uint8)
    for u, v in np.round(landmarks).astype(int):
        cv2.circle(img, (int(u), int(v)), 2, (255, 255, 255), -1)
    return img


def _project(pose, reference68, width, height):
    pose = np.asarray(pose, np.float64)
    return project_points(reference68, pose[None], image_intrinsics(width, height))[0]


def write_aflw_sample(folder, name, angles, pose, reference68, width=450, height=450, seed=0):
    """Write ``<folder>/<name>.jpg`` and ``.mat`` for a face of global ``pose`` whose gt
    angles are ``angles`` (degrees); returns the gt box (the 68 points' extent).

    ``pt3d_68``: x, y the projected pixels, z the camera depth relative to the pose's, in
    pixels (unused by the protocol). ``Pose_Para``: the angles in radians, then the
    weak-perspective stand-ins tx = u, ty = h - v of the face origin, tz = 0,
    scale = f / t_z (unused).
    """
    from scipy.io import savemat
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pose = np.asarray(pose, np.float64)
    uv = _project(pose, reference68, width, height)
    f = float(width + height)
    rot = euler_to_matrix(np.asarray(angles, np.float64).reshape(1, 3))[0]
    depth = (reference68 @ rot.T)[:, 2] * f / pose[5]
    centre = _project(pose, np.zeros((1, 3)), width, height)[0]
    para = np.r_[np.radians(angles), centre[0], height - centre[1], 0.0, f / pose[5]]
    savemat(str(folder / f'{name}.mat'),
            {'pt3d_68': np.vstack([uv.T, depth[None]]), 'Pose_Para': para[None]})
    cv2.imwrite(str(folder / f'{name}.jpg'), face_image(uv, width, height, seed))
    return np.concatenate([uv.min(0), uv.max(0)])


def write_biwi_sample(root, subject, frame, angles, pose, reference68, width=640, height=480,
                      seed=0):
    """Write ``<root>/<subject:02d>/frame_<frame:05d>_rgb.png`` and ``_pose.txt`` for a face
    of global ``pose`` (rotation built from ``angles``): the file's matrix is the pose
    rotation (rows, as BIWI writes them), the translation ``t`` in mm (reference units are
    decimetres). Returns the base path (without ``_rgb.png``)."""
    base = osp.join(str(root), f'{int(subject):02d}', f'frame_{int(frame):05d}')
    Path(base).parent.mkdir(parents=True, exist_ok=True)
    pose = np.asarray(pose, np.float64)
    rot = euler_to_matrix(np.asarray(angles, np.float64).reshape(1, 3))[0]
    rows = [' '.join(f'{v:.9g}' for v in row) + ' ' for row in rot]
    trans = ' '.join(f'{v:.9g}' for v in pose[3:] * 100) + ' '
    Path(f'{base}_pose.txt').write_text('\n'.join(rows) + '\n\n' + trans + '\n')
    uv = _project(pose, reference68, width, height)
    cv2.imwrite(f'{base}_rgb.png', face_image(uv, width, height, seed))
    return base
