"""Face300WLPDataset and PoseLabelsFromLocalPoses: img2pose's 300W-LP labels on tiny files in
the archive's layout (``tests/face300wlp_files.py``), checked against numbers computed here:
the rotation by scipy from ``Pose_Para``, the translation against the pose that drew the
landmarks, the box by a plain re-statement of its rule."""
from pathlib import Path

import numpy as np
import pytest
from face300wlp_files import REF68, write_300wlp_sample
from mmengine.config import Config
from scipy.io import loadmat, savemat
from scipy.spatial.transform import Rotation

from mmpose6d.datasets import Face300WLPDataset
from mmpose6d.datasets.face300wlp_dataset import label_300wlp_faces
from mmpose6d.datasets.transforms import LoadPoseAnnotations, PoseLabelsFromLocalPoses
from mmpose6d.geometry import (image_intrinsics, image_pose_from_landmarks,
                               pose_bbox_to_full_image, pose_full_image_to_bbox, pose_to_bbox,
                               project_points, rotation_angle_deg)
from mmpose6d.registry import DATASETS

CONFIG = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'datasets' / '300wlp.py'
WIDTH, HEIGHT = 200, 180
#: (subset, name): (angles that drew the face, Pose_Para angles, face centre, pts_2d shape).
#: The rotations' rz pick each forehead side of the box (top, right, left, bottom); HELEN's
#: Pose_Para differs from its landmarks: the label's rotation must be Pose_Para's.
SAMPLES = {
    ('AFW', 'AFW_134212_1_0'): ([10, -30, 5], None, (100, 95), (68, 2)),
    ('HELEN', 'HELEN_232194_1_0'): ([15, 35, 60], [20, 40, 70], (95, 85), (68, 2)),
    ('AFW_Flip', 'AFW_134212_1_0'): ([-5, 45, -80], None, (105, 92), (2, 68)),
    ('IBUG', 'IBUG_image_003_1_0'): ([10, 20, 150], None, (98, 90), (68, 2)),
}


def aflw_rotvec(angles_deg):
    """The rotation vector of img2pose's 300W-LP rotation labels, by scipy: the transpose of
    the extrinsic 'xyz' rotation of (pitch, -yaw, -roll) radians."""
    pitch, yaw, roll = np.radians(angles_deg)
    matrix = Rotation.from_euler('xyz', [pitch, -yaw, -roll]).as_matrix().T
    return Rotation.from_matrix(matrix).as_rotvec()


def forehead_side(rz):
    """The side of the box the forehead rule grows for a rotation vector's z."""
    return 'bottom' if abs(rz) > 2.5 else 'right' if rz > 1 else 'left' if rz < -1 else 'top'


def img2pose_box(landmarks, rz, width, height):
    """The landmarks' img2pose box, its rule re-stated face by face: the extent scaled by
    1.1 (sizes truncated to int) around its centre, 0.3 of the extent added on the side
    ``rz`` picks, truncated to int and clipped to the image."""
    lo, hi = landmarks.min(0), landmarks.max(0)
    extent, centre = hi - lo, (lo + hi) / 2
    size = np.array([int(extent[0] * 1.1), int(extent[1] * 1.1)])
    x1, y1 = centre - size / 2
    x2, y2 = centre + size / 2
    side = forehead_side(rz)
    if side == 'bottom':
        y2 += 0.3 * extent[1]
    elif side == 'right':
        x2 += 0.3 * extent[0]
    elif side == 'left':
        x1 -= 0.3 * extent[0]
    else:
        y1 -= 0.3 * extent[1]
    x1, y1, x2, y2 = (float(int(v)) for v in (x1, y1, x2, y2))
    return np.array([max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)])


def write_samples(root, samples=SAMPLES):
    """Write ``samples``; {(subset, name): (pose that drew the face, landmarks, Pose_Para
    angles)}."""
    written = {}
    for i, ((subset, name), (angles, para, centre, shape)) in enumerate(samples.items()):
        pose, landmarks = write_300wlp_sample(root, subset, name, angles, centre,
                                              para_angles=para, width=WIDTH, height=HEIGHT,
                                              pts_shape=shape, seed=i)
        written[subset, name] = (pose, landmarks, angles if para is None else para)
    return written


