"""The user's camera: calibration files, undistortion, the vectorised pose solver against
OpenCV's, and the metric scale."""
import json

import cv2
import numpy as np
import pytest
import torch

from mmpose6d.geometry import (ADULT_IPD_MM, ADULT_IPD_SD_MM, Camera, FaceModel, euler_to_rotvec,
                               interpupillary_distance, millimetres_per_unit, poses_in_camera,
                               project_points, rotation_angle_deg)

REF68 = FaceModel().reference68
#: k1 k2 p1 p2 k3 of a wide-angle webcam: barrel distortion, a few pixels of tangential
DISTORTION = [-0.28, 0.09, 0.0012, -0.0008, -0.012]


def _faces(rng, count, camera_wh=(640, 480)):
    """Random head poses in front of a 640 x 480 camera, 10-40 reference units away."""
    euler = rng.uniform(-1, 1, (count, 3)) * [35, 70, 25]
    depth = rng.uniform(10, 40, count)
    spread = np.array(camera_wh) / 1120 * 0.6
    xy = rng.uniform(-1, 1, (count, 2)) * spread * depth[:, None]
    return np.c_[euler_to_rotvec(euler), xy, depth], euler


def test_solver_agrees_with_opencv_iterative():
    """Noisy points (0.7 px) in a camera with fx != fy: every pose equals OpenCV's
    SOLVEPNP_ITERATIVE minimum, started from the same rotation (off by up to 15 degrees),
    to 1e-6 relative."""
    rng = np.random.default_rng(0)
    poses, euler = _faces(rng, 60)
    camera = Camera.from_intrinsics(700, 660, 330, 250)
    points = project_points(REF68, poses, camera.matrix) + rng.normal(0, 0.7, (60, 68, 2))
    start = euler_to_rotvec(euler + rng.uniform(-15, 15, euler.shape))
    ours = poses_in_camera(points, REF68, camera, start)
    theirs = []
    for lms, rotvec, pose in zip(points, start, poses):
        _, rvec, tvec = cv2.solvePnP(REF68, lms, camera.matrix, None, rvec=rotvec[:, None].copy(),
                                     tvec=pose[3:, None].copy(), useExtrinsicGuess=True,
                                     flags=cv2.SOLVEPNP_ITERATIVE)
        theirs.append(np.r_[rvec.ravel(), tvec.ravel()])
    theirs = np.array(theirs)
    relative = np.abs(ours - theirs).max(1) / np.linalg.norm(theirs, axis=1)
    assert relative.max() < 1e-6
    assert rotation_angle_deg(ours[:, :3], theirs[:, :3]).max() < 1e-4
    # the noise moves the minimum away from the truth, by far more than the agreement
    assert rotation_angle_deg(ours[:, :3], poses[:, :3]).mean() > 0.1


def test_exact_projections_through_a_distorted_camera_give_the_pose_back():
    """Points projected with lens distortion (OpenCV's model, 5 and 8 coefficients) and an
    off-centre principal point: undistorted and solved, the poses come back exactly."""
    rng = np.random.default_rng(1)
    poses, euler = _faces(rng, 40)
    for distortion in (DISTORTION, DISTORTION + [0.01, -0.002, 0.0005]):
        camera = Camera.from_intrinsics(640, 655, 300, 270, distortion)
        points = camera.project(REF68, poses)
        # the distortion moves the outer points by pixels: it matters
        assert np.abs(points - project_points(REF68, poses, camera.matrix)).max() > 5
        start = euler_to_rotvec(euler + rng.uniform(-10, 10, euler.shape))
        solved = poses_in_camera(points, REF68, camera, start)
        np.testing.assert_allclose(solved[:, :3], poses[:, :3], atol=1e-9)
        np.testing.assert_allclose(solved[:, 3:], poses[:, 3:], rtol=1e-9)


def test_tensors_in_give_float64_tensors_on_their_device():
    rng = np.random.default_rng(2)
    poses, _ = _faces(rng, 3)
    camera = Camera.from_intrinsics(800, 800, 320, 240, DISTORTION)
    points = torch.tensor(camera.project(REF68, poses), dtype=torch.float32)
    solved = poses_in_camera(points, torch.tensor(REF68), camera,
                             torch.tensor(poses[:, :3], dtype=torch.float32))
    assert isinstance(solved, torch.Tensor) and solved.dtype == torch.float64
    assert solved.device == points.device and solved.shape == (3, 6)
    np.testing.assert_allclose(solved[:, 3:].numpy(), poses[:, 3:], rtol=1e-5)
    empty = poses_in_camera(points[:0], REF68, camera, points.new_zeros(0, 3))
    assert empty.shape == (0, 6)


