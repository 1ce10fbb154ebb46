"""LoadPoseImage and LoadPoseAnnotations."""
import cv2
import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes

from mmpose6d.datasets.transforms import LoadPoseAnnotations, LoadPoseImage


def test_annotations_pad_landmarks_by_count(synth):
    results = synth.results()
    assert isinstance(results['gt_bboxes'], HorizontalBoxes)
    assert results['gt_bboxes'].tensor.dtype == torch.float32
    assert results['gt_bboxes_labels'].dtype == np.int64
    assert results['gt_ignore_flags'].dtype == bool and not results['gt_ignore_flags'].any()
    landmarks, num = results['gt_landmarks'], results['gt_num_landmarks']
    assert landmarks.shape == (3, 68, 2) and landmarks.dtype == np.float32
    assert num.dtype == np.int64 and num.tolist() == [68, 5, 0]
    np.testing.assert_allclose(landmarks[0], synth.landmarks(synth.pose68), rtol=1e-6)
    np.testing.assert_allclose(landmarks[1, :5], synth.landmarks(synth.pose5, 5), rtol=1e-6)
    assert np.isnan(landmarks[1, 5:]).all() and np.isnan(landmarks[2]).all()


def test_annotations_without_faces():
    results = LoadPoseAnnotations()(dict(instances=[]))
    assert results['gt_landmarks'].shape == (0, 68, 2)
    assert results['gt_num_landmarks'].shape == (0, )
    assert results['gt_bboxes'].tensor.shape == (0, 4)


def test_grayscale_image_loads_as_three_channels(tmp_path):
    gray = np.random.default_rng(0).integers(0, 256, (40, 50), np.uint8)
    cv2.imwrite(str(tmp_path / 'gray.jpg'), gray)
    results = LoadPoseImage()(dict(img_path=str(tmp_path / 'gray.jpg')))
    assert results['img'].shape == (40, 50, 3) and results['img'].dtype == np.uint8
    assert results['ori_shape'] == results['img_shape'] == (40, 50)
    assert (results['img'][..., 0] == results['img'][..., 2]).all()


def test_image_from_bytes_is_popped(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (30, 20, 3), np.uint8)
    data = cv2.imencode('.png', img)[1].tobytes()
    results = LoadPoseImage()(dict(img_path='in-lmdb.png', img_bytes=data))
    np.testing.assert_array_equal(results['img'], img)
    assert 'img_bytes' not in results


def _jpeg(seed=0):
    img = np.random.default_rng(seed).integers(0, 256, (32, 32, 3), np.uint8)
    return cv2.imencode('.jpg', img)[1].tobytes()


@pytest.mark.parametrize('name, data, reason', [
    ('missing.jpg', None, 'image/missing'),
    ('empty.jpg', b'', 'image/empty_file'),
    ('corrupt.jpg', b'not an image at all' * 10, 'image/corrupt'),
    ('truncated.jpg', _jpeg()[:300], 'image/truncated'),
])
def test_bad_image_files_are_counted(tmp_path, fresh_skips, logs, name, data, reason):
    """Skipped (None) and counted, the warning naming the file and the reason."""
    if data is not None:
        (tmp_path / name).write_bytes(data)
    assert LoadPoseImage()(dict(img_path=str(tmp_path / name))) is None
    assert fresh_skips.counts == {reason: 1}
    assert logs == [f'skipped [{reason}] (x1 so far): {tmp_path / name}: image skipped '
                    f'({reason})']


def test_unreadable_image_path_is_counted(tmp_path, fresh_skips):
    (tmp_path / 'folder.jpg').mkdir()  # exists, but cannot be read as a file
    assert LoadPoseImage()(dict(img_path=str(tmp_path / 'folder.jpg'))) is None
    assert fresh_skips.counts == {'image/unreadable': 1}


def test_missing_lmdb_bytes_are_counted(fresh_skips):
    assert LoadPoseImage()(dict(img_path='x.jpg', img_bytes=None)) is None
    assert fresh_skips.counts == {'image/missing': 1}
