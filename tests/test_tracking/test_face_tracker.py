"""FaceTracker: IDs through crossing faces and short misses, tracks ended after
``max_misses``, new tracks by score, continuous Euler angles, the pose array it tracks, and
clear errors for bad input."""
import numpy as np
import pytest

from mmpose6d.geometry import FaceModel, euler_to_rotvec
from mmpose6d.tracking import FaceTracker

IMAGE_WH = (640, 480)
FACE_MODEL = FaceModel()
FOCAL = sum(IMAGE_WH)


def pose_at(u, v, size, euler):
    """A global pose (6,) of a face of about ``size`` px whose reference origin projects to
    pixel (u, v), with Euler angles ``euler`` (degrees)."""
    tz = FOCAL * 1.8 / size  # the default reference is about 1.8 units high
    return np.r_[euler_to_rotvec(np.asarray([euler], np.float64))[0],
                 (u - IMAGE_WH[0] // 2) * tz / FOCAL, (v - IMAGE_WH[1] // 2) * tz / FOCAL, tz]


def faces_of(poses, scores=None):
    """The detections of poses (N,6): boxes by the box rule, scores."""
    poses = np.asarray(poses, np.float64).reshape(-1, 6)
    scores = np.full(len(poses), 0.9) if scores is None else np.asarray(scores, np.float64)
    return dict(bboxes=FACE_MODEL.boxes(poses, IMAGE_WH), scores=scores, poses=poses)


def crossing(frame):
    """Two faces crossing: A moves right turned to yaw +40, B left at yaw -40, slightly
    farther; their boxes coincide at frame 18 (IoU 0.9). B is hidden behind A at frames 19
    and 20."""
    a = pose_at(160 + 8 * frame, 240, 100, [0, 40, 0])
    b = pose_at(480 - 8 * frame, 240, 96, [5, -40, 0])
    return [a] if frame in (19, 20) else [a, b]


def ids_of_faces(tracker, frames):
    """The track ID given to each face (A, B) in each frame (-1 where it was hidden)."""
    ids = []
    for frame in range(frames):
        out = tracker.update(faces_of(crossing(frame)))
        ids.append(np.r_[out['track_ids'], -1][:2])
    return np.array(ids)


def test_crossing_faces_keep_their_ids():
    ids = ids_of_faces(FaceTracker(), 40)
    assert (ids[:, 0] == 1).all()
    assert (ids[[19, 20], 1] == -1).all()
    assert (np.delete(ids[:, 1], [19, 20]) == 2).all()


def test_box_overlap_alone_swaps_them():
    """Without the pose term (no angle gate, a negligible angle cost) the boxes alone decide:
    the IDs swap where the boxes coincide and stay swapped."""
    ids = ids_of_faces(FaceTracker(max_angle=180, angle_scale=1e9), 40)
    assert (ids[:18] == [1, 2]).all() and (ids[18:, 0] == 2).all()
    assert (np.delete(ids[18:, 1], [1, 2]) == 1).all()


@pytest.mark.parametrize('max_misses', [0, 3])
def test_ids_survive_up_to_max_misses(max_misses):
    """A face missed ``max_misses`` frames in a row keeps its ID; one more miss ends the track
    and the face comes back with a new ID."""
    face = faces_of([pose_at(320, 240, 120, [0, 10, 0])])
    nothing = faces_of(np.zeros((0, 6)))
    tracker = FaceTracker(max_misses=max_misses)
    assert tracker.update(face)['track_ids'].tolist() == [1]
    for miss in range(1, max_misses + 1):
        assert tracker.update(nothing)['track_ids'].tolist() == []
        assert tracker.tracks()['misses'].tolist() == [miss]
    assert tracker.update(face)['track_ids'].tolist() == [1]
    assert tracker.tracks()['hits'].tolist() == [2]
    assert tracker.tracks()['ages'].tolist() == [max_misses + 2]
    for _ in range(max_misses + 1):
        tracker.update(nothing)
    assert len(tracker) == 0
    assert tracker.update(face)['track_ids'].tolist() == [2]


def test_new_tracks_need_the_score_old_ones_do_not():
    tracker = FaceTracker(new_track_score=0.5)
    poses = [pose_at(200, 240, 120, [0, 10, 0]), pose_at(450, 240, 120, [0, -10, 0])]
    out = tracker.update(faces_of(poses, [0.9, 0.3]))
    assert out['indices'].tolist() == [0] and out['track_ids'].tolist() == [1]
    out = tracker.update(faces_of(poses, [0.3, 0.3]))  # the track goes on at 0.3
    assert out['indices'].tolist() == [0] and out['track_ids'].tolist() == [1]
    assert tracker.tracks()['scores'].tolist() == [0.3]


def test_gates():
    """A detection turned more than ``max_angle`` from a track, or overlapping it under
    ``min_iou``, starts a new track."""
    tracker = FaceTracker(max_angle=30)
    tracker.update(faces_of([pose_at(320, 240, 120, [0, 0, 0])]))
    assert tracker.update(faces_of([pose_at(320, 240, 120, [0, 35, 0])]))['track_ids'] == [2]
    tracker = FaceTracker(min_iou=0.5)
    tracker.update(faces_of([pose_at(320, 240, 120, [0, 0, 0])]))
    assert tracker.update(faces_of([pose_at(400, 240, 120, [0, 0, 0])]))['track_ids'] == [2]


def test_euler_angles_continue_through_yaw_90():
    """A face turning yaw 70 -> 110 -> 70: the detections' own angles (|yaw| <= 90) flip
    pitch and roll by 180 past 90; the track's continue (without smoothing: exactly the
    path; with it: a lagging copy, never flipping)."""
    yaw = np.r_[np.arange(70.5, 110, 2.0), np.arange(109.5, 70, -2.0)]  # never at 90
    path = np.stack([np.full_like(yaw, 8.0), yaw, np.full_like(yaw, -12.0)], 1)
    for smooth in (False, True):
        tracker = FaceTracker(smooth=smooth)
        out = np.array([tracker.update(faces_of([pose_at(320, 240, 120, euler)]))
                        ['continuous_euler'][0] for euler in path])
        if not smooth:
            np.testing.assert_allclose(out, path, atol=1e-9)
        else:
            assert out[:, 1].max() > 100 and np.abs(out[:, [0, 2]] - path[:, [0, 2]]).max() < 1
            assert np.abs(np.diff(out, axis=0)).max() < 3  # steps of 2 in, no flips out


def test_tracks_the_pose_array_named():
    """``pose_keys``: poses in the user's camera alone, or both; each is smoothed and gets
    continuous angles."""
    rng = np.random.default_rng(0)
    poses = np.stack([pose_at(320, 240, 120, [0, 10, 0])] * 5)
    poses = poses + rng.normal(0, 0.02, poses.shape)
    camera_poses = poses + [0, 0, 0.1, 0.3, 0, 0]
    alone = FaceTracker(pose_keys=('camera_poses', ))
    both = FaceTracker(pose_keys=('poses', 'camera_poses'))
    for pose, camera_pose in zip(poses, camera_poses):
        faces = dict(faces_of([pose]), camera_poses=camera_pose[None])
        faces_alone = {k: v for k, v in faces.items() if k != 'poses'}
        out_alone, out_both = alone.update(faces_alone), both.update(faces)
    assert set(out_alone) == {'indices', 'track_ids', 'ages', 'hits', 'smoothed_camera_poses',
                              'continuous_camera_euler'}
    np.testing.assert_allclose(out_both['smoothed_camera_poses'],
                               out_alone['smoothed_camera_poses'])
    assert np.abs(out_both['smoothed_poses'] - poses[-1]).max() > 1e-3  # smoothed
    assert out_both['continuous_euler'].shape == out_both['continuous_camera_euler'].shape == \
        (1, 3)


def test_without_smoothing_the_poses_are_the_detections():
    rng = np.random.default_rng(1)
    tracker = FaceTracker(smooth=False)
    for frame in range(5):
        poses = np.stack([pose_at(200, 240, 100, [0, 10, 0]),
                          pose_at(450, 240, 100, [0, -10, 0])])
        poses = poses + rng.normal(0, 0.01, poses.shape)
        out = tracker.update(faces_of(poses))
        np.testing.assert_array_equal(out['smoothed_poses'], poses)
        assert out['track_ids'].tolist() == [1, 2] and out['ages'].tolist() == [frame + 1] * 2


@pytest.mark.parametrize('smooth', [True, False])
def test_frames_without_faces(smooth):
    """Empty frames, the first ones included, give empty outputs of the right shapes."""
    tracker = FaceTracker(smooth=smooth)
    nothing = faces_of(np.zeros((0, 6)))
    for faces in (nothing, nothing, faces_of([pose_at(320, 240, 120, [0, 10, 0])]), nothing):
        out = tracker.update(faces)
    assert out['smoothed_poses'].shape == (0, 6) and out['continuous_euler'].shape == (0, 3)
    assert tracker.tracks()['misses'].tolist() == [1]


def test_timestamps_and_reset():
    tracker = FaceTracker()
    face = faces_of([pose_at(320, 240, 120, [0, 10, 0])])
    tracker.update(face, timestamp=2.0)
    with pytest.raises(ValueError, match=r'timestamp 2.0 is not after the previous frame'):
        tracker.update(face, timestamp=2.0)
    tracker.reset()
    assert tracker.update(face, timestamp=0.0)['track_ids'].tolist() == [1]


def test_bad_faces_are_named():
    tracker = FaceTracker()
    face = faces_of([pose_at(320, 240, 120, [0, 10, 0])])
    with pytest.raises(KeyError, match='faces lack poses'):
        tracker.update({k: v for k, v in face.items() if k != 'poses'})
    with pytest.raises(ValueError, match=r"faces\['bboxes'\] must be \(1, 4\)"):
        tracker.update(dict(face, bboxes=np.zeros((2, 4))))
    with pytest.raises(ValueError, match='pose_keys must be a sequence'):
        FaceTracker(pose_keys='poses')
    with pytest.raises(ValueError, match='min_cutoff must be'):
        FaceTracker(rotation_filter=dict(min_cutoff=0))