def test_normalise_inverts_the_distortion():
    camera = Camera.from_intrinsics(600, 610, 330, 230, DISTORTION)
    normalised = np.random.default_rng(3).uniform(-0.45, 0.45, (7, 11, 2))
    pixels, _ = cv2.projectPoints(np.c_[normalised.reshape(-1, 2), np.ones(77)], np.zeros(3),
                                  np.zeros(3), camera.matrix, camera.distortion)
    back = camera.normalise(pixels.reshape(7, 11, 2))
    np.testing.assert_allclose(back, normalised, atol=1e-10)


def test_opencv_yaml_round_trip(tmp_path):
    """A calibration as OpenCV's calibration sample writes it (cv2.FileStorage YAML)."""
    matrix = np.array([[912.5, 0, 640.2], [0, 910.1, 362.7], [0, 0, 1]])
    path = tmp_path / 'calib.yml'
    storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    storage.write('image_width', 1280)
    storage.write('image_height', 720)
    storage.write('camera_matrix', matrix)
    storage.write('distortion_coefficients', np.array(DISTORTION)[:, None])
    storage.release()
    camera = Camera.from_file(path)
    np.testing.assert_array_equal(camera.matrix, matrix)
    np.testing.assert_array_equal(camera.distortion, DISTORTION)
    assert camera.image_size == (1280, 720)
    assert camera.intrinsics == (912.5, 910.1, 640.2, 362.7)
    for suffix in ('.yaml', '.xml', '.json'):
        camera.save(tmp_path / f'again{suffix}')
        again = Camera.from_file(tmp_path / f'again{suffix}')
        np.testing.assert_array_equal(again.matrix, matrix)
        np.testing.assert_array_equal(again.distortion, DISTORTION)
        assert again.image_size == (1280, 720)


def test_other_spellings_and_no_distortion(tmp_path):
    """K / D (XML), dist_coeffs as a plain sequence (YAML), and a JSON file without
    distortion or image size."""
    path = tmp_path / 'kd.xml'
    storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    storage.write('K', np.array([[500.0, 0, 320], [0, 500, 240], [0, 0, 1]]))
    storage.write('D', np.zeros((1, 4)))
    storage.release()
    camera = Camera.from_file(path)
    assert camera.intrinsics == (500, 500, 320, 240) and len(camera.distortion) == 4
    path = tmp_path / 'seq.yaml'
    path.write_text('%YAML:1.0\n---\ncamera_matrix: !!opencv-matrix\n   rows: 3\n   cols: 3\n'
                    '   dt: d\n   data: [ 400., 0., 200., 0., 410., 150., 0., 0., 1. ]\n'
                    'dist_coeffs: [ 0.1, -0.05, 0., 0. ]\n')
    camera = Camera.from_file(path)
    assert camera.intrinsics == (400, 410, 200, 150)
    np.testing.assert_array_equal(camera.distortion, [0.1, -0.05, 0, 0])
    path = tmp_path / 'plain.json'
    path.write_text(json.dumps({'camera_matrix': [300, 0, 160, 0, 300, 120, 0, 0, 1]}))
    camera = Camera.from_file(path)
    assert camera.intrinsics == (300, 300, 160, 120) and len(camera.distortion) == 0
    assert camera.image_size is None


