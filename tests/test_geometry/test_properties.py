"""Numeric properties of the geometry core: round trips, consistency, PnP, flips, gradients."""
import numpy as np
import pytest
import torch

from mmpose6d import geometry as g


def _rotation_angle_deg(rotvecs_a, rotvecs_b):
    rel = np.swapaxes(g.rotvec_to_matrix(rotvecs_a), 1, 2) @ g.rotvec_to_matrix(rotvecs_b)
    cos = np.clip((np.trace(rel, axis1=1, axis2=2) - 1) / 2, -1, 1)
    return np.degrees(np.arccos(cos))


@pytest.fixture
def scene(golden):
    """Random faces well inside a 1280x720 image, with their global poses."""
    rng = np.random.default_rng(3)
    n, wh = 40, np.array([1280.0, 720.0])
    boxes = []
    for _ in range(n):
        # even integer sizes, so the floor divisions of the camera model are exact
        bw, bh = 2 * rng.integers(20, 100), 2 * rng.integers(20, 110)
        x1, y1 = rng.integers(100, wh[0] - 300), rng.integers(100, wh[1] - 300)
        boxes.append([x1, y1, x1 + bw, y1 + bh])
    boxes = np.array(boxes, dtype=np.float64)
    local = np.c_[rng.uniform(-0.6, 0.6, (n, 3)), rng.normal(0, 0.05, (n, 2)),
                  rng.uniform(4, 8, n)]
    return dict(wh=wh, boxes=boxes, local=local, ref68=golden['ref68'], ref5=golden['ref5'],
                glob=g.pose_bbox_to_full_image(local, wh, boxes))


def test_intrinsics_values():
    np.testing.assert_array_equal(g.image_intrinsics(641, 481),
                                  [[1122, 0, 320], [0, 1122, 240], [0, 0, 1]])
    k = g.image_intrinsics(torch.tensor(641.0), torch.tensor(481.0))
    assert isinstance(k, torch.Tensor)
    np.testing.assert_array_equal(k.numpy(), g.image_intrinsics(641, 481))
    np.testing.assert_array_equal(
        g.local_intrinsics(torch.tensor([[10.0, 20.0, 41.0, 70.0]]))[0].numpy(),
        [[81, 0, 15], [0, 81, 25], [0, 0, 1]])


def test_round_trip_local_global_local(scene):
    """The original's rotation step (quaternion of the sheared matrix) makes the round trip
    inexact, by a fraction of a degree for these faces; translations return exactly, and the
    nearest-rotation option returns the rotation exactly too."""
    back = g.pose_full_image_to_bbox(scene['glob'], scene['wh'], scene['boxes'])
    assert back.shape == (40, 6) and back.dtype == np.float64
    error = _rotation_angle_deg(back[:, :3], scene['local'][:, :3])
    assert 1e-3 < error.max() < 0.25
    np.testing.assert_allclose(back[:, 3:], scene['local'][:, 3:], rtol=1e-6, atol=1e-9)

    kwargs = dict(nearest_rotation=True)
    glob = g.pose_bbox_to_full_image(scene['local'], scene['wh'], scene['boxes'], **kwargs)
    back = g.pose_full_image_to_bbox(glob, scene['wh'], scene['boxes'], **kwargs)
    assert _rotation_angle_deg(back[:, :3], scene['local'][:, :3]).max() < np.degrees(1e-6)
    # the two rotation steps differ, most for faces far from the image centre
    assert _rotation_angle_deg(glob[:, :3], scene['glob'][:, :3]).max() > 0.5


def test_round_trip_at_the_image_centre(scene):
    """A box centred in the image has no shear: both directions are exact."""
    wh = scene['wh']
    boxes = np.array([[600.0, 320.0, 680.0, 400.0]] * len(scene['local']))
    glob = g.pose_bbox_to_full_image(scene['local'], wh, boxes)
    back = g.pose_full_image_to_bbox(glob, wh, boxes)
    np.testing.assert_allclose(back, scene['local'], rtol=0, atol=1e-6)


