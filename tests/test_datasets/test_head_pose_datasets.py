"""AFLW2000-3D and BIWI: the datasets on files in the real layouts (their Euler conventions
are tested in ``tests/test_geometry/test_euler_angles.py``).

Faces are the repository's 68-point reference projected with known global poses
(:mod:`mmpose6d.testing`); the poses' rotations are built from chosen AFLW
angles, so every test below checks a convention against numbers fixed in advance.
"""
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from mmpose6d.datasets.head_pose_datasets import (PROTOCOL_SKIP, AFLW2000Dataset, BIWIDataset,
                                                  read_biwi_pose)
from mmpose6d.datasets.skip_counter import AnnotationError
from mmpose6d.geometry import euler_to_matrix, image_intrinsics, project_points
from mmpose6d.testing import known_pose, write_aflw_sample, write_biwi_sample

REF68 = np.load(Path(__file__).resolve().parents[2] / 'pose_references' /
                'ref68.npy')


def write_aflw(folder, angles_list, width=450, height=450):
    """AFLW samples image00000, image00001, ... with the given angles: their (landmarks,
    global pose)."""
    faces = {}
    for i, angles in enumerate(angles_list):
        pose = known_pose(angles, (220 + 3 * i, 230 - 2 * i), 12.0, width, height)
        write_aflw_sample(folder, f'image{i:05d}', angles, pose, REF68, width, height, seed=i)
        faces[f'image{i:05d}'] = project_points(REF68, pose[None],
                                                image_intrinsics(width, height))[0], pose
    return faces


def notebook_box(points, roll, width, height):
    """The AFLW notebook's target box, step by step: the points' extent scaled 1.1 (sizes
    truncated), on its centre; 0.3 of the extent added on the side the roll picks; int32;
    clipped to the image."""
    lo, hi = points.min(0), points.max(0)
    extent = hi - lo
    size = (1.1 * extent).astype(int)
    x1, y1 = 0.5 * lo + 0.5 * hi - 0.5 * size
    x2, y2 = 0.5 * lo + 0.5 * hi + 0.5 * size
    if abs(roll) > 2.5:
        y2 += 0.3 * extent[1]
    elif roll > 1:
        x2 += 0.3 * extent[0]
    elif roll < -1:
        x1 -= 0.3 * extent[0]
    else:
        y1 -= 0.3 * extent[1]
    box = np.array([x1, y1, x2, y2]).astype(np.int32)
    return np.clip(box, 0, [width, height, width, height])


def forehead_side(roll):
    """The side of the box the notebook's forehead rule grows."""
    return 'bottom' if abs(roll) > 2.5 else 'right' if roll > 1 else 'left' if roll < -1 \
        else 'top'


def check_aflw_targets(info, faces, angles):
    """gt angles, PnP translation and target box of a data info against the drawn face."""
    face, = info['instances']
    points, pose = faces[info['img_id']]
    np.testing.assert_allclose(info['gt_euler'], angles, atol=1e-12)
    np.testing.assert_allclose(face['gt_euler'], angles, atol=1e-12)
    # the PnP in the image camera gives back the pose the points were drawn with
    np.testing.assert_allclose(info['gt_translation'], pose[3:], rtol=1e-4)
    box = notebook_box(points, pose[2], 450, 450)
    np.testing.assert_array_equal(info['gt_bbox'], box)
    np.testing.assert_array_equal(face['bbox'], box)
    assert face['bbox_label'] == 0 and face['landmarks'].shape == (68, 2)
    return forehead_side(pose[2])


