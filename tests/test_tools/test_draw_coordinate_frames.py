"""tools/analysis_tools/draw_coordinate_frames.py: the picture of docs/coordinates.md, and the
angle signs that page states, checked on the projected reference."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from tool_scripts import load_tool

from mmpose6d.geometry import euler_to_rotvec, image_intrinsics, project_points

REPO = Path(__file__).resolve().parents[2]
REFERENCE = np.load(REPO / 'pose_references' / 'ref68.npy')


def test_draws_both_panels_with_the_axis_colours(tmp_path, capsys):
    tool = load_tool('analysis_tools/draw_coordinate_frames.py')
    out = tmp_path / 'coordinates.jpg'
    tool.main(['--out', str(out), '--cache-dir', str(REPO / 'data' / 'cache')])
    assert f'{out}: 800 x 610' in capsys.readouterr().out
    image = cv2.imread(str(out))
    assert image.shape == (610, 800, 3)
    for panel in (image[:420], image[420:]):
        b, g, r = (panel[..., i].astype(int) for i in range(3))
        assert ((r > 180) & (g < 80) & (b < 80)).sum() > 50     # x axes
        assert ((g > 180) & (r < 80) & (b < 80)).sum() > 50     # y axes


def _projected(euler):
    """The reference's 68 points at ``euler`` (pitch, yaw, roll) 10 units in front of a
    640 x 480 image camera, on its axis."""
    pose = np.r_[euler_to_rotvec(np.array([euler], float))[0], 0, 0, 10]
    return project_points(REFERENCE, pose[None], image_intrinsics(640, 480))[0]


@pytest.mark.parametrize('angle', [25, -25])
def test_documented_angle_signs(angle):
    """Positive pitch looks up, positive yaw turns the face to its right (image left),
    positive roll tilts it to its left shoulder (its left eye corner 45 drops)."""
    frontal = _projected((0, 0, 0))
    sign = np.sign(angle)
    nose_up = frontal[30, 1] - _projected((angle, 0, 0))[30, 1]
    nose_left = frontal[30, 0] - _projected((0, angle, 0))[30, 0]
    rolled = _projected((0, 0, angle))
    left_eye_drop = rolled[45, 1] - rolled[36, 1]
    assert sign * nose_up > 3 and sign * nose_left > 3 and sign * left_eye_drop > 3
