"""Euler angles continued from frame to frame (``continuous_euler``) through |yaw| > 90 and
the +-180 wrap of each angle, and the tangent steps between rotations (``relative_rotvec``,
``compose_rotvec``) the pose filters use."""
import numpy as np
import pytest
import torch

from mmpose6d.geometry import (compose_rotvec, continuous_euler, euler_to_matrix, euler_to_rotvec,
                               relative_rotvec, rotation_angle_deg, rotvec_to_euler, wrap_degrees)


def follow(path):
    """The continuous angles of the rotations of ``path`` (T,N,3) seen one frame at a time,
    starting from the first frame's own angles; and the per-frame angles
    (:func:`rotvec_to_euler`)."""
    per_frame = np.stack([rotvec_to_euler(euler_to_rotvec(step)) for step in path])
    out = [per_frame[0]]
    for angles in per_frame[1:]:
        out.append(continuous_euler(angles, out[-1]))
    return np.stack(out), per_frame


def test_the_two_triples_of_a_rotation_are_equal():
    rng = np.random.default_rng(0)
    euler = rng.uniform(-180, 180, (1000, 3))
    other = np.column_stack([euler[:, 0] + 180, 180 - euler[:, 1], euler[:, 2] + 180])
    np.testing.assert_allclose(euler_to_matrix(other), euler_to_matrix(euler), atol=1e-14)


def test_yaw_through_90_and_back():
    """Yaw 80 -> 100 -> 80 (steps of 0.7 degrees) with pitch and roll: the per-frame angles
    flip (pitch and roll by 180, yaw mirrored at 90); the continuous ones are the path."""
    yaw = np.r_[np.arange(80, 100, 0.7), np.arange(100, 79.9, -0.7)]
    path = np.stack([np.full_like(yaw, 12.0), yaw, np.full_like(yaw, -25.0)], 1)[:, None]
    path = np.concatenate([path, path * [-1, -1, 1]], 1)  # a second face: yaw -80 -> -100
    continuous, per_frame = follow(path)
    np.testing.assert_allclose(continuous, path, atol=1e-9)
    beyond = np.abs(path[:, 0, 1]) > 90
    assert beyond.sum() == 29
    assert np.abs(per_frame[:, :, 1]).max() <= 90
    np.testing.assert_allclose(np.abs(wrap_degrees(per_frame[beyond] - path[beyond])[..., 0]),
                               180, atol=1e-9)


@pytest.mark.parametrize('axis', [0, 2], ids=['pitch', 'roll'])
def test_pitch_and_roll_run_past_180(axis):
    """Pitch or roll 150 -> 230 (yaw 20): the per-frame angle wraps to -180; the continuous
    one goes on to 230."""
    path = np.zeros((81, 1, 3))
    path[:, 0, 1] = 20
    path[:, 0, axis] = np.arange(150, 231)
    continuous, per_frame = follow(path)
    np.testing.assert_allclose(continuous, path, atol=1e-9)
    assert per_frame[:, 0, axis].min() == pytest.approx(-179)


def test_two_full_turns_of_yaw():
    """Yaw 0 -> 720 in steps of 5 degrees with pitch and roll small: two whole turns, each
    angle continuous (no 180 flips of pitch and roll)."""
    yaw = np.arange(0, 721, 5.0)
    path = np.stack([np.full_like(yaw, 5.0), yaw, np.full_like(yaw, -8.0)], 1)[:, None]
    path[:, 0, 1] += 0.5  # never exactly at +-90, where pitch and roll are not defined
    continuous, _ = follow(path)
    np.testing.assert_allclose(continuous, path, atol=1e-9)


def test_gimbal_lock():
    """At yaw +90 only pitch - roll is defined, at yaw -90 only pitch + roll: triples that
    agree in it are one rotation (``continuous_euler``'s docstring)."""
    for first, second in (([10.0, 90.0, 20.0], [15.0, 90.0, 25.0]),
                          ([10.0, -90.0, 20.0], [15.0, -90.0, 15.0])):
        np.testing.assert_allclose(euler_to_matrix(np.array([first])),
                                   euler_to_matrix(np.array([second])), atol=1e-15)


def test_tangent_steps_round_trip():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, (50, 3))
    steps = rng.normal(0, 0.5, (50, 3))
    b = compose_rotvec(a, steps)
    np.testing.assert_allclose(relative_rotvec(a, b), steps, atol=1e-12)
    np.testing.assert_allclose(np.rad2deg(np.linalg.norm(steps, axis=1)),
                               rotation_angle_deg(a, b), atol=1e-9)


def test_tensors_keep_dtype_and_device():
    euler = torch.zeros(4, 3, dtype=torch.float32, device='meta')
    out = continuous_euler(euler, euler)
    assert out.device.type == 'meta' and out.dtype == torch.float32
    rotvecs = torch.zeros(4, 3, dtype=torch.float64, device='meta')
    assert relative_rotvec(rotvecs, rotvecs).device.type == 'meta'
    assert compose_rotvec(rotvecs, rotvecs).device.type == 'meta'
    previous = torch.tensor([[0.0, 100.0, 0.0]])
    assert continuous_euler(torch.tensor([[180.0, 80.0, 180.0]]), previous).tolist() == \
        [[0.0, 100.0, 0.0]]