def test_integer_principal_point():
    """Inference truncates the box centre to an integer (the original's integer intrinsics):
    the rotation is then the one of a box whose centre is that integer; the size still
    scales t_z with its fraction."""
    pose = np.array([[0.1, -0.2, 0.05, 0.01, -0.02, 5.0]])
    wh = np.array([640.0, 480.0])
    # centre x 100.7 + floor(79.6 / 2) = 139.7 -> 139, centre y 50.2 + 50 = 100.2 -> 100
    fractional = np.array([[100.7, 50.2, 180.3, 150.9]])
    as_int = g.pose_bbox_to_full_image(pose, wh, fractional, integer_principal_point=True)
    as_float = g.pose_bbox_to_full_image(pose, wh, fractional)
    centred = g.pose_bbox_to_full_image(pose, wh, np.array([[100.0, 50.0, 178.0, 150.0]]))
    assert np.abs(as_int - as_float).max() > 1e-4
    np.testing.assert_allclose(as_int[:, :3], centred[:, :3], rtol=0, atol=1e-12)
    np.testing.assert_allclose(as_int[0, 5], 5.0 * 1120 / (79.6 + 100.7), rtol=1e-12)
    np.testing.assert_allclose(as_int[0, 3], 0.01 + (139 - 320) / 1120 * as_int[0, 5],
                               rtol=1e-12)


def _projection_gap(scene, local):
    """Max distance between the local projection (K_local, shifted by the box corner) and the
    global one (K_img), relative to the box width."""
    boxes = scene['boxes']
    glob = g.pose_bbox_to_full_image(local, scene['wh'], boxes)
    k_local = g.local_intrinsics(torch.tensor(boxes)).numpy()
    local_pts = np.stack([g.project_points(scene['ref68'], local[i:i + 1], k_local[i])[0]
                          for i in range(len(boxes))]) + boxes[:, None, :2]
    global_pts = g.project_points(scene['ref68'], glob, g.image_intrinsics(*scene['wh']))
    assert global_pts.shape == (len(boxes), 68, 2)
    return (np.linalg.norm(local_pts - global_pts, axis=-1).max(1) /
            (boxes[:, 2] - boxes[:, 0])).max()


def test_projection_local_matches_global(scene):
    """Local and global projections agree up to img2pose's approximations.

    Scaling t_z by f / s leaves the face's own depth unscaled, so the two cameras see
    different perspective: a few % of the box at t_z ~ 6 (what the original code also gives
    on its golden faces: median 3 %, max 11 %), vanishing as t_z grows.
    """
    assert _projection_gap(scene, scene['local']) < 0.12
    far = scene['local'].copy()
    far[:, 5] *= 100
    assert _projection_gap(scene, far) < 2e-3


def _box_frame_landmarks(scene, ref, local=None):
    """Reference points seen by each box's own camera (K_local), in image pixels: the
    landmarks that img2pose's PnP labelling inverts exactly."""
    local = scene['local'] if local is None else local
    k_local = g.local_intrinsics(torch.tensor(scene['boxes'])).numpy()
    return np.stack([g.project_points(ref, local[i:i + 1], k_local[i])[0]
                     for i in range(len(local))]) + scene['boxes'][:, None, :2]


@pytest.mark.parametrize('points', [68, 5])
def test_pnp_noise_free_recovers_pose(scene, points):
    ref = scene[f'ref{points}']
    lms = _box_frame_landmarks(scene, ref)
    local, reasons = g.pose_from_landmarks(lms, scene['boxes'], ref, return_reasons=True)
    assert reasons == [''] * 40 and local.shape == (40, 6)
    assert _rotation_angle_deg(local[:, :3], scene['local'][:, :3]).max() < 0.01
    np.testing.assert_allclose(local[:, 3:], scene['local'][:, 3:], rtol=1e-4, atol=1e-5)
    glob = g.global_pose_from_landmarks(lms, scene['boxes'], scene['wh'], ref)
    assert _rotation_angle_deg(glob[:, :3], scene['glob'][:, :3]).max() < 0.01
    np.testing.assert_allclose(glob[:, 3:], scene['glob'][:, 3:], rtol=1e-4)


def test_image_camera_pnp_recovers_global_pose(scene):
    """EPnP in K_img of the 68 points projected with known global poses gives them back."""
    k_img = g.image_intrinsics(*scene['wh'])
    lms = g.project_points(scene['ref68'], scene['glob'], k_img)
    poses, reasons = g.image_pose_from_landmarks(lms, scene['wh'], scene['ref68'],
                                                 return_reasons=True)
    assert reasons == [''] * 40
    assert _rotation_angle_deg(poses[:, :3], scene['glob'][:, :3]).max() < 0.01
    np.testing.assert_allclose(poses[:, 3:], scene['glob'][:, 3:], rtol=1e-4)
    lms[0, 5] = np.nan
    assert g.image_pose_from_landmarks(lms[:1], scene['wh'], scene['ref68'],
                                       return_reasons=True)[1] == ['nonfinite_landmarks']