@pytest.mark.parametrize('content, message', [
    ({'camera_matrix': [[0, 0, 320], [0, 500, 240], [0, 0, 1]]}, 'focal lengths must be positive'),
    ({'camera_matrix': [[500, 0, 320], [0, 500, 240]]}, 'must be 3 x 3, got shape (2, 3)'),
    ({'camera_matrix': [[500, 0, 320], [0, 500, 240], [0, 0, 2]]}, 'not a camera matrix'),
    ({'K': [[500, 0, 320], [0, 500, 240], [0, 0, 1]], 'D': [0.1, 0.2, 0.3]},
     '3 distortion coefficients; OpenCV takes 0, 4, 5, 8, 12, 14'),
    ({'distortion_coefficients': [0, 0, 0, 0]}, 'no camera matrix (looked for camera_matrix'),
    ({'K': np.eye(3).tolist(), 'image_width': 640}, 'image_width and image_height go together'),
    ({'K': np.eye(3).tolist(), 'image_width': 640.5, 'image_height': 480},
     'two positive integers'),
    ([1, 2, 3], 'expected a JSON object'),
])
def test_bad_files_name_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError) as error:
        Camera.from_file(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.yml: no such camera calibration file'):
        Camera.from_file(tmp_path / 'missing.yml')
    (tmp_path / 'calib.txt').write_text('500 500 320 240')
    with pytest.raises(ValueError, match=r'calib.txt: a camera file must be \.json, \.yml'):
        Camera.from_file(tmp_path / 'calib.txt')
    (tmp_path / 'broken.json').write_text('{"camera_matrix": [1, 2')
    with pytest.raises(ValueError, match='broken.json: not a JSON file'):
        Camera.from_file(tmp_path / 'broken.json')
    (tmp_path / 'broken.yml').write_text('%YAML:1.0\n---\ncamera_matrix: [1, 2\n')
    with pytest.raises(ValueError, match='broken.yml: OpenCV cannot'):
        Camera.from_file(tmp_path / 'broken.yml')


def test_build_forms_and_errors(tmp_path):
    camera = Camera.from_intrinsics(500, 510, 320, 240, DISTORTION, image_size=(640, 480))
    camera.save(tmp_path / 'c.json')
    for form in (camera, (500, 510, 320, 240), [500, 510, 320, 240],
                 dict(fx=500, fy=510, cx=320, cy=240, distortion=DISTORTION),
                 dict(file=str(tmp_path / 'c.json')), str(tmp_path / 'c.json'),
                 tmp_path / 'c.json'):
        assert Camera.build(form).intrinsics == (500, 510, 320, 240)
    assert Camera.build(None) is None
    with pytest.raises(ValueError, match=r"missing \['cy'\]"):
        Camera.build(dict(fx=1, fy=1, cx=1))
    with pytest.raises(ValueError, match=r"unknown \['k1'\]"):
        Camera.build(dict(fx=1, fy=1, cx=1, cy=1, k1=0.1))
    with pytest.raises(ValueError, match='takes nothing else'):
        Camera.build(dict(file='c.json', fx=1))
    with pytest.raises(TypeError, match='expected a Camera'):
        Camera.build(500.0)
    with pytest.raises(ValueError, match='focal lengths must be positive, got fx -500'):
        Camera.build((-500, 500, 320, 240))


def test_image_size_must_match_the_calibration(tmp_path):
    camera = Camera.from_intrinsics(500, 500, 320, 240, image_size=(640, 480), source='cal.yml')
    camera.check_image_size(640, 480)
    with pytest.raises(ValueError, match='cal.yml: calibrated on 640 x 480 images, given a '
                       '320 x 240 image'):
        camera.check_image_size(320, 240)
    Camera.from_intrinsics(500, 500, 320, 240).check_image_size(123, 45)  # no size: any


def test_metric_scale_of_the_references():
    """The eye centres (means of landmarks 36-41 and 42-47) of the project's reference are
    0.612 units apart: 63.36 mm / 0.612 = 103.5 mm per unit; a subject's own IPD scales
    linearly. The adult spread is 6 % of the mean (Dodgson 2004)."""
    assert interpupillary_distance(REF68) == pytest.approx(0.61241, abs=1e-5)
    assert millimetres_per_unit(REF68) == pytest.approx(ADULT_IPD_MM / 0.61241, rel=1e-5)
    assert millimetres_per_unit(REF68, 70.0) / millimetres_per_unit(REF68) == \
        pytest.approx(70 / 63.36)
    assert ADULT_IPD_SD_MM / ADULT_IPD_MM == pytest.approx(0.06, abs=0.001)
    with pytest.raises(ValueError, match='ipd_mm must be a positive number'):
        millimetres_per_unit(REF68, 0)


def test_face_model_camera_outputs():
    """FaceModel.camera_outputs: float32 tensors on the landmarks' device, Euler angles and
    millimetres consistent with the solved poses; camera_boxes through the distortion."""
    rng = np.random.default_rng(4)
    poses, _ = _faces(rng, 5)
    camera = Camera.from_intrinsics(800, 800, 320, 240, DISTORTION)
    face_model = FaceModel()
    landmarks = torch.tensor(camera.project(face_model.reference68, poses), dtype=torch.float32)
    out = face_model.camera_outputs(landmarks, torch.tensor(poses[:, :3]), camera, ipd_mm=60.0)
    assert {k: (v.shape, v.dtype) for k, v in out.items()} == {
        'camera_poses': ((5, 6), torch.float32), 'camera_euler': ((5, 3), torch.float32),
        'translation_mm': ((5, 3), torch.float32), 'distance_mm': ((5, ), torch.float32)}
    scale = 60.0 / interpupillary_distance(face_model.reference68)
    np.testing.assert_allclose(out['translation_mm'].numpy(), poses[:, 3:] * scale, rtol=1e-5)
    np.testing.assert_allclose(out['distance_mm'].numpy(),
                               np.linalg.norm(poses[:, 3:], axis=1) * scale, rtol=1e-5)
    boxes = face_model.camera_boxes(poses, np.array([640, 480]), camera)
    points = camera.project(face_model.reference68, poses)
    assert (boxes[:, :2] <= points.min(1) + 1).all() and (boxes[:, 2:] >= points.max(1) - 1).all()