def test_aflw_dataset(tmp_path, fresh_skips):
    angles = [[10.0, -30.0, 5.0], [-20.0, 60.0, -12.0], [5.0, 100.0, 0.0], [-120.0, 0.0, 3.0],
              [0.0, 89.0, 98.0], [0.0, -60.0, -80.0], [0.0, 0.0, 170.0]]
    faces = write_aflw(tmp_path, angles)
    jpg = (tmp_path / 'image00000.jpg').read_bytes()
    for name in ('image00010', 'image00011', 'image00012', 'image00013'):
        (tmp_path / f'{name}.jpg').write_bytes(jpg)
    savemat(str(tmp_path / 'image00010.mat'), {'pt3d_68': np.zeros((3, 68))})  # no Pose_Para
    savemat(str(tmp_path / 'image00011.mat'),
            {'pt3d_68': np.zeros((2, 68)), 'Pose_Para': np.zeros((1, 7))})  # bad shape
    (tmp_path / 'image00013.mat').write_bytes(b'not a mat file')  # image00012: no .mat
    write_aflw(tmp_path / 'orphan', [[0.0, 0.0, 0.0]])
    (tmp_path / 'orphan' / 'image00000.mat').rename(tmp_path / 'image00014.mat')  # no image

    ds = AFLW2000Dataset(data_root=str(tmp_path), data_prefix=dict(img=''), test_mode=True)
    assert [d['img_id'] for d in ds] == ['image00000', 'image00001', 'image00004',
                                         'image00005']
    assert ds.skip_counts == {PROTOCOL_SKIP: 3, 'ann/missing_key': 1, 'ann/bad_shape': 1,
                              'ann/missing_file': 1, 'ann/unreadable_mat': 1}
    assert PROTOCOL_SKIP not in fresh_skips.counts and fresh_skips.counts['ann/missing_file'] == 1
    sides = [check_aflw_targets(info, faces, angles[int(info['img_id'][-1])]) for info in ds]
    assert sides == ['top', 'top', 'right', 'left']
    for info in ds:
        assert (info['height'], info['width']) == (450, 450)
        assert info['img_path'] == str(tmp_path / f'{info["img_id"]}.jpg')

    extent = AFLW2000Dataset(data_root=str(tmp_path), target_box='extent', test_mode=True)
    points, _ = faces['image00001']
    np.testing.assert_allclose(extent[1]['gt_bbox'], np.r_[points.min(0), points.max(0)],
                               atol=1e-9)
    np.testing.assert_array_equal(extent[1]['gt_translation'], ds[1]['gt_translation'])

    # the notebook's list as published; listed without image: skipped
    (tmp_path / 'list.txt').write_text('../../datasets/AFLW2000/image00006.jpg\nimage00003\n\n'
                                       'image00001\nimage00014.jpg\n')
    listed = AFLW2000Dataset(data_root=str(tmp_path), ann_file='list.txt', max_angle=None,
                             test_mode=True)
    assert [d['img_id'] for d in listed] == ['image00006', 'image00003', 'image00001']
    assert listed.skip_counts == {'image/missing': 1}
    assert check_aflw_targets(listed[0], faces, angles[6]) == 'bottom'
    with pytest.raises(ValueError, match='target_box'):
        AFLW2000Dataset(data_root=str(tmp_path), target_box='tight', test_mode=True)
    with pytest.raises(ValueError, match='check_images'):
        AFLW2000Dataset(data_root=str(tmp_path), check_images=False, test_mode=True)


def test_biwi_pose_file(tmp_path):
    rot = euler_to_matrix([[12.0, -25.0, 7.0]])[0]
    write_biwi_sample(tmp_path, 3, 7, [12.0, -25.0, 7.0],
                      known_pose([12.0, -25.0, 7.0], (320, 240), 9.0, 640, 480), REF68)
    read_rot, trans = read_biwi_pose(tmp_path / '03' / 'frame_00007_pose.txt')
    np.testing.assert_allclose(read_rot, rot, atol=1e-8)
    assert trans[2] == pytest.approx(900.0)  # 9 dm in mm
    text = (tmp_path / '03' / 'frame_00007_pose.txt').read_text().split('\n')
    assert len(text) == 6 and text[3] == ''  # 3 rows, a blank line, the translation


