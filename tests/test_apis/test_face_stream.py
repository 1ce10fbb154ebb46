"""Img2PoseInferencer.stream on a random model: the fields of each frame's tracked faces and
their shapes, the smoothed boxes and landmarks recomputed from the smoothed poses, IDs,
smoothing off, the user's camera poses, reset, drawing and bad frames."""
import numpy as np
import pytest
from img2pose_checkpoint import REPO, write_random_img2pose

from mmpose6d.apis import FaceStream, Img2PoseInferencer
from mmpose6d.geometry import image_intrinsics, pose_to_bbox, project_points

TRACK_KEYS = {'track_ids', 'ages', 'hits', 'smoothed_poses', 'continuous_euler',
              'smoothed_bboxes', 'smoothed_landmarks', 'smoothed_landmarks5'}


@pytest.fixture(scope='module')
def inferencer(tmp_path_factory):
    config, checkpoint = write_random_img2pose(tmp_path_factory.mktemp('model'))
    return Img2PoseInferencer(str(config), str(checkpoint), device='cpu', show_progress=False)


@pytest.fixture(scope='module')
def frames():
    """Three frames of a 'video': one noise image, then the same image shifted by 2 and 4
    pixels."""
    image = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    return [np.roll(image, 2 * k, axis=1) for k in range(3)]


def test_fields_and_shapes(inferencer, frames):
    stream = inferencer.stream(pred_score_thr=0)
    assert isinstance(stream, FaceStream)
    ref68 = np.load(REPO / 'pose_references' / 'ref68.npy').astype(np.float32)
    k_img = image_intrinsics(160, 120)
    for frame in frames:
        faces = stream(frame)
        n = len(faces['track_ids'])
        assert n == 5  # the random model's five detections, each starting or continuing
        assert TRACK_KEYS <= set(faces) and {'poses', 'bboxes', 'euler', 'scores'} <= set(faces)
        shapes = dict(track_ids=(n, ), ages=(n, ), hits=(n, ), scores=(n, ), poses=(n, 6),
                      smoothed_poses=(n, 6), continuous_euler=(n, 3), bboxes=(n, 4),
                      smoothed_bboxes=(n, 4), smoothed_landmarks=(n, 68, 2),
                      smoothed_landmarks5=(n, 5, 2))
        assert {k: faces[k].shape for k in shapes} == shapes
        assert faces['track_ids'].dtype == np.int64
        assert faces['smoothed_poses'].dtype == np.float64
        assert len(set(faces['track_ids'].tolist())) == n
        np.testing.assert_allclose(faces['smoothed_landmarks'],
                                   project_points(ref68, faces['smoothed_poses'], k_img),
                                   rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(faces['smoothed_bboxes'],
                                   pose_to_bbox(faces['smoothed_poses'], [160, 120], ref68),
                                   atol=1e-6)
    assert 1 <= faces['ages'].min() and faces['ages'].max() <= 3


def test_a_still_video_is_not_changed(inferencer, frames):
    """The same frame again and again: the same detections, so the smoothed poses are the
    detected ones and every track goes on with its ID."""
    stream = inferencer.stream(pred_score_thr=0)
    for k in range(3):
        faces = stream(frames[0])
        np.testing.assert_allclose(faces['smoothed_poses'], faces['poses'], atol=1e-6)
        assert sorted(faces['track_ids'].tolist()) == [1, 2, 3, 4, 5]
        assert (faces['hits'] == k + 1).all()


def test_smoothing_off_and_reset(inferencer, frames):
    stream = inferencer.stream(pred_score_thr=0, smooth=False)
    for frame in frames:
        faces = stream(frame)
        np.testing.assert_array_equal(faces['smoothed_poses'], faces['poses'])
    stream.reset()
    assert sorted(stream(frames[0])['track_ids'].tolist()) == [1, 2, 3, 4, 5]


def test_poses_in_the_users_camera_are_tracked_too(inferencer):
    """A prediction carrying ``camera_poses`` and their metric translation (the inferencer
    with a camera, here 70 mm per unit): they are smoothed, get continuous angles and a
    smoothed metric translation beside the model's poses."""
    rng = np.random.default_rng(1)
    stream = inferencer.stream()
    for t in range(3):
        poses = np.array([[0.1, 0.2, 0.0, 0.1, 0.0, 8.0]]) + rng.normal(0, 0.01, (1, 6))
        camera_poses = poses + [0, 0, 0, 0.5, 0, 1]
        prediction = dict(ori_shape=[120, 160], bboxes=[[40.0, 30.0, 90.0, 100.0]],
                          scores=[0.9], labels=[0], poses=poses.tolist(),
                          camera_poses=camera_poses.tolist(),
                          translation_mm=(70 * camera_poses[:, 3:]).tolist(),
                          distance_mm=(70 * np.linalg.norm(camera_poses[:, 3:], axis=1)))
        faces = stream.track(prediction, timestamp=0.04 * t)
    assert faces['smoothed_camera_poses'].shape == (1, 6)
    assert faces['continuous_camera_euler'].shape == (1, 3)
    assert faces['camera_poses'].shape == (1, 6)
    assert np.abs(faces['smoothed_camera_poses'] - camera_poses).max() > 1e-3
    np.testing.assert_allclose(faces['smoothed_translation_mm'],
                               70 * faces['smoothed_camera_poses'][:, 3:])
    np.testing.assert_allclose(faces['smoothed_distance_mm'],
                               np.linalg.norm(faces['smoothed_translation_mm'], axis=1))
    with pytest.raises(ValueError, match="pose_keys must include 'poses'"):
        inferencer.stream(pose_keys=('camera_poses', ))


def test_inferencer_with_a_camera(inferencer, frames):
    """An inferencer given a camera: its faces' ``camera_poses`` are tracked by default and
    their metric distance smoothed (a still frame: equal to the detected one)."""
    with_camera = Img2PoseInferencer(inferencer.cfg, inferencer.weights, device='cpu',
                                     show_progress=False, camera=(200.0, 200.0, 80.0, 60.0))
    stream = with_camera.stream(pred_score_thr=0)
    for _ in range(2):
        faces = stream(frames[0])
    assert stream.tracker.pose_keys == ('poses', 'camera_poses')
    assert faces['smoothed_camera_poses'].shape == faces['camera_poses'].shape == (5, 6)
    np.testing.assert_allclose(faces['smoothed_camera_poses'], faces['camera_poses'],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(faces['smoothed_distance_mm'], faces['distance_mm'], rtol=1e-5)


def test_draw_and_bad_frames(inferencer, frames):
    stream = inferencer.stream(pred_score_thr=0)
    faces = stream(frames[0])
    drawn = stream.draw(frames[0], faces)
    assert drawn.shape == frames[0].shape and drawn.dtype == np.uint8
    assert (np.abs(drawn.astype(int) - frames[0]).max(2) > 40).sum() > 200
    with pytest.raises(ValueError, match=r'frame must be a BGR image array \(H, W, 3\), got '
                       r'ndarray of shape \(120, 160\)'):
        stream(frames[0][..., 0])
    with pytest.raises(ValueError, match='timestamp 0.0 is not after'):
        stream(frames[0], timestamp=0.0)