def test_labels_from_landmarks_solves_in_the_named_camera(scene):
    """``solve_in='box'`` gives the box-camera labels, ``'image'`` the image-camera ones
    (here the known poses), with the same reasons; another name is refused."""
    k_img = g.image_intrinsics(*scene['wh'])
    lms = g.project_points(scene['ref68'], scene['glob'], k_img)
    args = lms, scene['boxes'], scene['wh'], scene['ref68']
    box, box_reasons = g.labels_from_landmarks(*args, return_reasons=True)
    np.testing.assert_array_equal(box, g.global_pose_from_landmarks(*args))
    image, image_reasons = g.labels_from_landmarks(*args, 'image', return_reasons=True)
    assert box_reasons == image_reasons == [''] * 40
    assert _rotation_angle_deg(image[:, :3], scene['glob'][:, :3]).max() < 0.01
    np.testing.assert_allclose(image[:, 3:], scene['glob'][:, 3:], rtol=1e-4)
    with pytest.raises(ValueError, match="solve_in must be 'box' or 'image', not 'camera'"):
        g.labels_from_landmarks(*args, 'camera')


@pytest.mark.parametrize('roll, box', [(0.0, [98, 179, 142, 263]), (1.5, [98, 197, 154, 263]),
                                       (-1.5, [86, 197, 142, 263]), (3.0, [98, 197, 142, 281])])
def test_landmark_box_rule(roll, box):
    """Extent 40 x 60 around (120, 230): sizes int(44.0), int(66.0...), forehead 0.3 of the
    extent on the side the roll picks (top, right, left, bottom)."""
    lms = np.array([[[100.0, 200.0], [140.0, 260.0], [120.0, 230.0]]])
    out = g.landmarks_to_bbox(lms, np.array([roll]), np.array([640.0, 480.0]))
    assert out.tolist() == [box]
    # clipped to the image
    assert g.landmarks_to_bbox(lms - 100, np.array([roll]), np.array([640.0, 480.0]))[0, 0] == 0


def test_pose_box_is_the_landmark_box_of_the_projection(scene):
    k_img = g.image_intrinsics(*scene['wh'])
    lms = g.project_points(scene['ref68'], scene['glob'], k_img)
    np.testing.assert_array_equal(
        g.pose_to_bbox(scene['glob'], scene['wh'], scene['ref68']),
        g.landmarks_to_bbox(lms, scene['glob'][:, 2], scene['wh']))


def test_resize_invariance(scene):
    """Global poses are nearly unchanged by a uniform image resize (f scales with w + h)."""
    lms = _box_frame_landmarks(scene, scene['ref68'])
    scale = 2.0  # keeps boxes integral: PnP works in the int-cast box frame
    poses = g.global_pose_from_landmarks(lms * scale, scene['boxes'] * scale,
                                         scene['wh'] * scale, scene['ref68'])
    assert _rotation_angle_deg(poses[:, :3], scene['glob'][:, :3]).max() < 0.01
    np.testing.assert_allclose(poses[:, 3:], scene['glob'][:, 3:], rtol=1e-4)


def test_flip_twice_is_identity(scene):
    w = scene['wh'][0]
    lms = _box_frame_landmarks(scene, scene['ref68'])
    np.testing.assert_allclose(g.flip_landmarks(g.flip_landmarks(lms, w), w), lms, atol=1e-9)
    np.testing.assert_array_equal(g.flip_boxes(g.flip_boxes(scene['boxes'], w), w),
                                  scene['boxes'])
    np.testing.assert_array_equal(g.flip_poses(g.flip_poses(scene['glob'])), scene['glob'])
    for perm in (g.FLIP_PERM_5, g.FLIP_PERM_68):
        np.testing.assert_array_equal(perm[perm], np.arange(len(perm)))
    np.testing.assert_array_equal(g.flip_boxes(np.array([[10., 5, 30, 9]]), 100),
                                  [[70, 5, 90, 9]])


