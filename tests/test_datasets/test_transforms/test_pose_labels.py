"""PoseLabelsFromLandmarks and BoxesFromPoses."""
import numpy as np
import pytest
import torch

from mmpose6d.datasets.transforms import BoxesFromPoses, PoseLabelsFromLandmarks
from mmpose6d.geometry import (global_pose_from_landmarks, image_intrinsics, pose_to_bbox,
                               project_points)


@pytest.fixture
def labeller(synth):
    return PoseLabelsFromLandmarks(synth.face_model)


def test_labels_match_direct_pnp_and_known_poses(synth, labeller, fresh_skips):
    results = synth.results()
    boxes = results['gt_bboxes'].numpy().copy()
    before = fresh_skips.snapshot()
    out = labeller(results)
    poses = out['gt_poses']
    assert poses.dtype == np.float32 and poses.shape == (2, 6)
    assert out['gt_num_landmarks'].tolist() == [68, 5]
    expected68 = global_pose_from_landmarks(synth.landmarks(synth.pose68)[None], boxes[:1],
                                            (480, 360), synth.ref68)
    np.testing.assert_allclose(poses[:1], expected68, rtol=1e-5, atol=1e-6)
    # the box-camera PnP fit is an approximation of the true pose, close for this face
    np.testing.assert_allclose(poses[0, :3], synth.pose68[:3], atol=0.1)
    np.testing.assert_allclose(poses[0, 3:], synth.pose68[3:], rtol=0.05, atol=0.05)
    # ... and its reprojection lands near the landmarks
    reprojected = project_points(synth.ref68, poses[:1].astype(float), image_intrinsics(480, 360))
    assert np.abs(reprojected[0] - synth.landmarks(synth.pose68)).max() < 8
    assert fresh_skips.since(before) == {'label/unlabelled_face': 1}


def test_labels_solved_in_the_image_camera_are_the_true_poses(synth, fresh_skips):
    """The scene's landmarks are projected by the image camera: solved in it, both the
    68-point and the 5-point face get their exact poses back, where the box labels are off."""
    labeller = PoseLabelsFromLandmarks(synth.face_model, solve_in='image')
    assert "solve_in='image'" in repr(labeller)
    results = synth.results()
    before = fresh_skips.snapshot()
    poses = labeller(results)['gt_poses']
    assert poses.dtype == np.float32 and poses.shape == (2, 6)
    np.testing.assert_allclose(poses, np.stack([synth.pose68, synth.pose5]), atol=1e-4)
    assert fresh_skips.since(before) == {'label/unlabelled_face': 1}
    box_labels = PoseLabelsFromLandmarks(synth.face_model)(synth.results())['gt_poses']
    assert np.abs(box_labels[:, :3] - poses[:, :3]).max() > 1e-3


def test_unknown_solve_in_is_refused(synth):
    with pytest.raises(ValueError, match="'box' or 'image'"):
        PoseLabelsFromLandmarks(synth.face_model, solve_in='roi')


def test_unlabelled_faces_are_masked_and_removed(synth, labeller):
    out = labeller(synth.results())
    x1, y1, x2, y2 = 200, 250, 260, 330
    assert (out['img'][y1:y2, x1:x2] == 0).all()
    assert (out['img'][:y1] != 0).any(-1).mean() > 0.9  # the rest is untouched noise
    assert len(out['gt_bboxes']) == len(out['gt_landmarks']) == len(out['gt_poses']) == 2


@pytest.mark.parametrize('make_bad, reason', [
    (lambda lm: np.full_like(lm, 50.0), 'label/degenerate_landmarks'),  # all on one point
    (lambda lm: np.stack([np.linspace(0, 80, len(lm)), np.linspace(5, 60, len(lm))], -1),
     'label/degenerate_landmarks'),  # all on one line
    (lambda lm: np.where(np.arange(len(lm))[:, None] == 3, np.nan, lm),
     'label/nonfinite_landmarks'),
])
def test_failed_pnp_faces_are_masked_and_counted(synth, labeller, fresh_skips, make_bad,
                                                 reason):
    results = synth.results()
    results['gt_landmarks'][0] = make_bad(results['gt_landmarks'][0])
    box = results['gt_bboxes'].numpy()[0].astype(int)
    before = fresh_skips.snapshot()
    out = labeller(results)
    assert out['gt_num_landmarks'].tolist() == [5]
    assert fresh_skips.since(before) == {reason: 1, 'label/unlabelled_face': 1}
    assert (out['img'][box[1]:box[3], box[0]:box[2]] == 0).all()


