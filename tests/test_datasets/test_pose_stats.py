"""mmpose6d.datasets.pose_stats: the statistics of the RoI head's targets."""
import numpy as np

from mmpose6d.datasets.pose_stats import roi_target_poses
from mmpose6d.geometry import (global_pose_from_landmarks, image_intrinsics,
                               pose_bbox_to_full_image, pose_to_bbox, project_points)
from mmpose6d.testing import known_pose
from mmpose6d.utils.array_io import DEFAULT_REFERENCE5, DEFAULT_REFERENCE68, load_reference

REF68 = load_reference(DEFAULT_REFERENCE68, 68)
REF5 = load_reference(DEFAULT_REFERENCE5, 5)
SIZES = [(640, 480), (400, 600)]


def _records():
    """Two images, three labelled faces (68 and 5 points) and one unlabelled face."""
    faces = [[(10, -30, 5), (320, 200), 6.0], [(-15, 45, -10), (150, 330), 9.0],
             [(0, 10, 20), (200, 300), 5.0]]
    records = []
    for (angles, centre, distance), size, refs in zip(faces, [SIZES[0], SIZES[0], SIZES[1]],
                                                      [REF68, REF5, REF68]):
        pose = known_pose(angles, centre, distance, *size)
        lms = project_points(refs, pose[None], image_intrinsics(*size))[0]
        records.append((size, np.r_[lms.min(0), lms.max(0)], lms))
    first = dict(bboxes=[records[0][1], records[1][1], [5, 5, 40, 40]],
                 landmarks=[records[0][2], records[1][2], None])
    second = dict(bboxes=[records[2][1]], landmarks=[records[2][2]])
    return [first, second]


def test_without_copies_the_targets_are_the_labels_in_their_projected_boxes():
    records = _records()
    local = roi_target_poses(records, SIZES, REF68, REF5, copies=0)
    assert local.shape == (3, 6) and local.dtype == np.float64
    # the labels as PoseLabelsFromLandmarks gives them, and their target boxes
    labels = np.concatenate([
        global_pose_from_landmarks(lms[None], np.asarray(box)[None], size, ref)
        for (lms, box, size, ref) in [
            (records[0]['landmarks'][0], records[0]['bboxes'][0], SIZES[0], REF68),
            (records[0]['landmarks'][1], records[0]['bboxes'][1], SIZES[0], REF5),
            (records[1]['landmarks'][0], records[1]['bboxes'][0], SIZES[1], REF68)]])
    sizes = np.array([SIZES[0], SIZES[0], SIZES[1]], np.float64)
    boxes = pose_to_bbox(labels, sizes, REF68)
    back = pose_bbox_to_full_image(local, sizes, boxes)
    np.testing.assert_allclose(back[:, 3:], labels[:, 3:], atol=1e-9)
    # the rotation step is not exactly invertible (docs/geometry.md, the sheared matrix)
    np.testing.assert_allclose(back[:, :3], labels[:, :3], atol=3e-3)
    # a face fills its own projected box: about the same depth in the box frame
    assert np.ptp(local[:, 5]) < 0.1 * local[:, 5].mean()


def test_labels_solved_in_the_image_camera_are_the_known_poses():
    """solve_in='image': the landmarks were projected by the image camera, so the targets
    moved back into the image are the faces' own poses."""
    truth = np.stack([known_pose((10, -30, 5), (320, 200), 6.0, *SIZES[0]),
                      known_pose((-15, 45, -10), (150, 330), 9.0, *SIZES[0]),
                      known_pose((0, 10, 20), (200, 300), 5.0, *SIZES[1])])
    local = roi_target_poses(_records(), SIZES, REF68, REF5, copies=0, solve_in='image')
    sizes = np.array([SIZES[0], SIZES[0], SIZES[1]], np.float64)
    back = pose_bbox_to_full_image(local, sizes, pose_to_bbox(truth, sizes, REF68))
    np.testing.assert_allclose(back[:, 3:], truth[:, 3:], atol=1e-6)
    np.testing.assert_allclose(back[:, :3], truth[:, :3], atol=3e-3)
    boxed = roi_target_poses(_records(), SIZES, REF68, REF5, copies=0)
    assert np.abs(boxed - local).max() > 1e-3


def test_jittered_rois_spread_the_targets_around_the_same_mean():
    records = _records()
    exact = roi_target_poses(records, SIZES, REF68, REF5, copies=0)
    jittered = roi_target_poses(records, SIZES, REF68, REF5, copies=200, seed=1)
    # every face keeps its exact target, and most of its 200 jittered boxes pass IoU 0.5
    assert 3 + 3 * 100 < len(jittered) <= 3 + 3 * 200
    np.testing.assert_allclose(jittered[:3], exact, atol=1e-12)
    # box sides scaled by exp N(0, 0.15): depth in the box frame spreads by about that much
    spread = jittered[:, 5].std() / jittered[:, 5].mean()
    assert 0.08 < spread < 0.15
    unscaled = roi_target_poses(records, SIZES, REF68, REF5, copies=200, seed=1, scale=0.0)
    assert unscaled[:, 5].std() / unscaled[:, 5].mean() < 0.05
    # box centres shifted by N(0, 0.12) of the box: the face moves off the box axis
    unshifted = roi_target_poses(records, SIZES, REF68, REF5, copies=200, seed=1, shift=0.0)
    assert jittered[:, 4].std() > 4 * unshifted[:, 4].std()
    assert abs(np.median(jittered[:, 5]) - exact[:, 5].mean()) < 0.1 * exact[:, 5].mean()