def test_biwi_dataset(tmp_path, fresh_skips):
    rng = np.random.default_rng(5)
    expected = {}
    for subject, frame in [(1, 3), (1, 4), (2, 10), (12, 5)]:
        angles = rng.uniform(-60, 60, 3)
        pose = known_pose(angles, (320, 240), 9.0, 640, 480)
        write_biwi_sample(tmp_path, subject, frame, angles, pose, REF68, seed=frame)
        expected[f'{subject:02d}/frame_{frame:05d}'] = angles
    bad = tmp_path / '02'
    (bad / 'frame_00011_pose.txt').write_text('1 0 0\n0 1 0\n\n1 2 3\n')  # 3 lines
    (bad / 'frame_00012_pose.txt').write_text('1 0 0\n0 1 x\n0 0 1\n\n1 2 3\n')  # not numbers
    (bad / 'frame_00013_pose.txt').write_text('2 0 0\n0 1 0\n0 0 1\n\n1 2 3\n')  # no rotation
    (bad / 'frame_00014_pose.txt').write_text('1 0 0\n0 1 0\n0 0 1\n\n1 2 3\n')  # no png
    (tmp_path / 'readme.txt').write_text('not a subject')

    ds = BIWIDataset(data_root=str(tmp_path), data_prefix=dict(img=''), test_mode=True)
    assert [d['img_id'] for d in ds] == sorted(expected)
    assert ds.skip_counts == {'ann/malformed_pose': 2, 'ann/bad_rotation': 1,
                              'image/missing': 1}
    for info in ds:
        np.testing.assert_allclose(info['gt_euler'], expected[info['img_id']], atol=1e-7)
        assert info['instances'] == [] and (info['height'], info['width']) == (480, 640)
        assert info['img_path'].endswith(f'{info["img_id"]}_rgb.png')

    subset = BIWIDataset(data_root=str(tmp_path), subjects=[1, '12'], test_mode=True)
    assert [d['img_id'] for d in subset] == ['01/frame_00003', '01/frame_00004',
                                             '12/frame_00005']
    (tmp_path / 'list.txt').write_text('12/frame_00005\n02/frame_00099\n')
    listed = BIWIDataset(data_root=str(tmp_path), ann_file='list.txt', test_mode=True)
    assert [d['img_id'] for d in listed] == ['12/frame_00005']
    assert listed.skip_counts == {'ann/missing_file': 1}
    # the notebook's BIWI_annotations.txt lines, as published, in their order
    (tmp_path / 'notebook.txt').write_text(
        '../../datasets/BIWI/02/frame_00010_rgb.png 3.8 -4.5 0.16\n'
        '../../datasets/BIWI/01/frame_00004_rgb.png -2.1 7.9 7.2\n')
    notebook = BIWIDataset(data_root=str(tmp_path), ann_file='notebook.txt', test_mode=True)
    assert [d['img_id'] for d in notebook] == ['02/frame_00010', '01/frame_00004']
    np.testing.assert_allclose(notebook[0]['gt_euler'], expected['02/frame_00010'], atol=1e-7)
    (tmp_path / 'bad.txt').write_text('01/frame_00003\n../../datasets/BIWI/01/rgb_3.png 1 2 3\n')
    with pytest.raises(ValueError, match=r"bad\.txt: '../../datasets/BIWI/01/rgb_3.png' does "
                       'not name a frame'):
        BIWIDataset(data_root=str(tmp_path), ann_file='bad.txt', test_mode=True)


def test_bad_files_name_the_file(tmp_path):
    from mmpose6d.datasets.head_pose_datasets import read_aflw_mat
    savemat(str(tmp_path / 'a.mat'), {'pt3d_68': np.zeros((3, 68))})
    with pytest.raises(AnnotationError, match=r'a\.mat: no Pose_Para'):
        read_aflw_mat(str(tmp_path / 'a.mat'))
    (tmp_path / 'p.txt').write_text('1 0 0\n0 1 0\n')
    with pytest.raises(AnnotationError, match=r'p\.txt: expected 4 lines'):
        read_biwi_pose(str(tmp_path / 'p.txt'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='0 images.*no usable sample'):
        AFLW2000Dataset(data_root=str(tmp_path / 'empty'), test_mode=True)