def build(root, **kwargs):
    kwargs.setdefault('subsets', sorted({subset for subset, _ in SAMPLES}))
    return Face300WLPDataset(data_root=str(root), pipeline=[], **kwargs)


def expected_labels(landmarks, para_angles):
    """(global pose, box, local pose) img2pose gives a face, from scipy, the PnP in the image
    camera and the box rule above."""
    translation = image_pose_from_landmarks(landmarks[None], (WIDTH, HEIGHT), REF68)[0, 3:]
    pose = np.r_[aflw_rotvec(para_angles), translation]
    box = img2pose_box(landmarks, pose[2], WIDTH, HEIGHT)
    local = pose_full_image_to_bbox(pose[None], np.array([WIDTH, HEIGHT], float), box[None])[0]
    return pose, box, local


def test_labels(tmp_path):
    written = write_samples(tmp_path)
    dataset = build(tmp_path)
    assert len(dataset) == len(SAMPLES)
    sides = set()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        subset, name = info['img_id'].split('/')
        drawn, landmarks, para = written[subset, name]
        assert info['img_path'] == str(tmp_path / subset / f'{name}.jpg')
        assert (info['width'], info['height']) == (WIDTH, HEIGHT)
        [face] = info['instances']
        pose, box, local = expected_labels(landmarks, para)
        # the translation is the drawing pose's (noise-free landmarks), the rotation
        # Pose_Para's, whatever rotation drew the landmarks
        np.testing.assert_allclose(pose[3:], drawn[3:], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(face['landmarks'], landmarks, atol=1e-4)
        np.testing.assert_array_equal(face['bbox'], box)
        np.testing.assert_allclose(face['local_pose'], local, rtol=1e-12, atol=1e-12)
        assert (face['bbox_label'], face['ignore_flag']) == (0, 0)
        sides.add(forehead_side(pose[2]))
    assert sides == {'top', 'right', 'left', 'bottom'}
    assert rotation_angle_deg(written['HELEN', 'HELEN_232194_1_0'][0][None, :3],
                              aflw_rotvec([20, 40, 70])[None])[0] > 5


def test_label_function_reasons():
    """Vectorised over faces and image sizes; failures are NaN with a reason."""
    pose = np.r_[aflw_rotvec([10, -30, 5]), 0.0, 0.1, 8.0]
    good = project_points(REF68, pose[None], image_intrinsics(WIDTH, HEIGHT))[0]
    wide = project_points(REF68, pose[None], image_intrinsics(300, 120))[0]
    landmarks = np.stack([good, np.full((68, 2), 50.0), good + 1000, wide])
    angles = np.radians([[10, -30, 5]] * 4)
    sizes = [(WIDTH, HEIGHT)] * 3 + [(300, 120)]
    poses, boxes, local, reasons = label_300wlp_faces(landmarks, angles, sizes, REF68)
    assert list(reasons) == ['', 'degenerate_landmarks', 'invalid_box', '']
    assert np.isnan(poses[1:3]).all() and np.isnan(boxes[1:3]).all()
    assert np.isnan(local[1:3]).all()
    np.testing.assert_allclose(poses[[0, 3]], np.stack([pose, pose]), atol=1e-4)
    np.testing.assert_allclose(poses[[0, 3], :3], np.stack([pose[:3]] * 2), atol=1e-12)


def test_pipeline_of_the_config(tmp_path):
    """The base config's training pipeline: global poses from the stored local poses in the
    original image, the resize, the projected boxes in the network input."""
    written = write_samples(tmp_path)
    cfg = Config.fromfile(CONFIG)
    pipeline = cfg.train_pipeline
    assert [step['type'] for step in pipeline] == [
        'LoadPoseImage', 'LoadPoseAnnotations', 'PoseLabelsFromLocalPoses',
        'mmdet.RandomChoiceResize', 'BoxesFromPoses', 'PackPoseDetInputs'
    ]  # no augmentation
    pipeline[3]['scales'] = [(400, 120)]
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=str(tmp_path),
                                  subsets=['AFW', 'HELEN'], pipeline=pipeline))
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        [face] = info['instances']
        sample = dataset[i]['data_samples']
        assert sample.img_shape == (120, 133) and sample.ori_shape == (HEIGHT, WIDTH)
        poses = sample.gt_instances.poses.numpy()
        expected = pose_bbox_to_full_image(face['local_pose'][None],
                                           np.array([WIDTH, HEIGHT], float),
                                           np.array([face['bbox']]))
        np.testing.assert_array_equal(poses, expected.astype(np.float32))
        drawn, _, para = written[tuple(info['img_id'].split('/'))]
        # the local -> global round trip is not exact in the original's rotation step
        assert rotation_angle_deg(poses[:, :3].astype(float), aflw_rotvec(para)[None])[0] < 0.5
        np.testing.assert_allclose(poses[0, 3:], drawn[3:], rtol=1e-3, atol=1e-4)
        boxes = pose_to_bbox(poses.astype(float), np.array([133.0, 120.0]), REF68)
        np.testing.assert_array_equal(sample.gt_instances.bboxes.numpy(), boxes)


