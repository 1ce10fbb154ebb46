"""The tracker on a synthetic sequence without a network: two heads turning and drifting
(known smooth poses), detector-like noise and dropped detections. The smoothing must cut
the jitter by a stated factor at a lag under a stated number of frames, the tracks must
keep their IDs."""
import numpy as np
import pytest

from mmpose6d.geometry import (FaceModel, compose_rotvec, euler_to_rotvec, relative_rotvec,
                               rotation_angle_deg)
from mmpose6d.tracking import FaceTracker

FPS = 30.0
FRAMES = 150
IMAGE_WH = (640, 480)
FOCAL = sum(IMAGE_WH)
#: per face: yaw, pitch, roll amplitudes (degrees), periods (s), image centre (px), drift
#: (px/s), head size (px)
HEADS = ((np.array([80, 20, 15]), np.array([5.0, 3.3, 4.1]), (200, 240), (20, 5), 130),
         (np.array([50, 15, 20]), np.array([4.3, 2.9, 3.7]), (460, 220), (-15, 8), 110))
#: detector-like noise: rotation (degrees per axis), sideways and depth (of the distance)
ROTATION_NOISE, SIDEWAYS_NOISE, DEPTH_NOISE = 3.0, 0.004, 0.03


def true_poses(times, head):
    """Poses (T,6) of a head at ``times`` (T,) seconds."""
    amplitude, period, centre, drift, size = head
    times = np.asarray(times, np.float64)
    pitch, yaw, roll = (amplitude[[1, 0, 2]] * np.sin(2 * np.pi * times[:, None] /
                                                      period[[1, 0, 2]])).T
    tz = FOCAL * 1.8 / size * (1 + 0.1 * np.sin(2 * np.pi * times / 6))
    u = centre[0] + drift[0] * times - IMAGE_WH[0] // 2
    v = centre[1] + drift[1] * times - IMAGE_WH[1] // 2
    return np.c_[euler_to_rotvec(np.stack([pitch, yaw, roll], 1)), u * tz / FOCAL,
                 v * tz / FOCAL, tz]


@pytest.fixture(scope='module')
def sequence():
    """The true poses (2,T,6) and each frame's detections: noisy poses, their boxes, with
    12 % of the detections dropped at random (44 of 300, up to 2 frames in a row)."""
    rng = np.random.default_rng(0)
    times = np.arange(FRAMES) / FPS
    truth = np.stack([true_poses(times, head) for head in HEADS])
    noisy = truth.copy()
    noise = np.deg2rad(ROTATION_NOISE) * rng.normal(size=(2 * FRAMES, 3))
    noisy[..., :3] = compose_rotvec(truth[..., :3].reshape(-1, 3), noise).reshape(2, FRAMES, 3)
    noisy[..., 3:5] += SIDEWAYS_NOISE * truth[..., 5:] * rng.normal(size=truth[..., 3:5].shape)
    noisy[..., 5] *= 1 + DEPTH_NOISE * rng.normal(size=truth[..., 5].shape)
    seen = rng.random((2, FRAMES)) > 0.12
    seen[:, 0] = True
    assert (~seen).sum() == 44
    face_model = FaceModel()
    frames = []
    for t in range(FRAMES):
        poses = noisy[seen[:, t], t]
        frames.append(dict(poses=poses, bboxes=face_model.boxes(poses, IMAGE_WH),
                           scores=np.full(len(poses), 0.9)))
    return truth, seen, frames


def figures(truth, seen, frames, **tracker_args):
    """Rotation and translation jitter (RMS frame-to-frame change of the error: degrees, in
    units of the distance), the lag (frames) that best aligns the tracked rotations with the
    truth, and the IDs given to each face."""
    tracker = FaceTracker(**tracker_args)
    outputs = [tracker.update(faces, t / FPS) for t, faces in enumerate(frames)]
    rotation_jitter, translation_jitter, ids, lag_errors = [], [], [], 0
    shifts = np.arange(0, 6.01, 0.1)
    for face in range(2):
        frames_seen = np.flatnonzero(seen[face])
        index = seen[:face, frames_seen].sum(0)  # the faces before it in the frame
        poses = np.stack([outputs[t]['smoothed_poses'][i] for t, i in zip(frames_seen, index)])
        ids.append(np.array([outputs[t]['track_ids'][i] for t, i in zip(frames_seen, index)]))
        true = truth[face, frames_seen]
        consecutive = np.diff(frames_seen) == 1
        error = np.rad2deg(relative_rotvec(true[:, :3], poses[:, :3]))
        rotation_jitter.append(np.linalg.norm(np.diff(error, axis=0), axis=1)[consecutive])
        error = (poses[:, 3:] - true[:, 3:]) / true[:, 5:]
        translation_jitter.append(np.linalg.norm(np.diff(error, axis=0), axis=1)[consecutive])
        lag_errors = lag_errors + np.array([rotation_angle_deg(
            true_poses((frames_seen - shift) / FPS, HEADS[face])[:, :3], poses[:, :3]).mean()
            for shift in shifts])

    def rms(parts):
        return np.sqrt(np.mean(np.concatenate(parts)**2))

    return rms(rotation_jitter), rms(translation_jitter), shifts[np.argmin(lag_errors)], ids


def test_smoothing_cuts_jitter_with_little_lag(sequence):
    """Measured: rotation jitter 6.96 -> 2.44 degrees/frame (2.85x), translation jitter
    4.7 -> 0.69 % of the distance per frame (6.8x), lag 0 -> 1.3 frames; every detection
    keeps its face's ID."""
    raw = figures(*sequence, smooth=False)
    smoothed = figures(*sequence)
    assert raw[2] == 0
    assert raw[0] / smoothed[0] > 2.6
    assert raw[1] / smoothed[1] > 6.0
    assert smoothed[2] <= 1.5
    for result in (raw, smoothed):
        for face, ids in enumerate(result[3]):
            assert (ids == face + 1).all()
