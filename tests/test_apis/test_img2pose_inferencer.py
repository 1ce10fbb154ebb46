"""Img2PoseInferencer on a random model: inputs, batching, outputs and the files it writes."""
import json

import cv2
import numpy as np
import pytest
from img2pose_checkpoint import REPO, write_random_img2pose
from mmdet.structures import DetDataSample

from mmpose6d.apis import Img2PoseInferencer
from mmpose6d.geometry import image_intrinsics, pose_to_bbox, project_points, rotvec_to_euler

KEYS = {'ori_shape', 'bboxes', 'scores', 'labels', 'poses', 'euler', 'landmarks'}


@pytest.fixture(scope='module')
def inferencer(tmp_path_factory):
    config, checkpoint = write_random_img2pose(tmp_path_factory.mktemp('model'))
    return Img2PoseInferencer(str(config), str(checkpoint), device='cpu', show_progress=False)


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    """A folder with two noise images of different sizes, and a BGR array."""
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp('images')
    for name, shape in (('a.png', (150, 200, 3)), ('b.jpg', (160, 120, 3))):
        cv2.imwrite(str(folder / name), rng.integers(0, 256, shape, dtype=np.uint8))
    return folder, rng.integers(0, 256, (100, 130, 3), dtype=np.uint8)


def _references():
    """The model's references as it holds them (float32 buffers)."""
    return tuple(np.load(REPO / 'pose_references' / f'ref{n}.npy').astype(np.float32)
                 .astype(np.float64) for n in (68, 5))


def check_prediction(pred, height, width):
    """Shapes, and every derived output recomputed from the returned poses."""
    assert KEYS | {'landmarks5'} == set(pred)
    assert pred['ori_shape'] == [height, width]
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in pred.items()}
    n = len(arrays['scores'])
    assert 0 < n <= 5
    assert arrays['bboxes'].shape == (n, 4) and arrays['poses'].shape == (n, 6)
    assert arrays['euler'].shape == (n, 3) and arrays['labels'].shape == (n, )
    poses = arrays['poses']
    np.testing.assert_allclose(arrays['euler'], rotvec_to_euler(poses[:, :3]), atol=1e-6)
    ref68, ref5 = _references()
    k_img = image_intrinsics(width, height)
    np.testing.assert_allclose(arrays['landmarks'], project_points(ref68, poses, k_img),
                               rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(arrays['landmarks5'], project_points(ref5, poses, k_img),
                               rtol=1e-6, atol=1e-4)
    # the boxes are the 68 points projected in the original image: the poses are global
    # poses of that image, not of the resized network input
    np.testing.assert_allclose(arrays['bboxes'], pose_to_bbox(poses, np.array([width, height]),
                                                              ref68), atol=1.01)


def test_folder_batched_with_files(inferencer, images, tmp_path):
    folder, _ = images
    result = inferencer(str(folder), batch_size=2, out_dir=str(tmp_path), no_save_pred=False,
                        pred_score_thr=0, return_points5=True, return_crops=True,
                        save_crops=True)
    preds, crops = result['predictions'], result['crops']
    assert len(preds) == len(crops) == 2 and result['visualization'] == []
    for name, pred, image_crops in zip(('a.png', 'b.jpg'), preds, crops):
        height, width = cv2.imread(str(folder / name)).shape[:2]
        check_prediction(pred, height, width)
        stem = name.split('.')[0]
        assert json.loads((tmp_path / 'preds' / f'{stem}.json').read_text()) == pred
        assert cv2.imread(str(tmp_path / 'vis' / name)).shape == (height, width, 3)
        n = len(pred['scores'])
        assert image_crops.shape == (n, 112, 112, 3) and image_crops.dtype == np.uint8
        saved = sorted((tmp_path / 'crops').glob(f'{stem}_*.png'))
        assert len(saved) == n
        assert cv2.imread(str(tmp_path / 'crops' / f'{stem}_0.png')).shape == (112, 112, 3)


def test_array_and_mixed_list(inferencer, images, tmp_path):
    folder, array = images
    single = inferencer(array, out_dir=str(tmp_path), no_save_pred=False, return_vis=True,
                        pred_score_thr=0, return_points5=True)
    check_prediction(single['predictions'][0], *array.shape[:2])
    (vis, ) = single['visualization']
    assert vis.shape == array.shape
    (json_file, ) = (tmp_path / 'preds').glob('*.json')
    assert json.loads(json_file.read_text()) == single['predictions'][0]
    assert cv2.imread(str(tmp_path / 'vis' / f'{json_file.stem}.jpg')).shape == array.shape

    mixed = inferencer([str(folder / 'a.png'), array, str(folder / 'b.jpg')], batch_size=2,
                       pred_score_thr=0, return_points5=True)
    shapes = [(150, 200), array.shape[:2], (160, 120)]
    assert len(mixed['predictions']) == 3
    for pred, shape in zip(mixed['predictions'], shapes):
        check_prediction(pred, *shape)
    # batching does not change the result of an image
    np.testing.assert_allclose(mixed['predictions'][1]['poses'],
                               single['predictions'][0]['poses'], atol=1e-5)


def test_score_threshold_and_datasamples(inferencer, images):
    _, array = images
    (sample, ) = inferencer(array, pred_score_thr=0, return_datasamples=True)['predictions']
    assert isinstance(sample, DetDataSample)
    scores = sample.pred_instances.scores.numpy()
    thr = float(np.median(scores))
    kept = inferencer(array, pred_score_thr=thr, return_crops=True)
    assert np.all(np.array(kept['predictions'][0]['scores']) > thr)
    assert len(kept['crops'][0]) == len(kept['predictions'][0]['scores']) == (scores > thr).sum()
    none = inferencer(array, pred_score_thr=1.0, return_crops=True, return_points5=True)
    assert none['predictions'][0]['landmarks'] == [] == none['predictions'][0]['euler']
    assert none['crops'][0].shape == (0, 112, 112, 3)


def test_save_crops_needs_out_dir(inferencer, images):
    with pytest.raises(ValueError, match='out_dir'):
        inferencer(images[1], save_crops=True)