def test_missing_landmark_or_empty_int_box_is_masked(synth, labeller, fresh_skips):
    results = synth.results()
    results['gt_landmarks'][0, 7] = -1  # a -1 landmark: no pose label
    results['gt_bboxes'].tensor[1] = torch.tensor([100.2, 60.0, 100.9, 90.0])  # empty as int
    before = fresh_skips.snapshot()
    out = labeller(results)
    assert out is None
    assert fresh_skips.since(before) == {'label/missing_landmarks': 1, 'label/invalid_box': 1,
                                         'label/unlabelled_face': 1,
                                         'sample/no_target_faces': 1}


def test_sample_without_targets_is_dropped_in_training_kept_in_test(synth, fresh_skips):
    results = synth.results()
    results['gt_num_landmarks'][:] = 0
    before = fresh_skips.snapshot()
    assert PoseLabelsFromLandmarks(synth.face_model)(results) is None
    assert fresh_skips.since(before) == {'label/unlabelled_face': 3, 'sample/no_target_faces': 1}

    results = synth.results()
    results['gt_num_landmarks'][:] = 0
    img = results['img'].copy()
    out = PoseLabelsFromLandmarks(synth.face_model, test_mode=True)(results)
    assert out is not None and np.isnan(out['gt_poses']).all() and len(out['gt_bboxes']) == 3
    np.testing.assert_array_equal(out['img'], img)


def test_test_mode_keeps_nan_poses_and_uses_the_chosen_frame(synth):
    results = synth.results()
    expected = PoseLabelsFromLandmarks(synth.face_model)(synth.results())['gt_poses']
    results['img_shape'] = (800, 1067)  # as if resized after loading the annotations
    out = PoseLabelsFromLandmarks(synth.face_model, test_mode=True,
                                  image_shape_key='ori_shape')(results)
    np.testing.assert_allclose(out['gt_poses'][:2], expected)
    assert np.isnan(out['gt_poses'][2]).all()


def test_missing_reference_file_is_a_clear_error(synth, tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.npy'):
        PoseLabelsFromLandmarks(dict(reference68=str(tmp_path / 'nope.npy')))
    np.save(tmp_path / 'bad.npy', np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r'bad.npy: expected shape \(68, 3\)'):
        PoseLabelsFromLandmarks(dict(reference68=str(tmp_path / 'bad.npy')))


def test_boxes_from_poses(synth, labeller):
    out = labeller(synth.results())
    poses = out['gt_poses'].astype(float)
    boxed = BoxesFromPoses(dict(reference68=synth.path68))(out)
    expected = pose_to_bbox(poses, np.array([480.0, 360.0]), synth.ref68, 1.1, 1.1, 0.3)
    np.testing.assert_array_equal(boxed['gt_bboxes'].numpy(), expected.astype(np.float32))
    assert (expected[:, 2:] > expected[:, :2]).all()


def test_boxes_from_poses_drops_faces_projected_outside(synth, labeller, fresh_skips):
    out = labeller(synth.results())
    out['gt_poses'][0, 3] = -50.0  # far left of the image
    box = out['gt_bboxes'].numpy()[0].astype(int)
    before = fresh_skips.snapshot()
    boxed = BoxesFromPoses(dict(reference68=synth.path68))(out)
    assert boxed['gt_num_landmarks'].tolist() == [5]
    assert fresh_skips.since(before) == {'boxes/empty_projected_box': 1}
    assert (boxed['img'][box[1]:box[3], box[0]:box[2]] == 0).all()