def test_transform_masks_unlabelled_faces():
    img = np.full((50, 60, 3), 200, np.uint8)
    local = np.array([0.1, -0.2, 0.05, 0.01, 0.02, 1.5])
    instances = [dict(bbox=[5.0, 5.0, 25.0, 30.0], bbox_label=0, ignore_flag=0,
                      local_pose=local),
                 dict(bbox=[30.0, 10.0, 50.0, 40.0], bbox_label=0, ignore_flag=0,
                      local_pose=None)]
    results = LoadPoseAnnotations(with_landmarks=False)(
        dict(img=img, img_shape=(50, 60), ori_shape=(50, 60), instances=instances))
    results = PoseLabelsFromLocalPoses()(results)
    np.testing.assert_array_equal(
        results['gt_poses'],
        pose_bbox_to_full_image(local[None], np.array([60.0, 50.0]),
                                np.array([[5.0, 5.0, 25.0, 30.0]])).astype(np.float32))
    assert len(results['gt_bboxes']) == 1 and (results['img'][10:40, 30:50] == 0).all()
    only_unlabelled = LoadPoseAnnotations(with_landmarks=False)(
        dict(img=img.copy(), img_shape=(50, 60), ori_shape=(50, 60), instances=instances[1:]))
    assert PoseLabelsFromLocalPoses()(only_unlabelled) is None
    moved = LoadPoseAnnotations(with_landmarks=False)(
        dict(img=img.copy(), img_shape=(50, 60), ori_shape=(50, 60), instances=instances))
    moved['gt_bboxes'] = moved['gt_bboxes'][:1]
    with pytest.raises(ValueError, match='right after LoadPoseAnnotations'):
        PoseLabelsFromLocalPoses()(moved)


def test_landmarks_from_pt2d_and_ann_file(tmp_path):
    write_samples(tmp_path)
    by_pts = build(tmp_path)
    for path in (tmp_path / 'landmarks').rglob('*.mat'):
        path.unlink()
    by_pt2d = build(tmp_path, landmarks='pt2d')
    assert [by_pt2d.get_data_info(i)['instances'][0]['bbox'] for i in range(len(by_pt2d))] == \
        [by_pts.get_data_info(i)['instances'][0]['bbox'] for i in range(len(by_pts))]
    (tmp_path / 'list.txt').write_text('IBUG/IBUG_image_003_1_0.jpg\nAFW/AFW_134212_1_0\n')
    listed = build(tmp_path, landmarks='pt2d', ann_file='list.txt')
    assert [listed.get_data_info(i)['img_id'] for i in range(len(listed))] == \
        ['IBUG/IBUG_image_003_1_0', 'AFW/AFW_134212_1_0']
    (tmp_path / 'bad.txt').write_text('AFW_134212_1_0\n')
    with pytest.raises(ValueError, match='<subset>/<name>'):
        build(tmp_path, landmarks='pt2d', ann_file='bad.txt')
    with pytest.raises(ValueError, match='landmarks='):
        build(tmp_path, landmarks='pts_3d')