def test_flip_pose_matches_flipped_landmarks(scene):
    """PnP on mirrored landmarks with a mirror-symmetric reference gives the flipped pose."""
    ref = scene['ref68']
    sym = (ref + ref[g.FLIP_PERM_68] * [-1, 1, 1]) / 2
    w = scene['wh'][0]
    lms = _box_frame_landmarks(scene, sym)
    flipped = g.global_pose_from_landmarks(g.flip_landmarks(lms, w),
                                           g.flip_boxes(scene['boxes'], w), scene['wh'], sym)
    expected = g.flip_poses(scene['glob'])
    assert _rotation_angle_deg(flipped[:, :3], expected[:, :3]).max() < 0.01
    np.testing.assert_allclose(flipped[:, 3:], expected[:, 3:], rtol=1e-4, atol=1e-6)


def test_pnp_failures_give_nan_and_reason(golden):
    lms = golden['lm68'][:6].copy()
    boxes = golden['box'][:6].copy()
    boxes[0, 2] = boxes[0, 0]                     # invalid box
    lms[1] = -1                                   # unlabelled
    lms[2, 5] = np.nan                            # NaN landmark
    lms[3] = lms[3, :1]                           # all points on one spot
    lms[4, :, 1] = 3 * lms[4, :, 0] + 1           # all points on a line
    poses, reasons = g.pose_from_landmarks(lms, boxes, golden['ref68'], return_reasons=True)
    assert reasons == ['invalid_box', 'missing_landmarks', 'nonfinite_landmarks',
                       'degenerate_landmarks', 'degenerate_landmarks', '']
    assert np.isnan(poses[:5]).all() and np.isfinite(poses[5]).all()
    with pytest.raises(ValueError, match='68 landmarks per face but the reference has 5'):
        g.pose_from_landmarks(lms, boxes, golden['ref5'])


def test_rotvec_matrix_round_trip_and_edge_angles():
    rng = np.random.default_rng(0)
    axes = rng.normal(size=(50, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    angles = np.r_[0.0, 1e-9, 1e-5, rng.uniform(0, np.pi - 1e-3, 46), np.pi - 1e-6]
    rotvecs = axes * angles[:, None]
    mats = g.rotvec_to_matrix(rotvecs)
    identity = np.broadcast_to(np.eye(3), mats.shape)
    np.testing.assert_allclose(mats @ np.swapaxes(mats, 1, 2), identity, atol=1e-12)
    np.testing.assert_allclose(g.matrix_to_rotvec(mats), rotvecs, atol=1e-7)


def test_nearest_rotation_equals_svd_polar():
    rng = np.random.default_rng(1)
    shear = np.tile(np.eye(3), (20, 1, 1))
    shear[:, :2, 2] = rng.uniform(-0.5, 0.5, (20, 2))
    m = shear @ g.rotvec_to_matrix(rng.uniform(-1, 1, (20, 3)))
    u, _, vt = np.linalg.svd(m)
    np.testing.assert_allclose(g.nearest_rotation(torch.tensor(m)).numpy(), u @ vt, atol=1e-12)


def test_gradcheck_float64(golden):
    """The torch path is differentiable (float64 gradcheck), including at zero rotation."""
    ref = torch.tensor(golden['ref5'])
    wh = torch.tensor([640.0, 480.0], dtype=torch.float64)
    boxes = torch.tensor([[100.0, 80.0, 180.0, 170.0], [300.0, 200.0, 340.0, 250.0]],
                         dtype=torch.float64)
    poses = torch.tensor([[0.1, -0.4, 0.2, 0.01, -0.02, 5.0], [0.0, 0.0, 0.0, 0.0, 0.0, 6.0]],
                         dtype=torch.float64, requires_grad=True)
    k = g.local_intrinsics(boxes)
    assert torch.autograd.gradcheck(lambda p: g.project_points(ref, p, k), (poses,))
    assert torch.autograd.gradcheck(lambda p: g.pose_bbox_to_full_image(p, wh, boxes), (poses,))
    assert torch.autograd.gradcheck(lambda p: g.pose_full_image_to_bbox(p, wh, boxes), (poses,))
    assert torch.autograd.gradcheck(lambda p: g.rotvec_to_euler(p[:, :3]), (poses,))


def test_float32_torch_keeps_dtype(golden):
    poses = torch.tensor(golden['local_pose'][:4], dtype=torch.float32)
    out = g.pose_bbox_to_full_image(poses, [1051, 1121], golden['box'][:4])
    assert out.dtype == torch.float32 and out.shape == (4, 6)
    pts = g.project_points(golden['ref68'], poses, g.local_intrinsics(
        torch.tensor(golden['box'][:4], dtype=torch.float32)))
    assert pts.shape == (4, 68, 2) and pts.dtype == torch.float32
