"""The AFLW2000-3D / BIWI Euler conventions of :mod:`mmpose6d.geometry`: ``euler_to_matrix``
against scipy and 3DDFA, what the angles mean in the image, and Hopenet's BIWI conversion
(``matrix_to_euler``)."""
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mmpose6d.geometry import (euler_to_matrix, image_intrinsics, matrix_to_euler,
                               matrix_to_rotvec, project_points, rotvec_to_euler)
from mmpose6d.testing import known_pose

REF68 = np.load(Path(__file__).resolve().parents[2] / 'pose_references' /
                'ref68.npy')


def _matrix(angles):
    return euler_to_matrix(np.asarray(angles, np.float64).reshape(-1, 3))


F = np.diag([1.0, -1.0, -1.0])


def random_angles(n, seed=0, max_yaw=89.0):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-89, 89, n), rng.uniform(-max_yaw, max_yaw, n),
                            rng.uniform(-170, 170, n)])


def euler_of(rot):
    return rotvec_to_euler(matrix_to_rotvec(rot))


def angle2matrix_3ddfa(pitch, yaw, roll):
    """3DDFA's rotation of Pose_Para's angles (radians), as in face3d's
    ``mesh/transform.py::angle2matrix_3ddfa``: ``Rx @ Ry @ Rz`` with 3DDFA's signs."""
    c, s = np.cos, np.sin
    rx = np.array([[1, 0, 0], [0, c(pitch), s(pitch)], [0, -s(pitch), c(pitch)]])
    ry = np.array([[c(yaw), 0, -s(yaw)], [0, 1, 0], [s(yaw), 0, c(yaw)]])
    rz = np.array([[c(roll), s(roll), 0], [-s(roll), c(roll), 0], [0, 0, 1]])
    return rx @ ry @ rz


def test_aflw_angles_round_trip():
    """rotvec_to_euler inverts euler_to_matrix; M = R^T is scipy 'xyz' of
    (pitch, -yaw, -roll)."""
    angles = random_angles(500)
    rot = _matrix(angles)
    np.testing.assert_allclose(euler_of(rot), angles, atol=1e-9)
    scipy_m = Rotation.from_euler('xyz', angles * [1, -1, -1], degrees=True).as_matrix()
    np.testing.assert_allclose(np.swapaxes(rot, 1, 2), scipy_m, atol=1e-12)
    # |yaw| in (90, 99] (kept by the protocol) comes back as the equivalent triple
    back = euler_of(_matrix([[10.0, 95.0, -20.0]]))[0]
    np.testing.assert_allclose(back, [10 - 180, 85, -20 + 180], atol=1e-9)


def test_aflw_angles_match_3ddfa():
    """Our R is 3DDFA's angle2matrix(Pose_Para) conjugated by F = diag(1, -1, -1), and
    pt3d_68 made the 3DDFA way (weak perspective, y flipped into the image) is the reference
    rotated by R: the affine fit of the pixels gives back Pose_Para's angles."""
    angles = random_angles(20, seed=1)
    for pitch, yaw, roll in angles:
        r3 = angle2matrix_3ddfa(*np.radians([pitch, yaw, roll]))
        rot = _matrix([pitch, yaw, roll])[0]
        np.testing.assert_allclose(F @ r3 @ F, rot, atol=1e-12)
        # 3DDFA: s R3 X + t in its model frame (y up: our reference is F X), image v = h - y
        pts = 90.0 * r3 @ (F @ REF68.T) + [[225.0], [220.0], [0.0]]
        uv = np.column_stack([pts[0], 450 - 1 - pts[1]])
        ref_c, uv_c = REF68 - REF68.mean(0), uv - uv.mean(0)
        affine = np.linalg.lstsq(ref_c, uv_c, rcond=None)[0].T  # (2, 3) = s R[:2]
        rows = affine / np.linalg.norm(affine, axis=1, keepdims=True)
        fitted = np.stack([rows[0], rows[1], np.cross(rows[0], rows[1])])
        np.testing.assert_allclose(euler_of(fitted[None])[0], [pitch, yaw, roll], atol=1e-6)


def test_angle_meaning():
    """Positive yaw turns the nose to image left, positive pitch raises it, positive roll
    turns the eye line clockwise on screen (eye corner 45, image right, drops by the roll)."""
    width = height = 450
    k = image_intrinsics(width, height)

    def project(angles):
        return project_points(REF68, known_pose(angles, (225, 225), 10, width, height)[None],
                              k)[0]

    front = project([0, 0, 0])
    nose_shift = {name: project(a)[30] - front[30]
                  for name, a in dict(yaw=[0, 20, 0], pitch=[20, 0, 0]).items()}
    assert nose_shift['yaw'][0] < -5 and nose_shift['pitch'][1] < -5
    rolled = project([0, 0, 20])
    eye_line = rolled[45] - rolled[36]  # image-left outer eye corner -> image-right one
    assert eye_line[0] > 0 and np.degrees(np.arctan2(eye_line[1], eye_line[0])) == \
        pytest.approx(20, abs=0.5)


def test_biwi_conversion_equals_rotvec_to_euler():
    """Hopenet's conversion of a BIWI matrix = rotvec_to_euler of the same rotation, so the
    file's matrix is our R(r)."""
    rot = Rotation.random(500, random_state=3).as_matrix()
    np.testing.assert_allclose(matrix_to_euler(rot), euler_of(rot), atol=1e-9)
    angles = random_angles(50, seed=4)
    np.testing.assert_allclose(matrix_to_euler(_matrix(angles)), angles,
                               atol=1e-9)