def _replace_pose(value):
    """Corrupt the sample's ``Pose_Para`` (None: remove it)."""
    def corrupt(root, subset, name):
        path = root / subset / f'{name}.mat'
        mat = {k: v for k, v in loadmat(str(path)).items() if not k.startswith('__')}
        mat.pop('Pose_Para')
        savemat(str(path), mat if value is None else dict(mat, Pose_Para=value))
        return path
    return corrupt


def _replace_landmarks(points):
    def corrupt(root, subset, name):
        path = root / 'landmarks' / subset / f'{name}_pts.mat'
        savemat(str(path), {'pts_2d': points})
        return path
    return corrupt


def _unlink(*parts):
    def corrupt(root, subset, name):
        path = root.joinpath(*[p.format(subset=subset, name=name) for p in parts])
        path.unlink()
        return path
    return corrupt


def _garbage(suffix):
    def corrupt(root, subset, name):
        path = root / subset / f'{name}{suffix}'
        path.write_bytes(b'not a file of this kind' * 10)
        return path
    return corrupt


LANDMARKS_OUTSIDE = np.tile([[WIDTH + 50.0, 10.0]], (68, 1)) + \
    np.random.default_rng(0).uniform(0, 40, (68, 2))

#: test id: (skip reason, corruption of a sample)
BAD = {
    'no_landmark_file': ('ann/missing_file', _unlink('landmarks', '{subset}', '{name}_pts.mat')),
    'garbage_mat': ('ann/unreadable_mat', _garbage('.mat')),
    'no_pose_para': ('ann/missing_key', _replace_pose(None)),
    'short_pose_para': ('ann/bad_shape', _replace_pose(np.zeros((1, 3)))),
    'landmarks_68x3': ('ann/bad_shape', _replace_landmarks(np.zeros((68, 3)))),
    'nan_angles': ('ann/malformed_pose', _replace_pose(np.full((1, 7), np.nan))),
    'no_image': ('image/missing', _unlink('{subset}', '{name}.jpg')),
    'garbage_image': ('image/corrupt', _garbage('.jpg')),
    'one_point': ('label/degenerate_landmarks', _replace_landmarks(np.full((68, 2), 60.0))),
    'minus_one': ('label/missing_landmarks', _replace_landmarks(np.full((68, 2), -1.0))),
    'outside_image': ('label/invalid_box', _replace_landmarks(LANDMARKS_OUTSIDE)),
}


@pytest.mark.parametrize('case', list(BAD))
def test_bad_files_are_counted_skips(tmp_path, case, fresh_skips, logs):
    reason, corrupt = BAD[case]
    write_samples(tmp_path, dict(list(SAMPLES.items())[:2]))
    bad = corrupt(tmp_path, 'HELEN', 'HELEN_232194_1_0')
    dataset = build(tmp_path, subsets=['AFW', 'HELEN'])
    assert [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))] == \
        ['AFW/AFW_134212_1_0']
    assert dataset.skip_counts == {reason: 1} and fresh_skips.counts[reason] == 1
    # named: the bad file, or for a face without a label its sample
    assert any(reason in m and str(bad) in m for m in logs) or any(
        reason in m and str(tmp_path / 'HELEN' / 'HELEN_232194_1_0') in m for m in logs), logs
    assert any(f'1 images; skipped: {reason}: 1' in m for m in logs)


def test_no_usable_sample_and_missing_subset(tmp_path):
    write_samples(tmp_path, dict(list(SAMPLES.items())[:1]))
    (tmp_path / 'AFW' / 'AFW_134212_1_0.jpg').unlink()
    with pytest.raises(ValueError, match='no usable sample'):
        build(tmp_path, subsets=['AFW'])
    with pytest.raises(FileNotFoundError, match='LFPW: no such 300W-LP subset folder'):
        build(tmp_path, subsets=['AFW', 'LFPW'])
