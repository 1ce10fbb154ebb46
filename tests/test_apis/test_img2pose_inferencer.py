"""Img2PoseInferencer on a random model: inputs, batching, outputs, the files it writes,
unreadable images and checkpoints that are crafted, damaged or do not fit."""
import json

import cv2
import numpy as np
import pytest
import torch
from bad_inputs import WritesMarker, write_unreadable_images
from img2pose_checkpoint import REPO, write_random_img2pose
from mmdet.structures import DetDataSample

from mmpose6d.apis import Img2PoseInferencer
from mmpose6d.geometry import (box_iou, image_intrinsics, pose_to_bbox, project_points,
                               rotvec_to_euler)
from mmpose6d.utils.checkpoint import CheckpointError, DamagedCheckpointError

KEYS = {'ori_shape', 'bboxes', 'scores', 'labels', 'poses', 'euler', 'landmarks'}


@pytest.fixture(scope='module')
def model_files(tmp_path_factory):
    return write_random_img2pose(tmp_path_factory.mktemp('model'))


@pytest.fixture(scope='module')
def inferencer(model_files):
    config, checkpoint = model_files
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
    # the boxes are the 68 points projected in the network input (mmdet's Resize to 640 x 480
    # here), scaled to the image by the size ratios, as the original maps its boxes
    factor = min(640 / max(height, width), 480 / min(height, width))
    input_wh = np.array([int(width * factor + 0.5), int(height * factor + 0.5)])
    ratios = np.array([width, height], np.float32) / input_wh.astype(np.float32)
    np.testing.assert_allclose(arrays['bboxes'],
                               pose_to_bbox(poses, input_wh, ref68) * np.tile(ratios, 2),
                               rtol=1e-6)


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


def test_unreadable_images_are_skipped_and_named(inferencer, images, tmp_path, logs,
                                                 monkeypatch):
    folder, _ = images
    mixed = tmp_path / 'mixed'
    mixed.mkdir()
    for name in ('a.png', 'b.jpg'):
        (mixed / name).write_bytes((folder / name).read_bytes())
    reasons = write_unreadable_images(mixed)
    result = inferencer(str(mixed), batch_size=2, out_dir=str(tmp_path / 'out'),
                        no_save_pred=False, pred_score_thr=0)
    skipped = sorted(reasons.items())
    assert result['skipped'] == [(str(mixed / name), reason) for name, reason in skipped]
    assert len(result['predictions']) == 2
    assert sorted(p.name for p in (tmp_path / 'out' / 'preds').iterdir()) == ['a.json', 'b.json']
    named = [f'{mixed / name}: image skipped ({reason})' for name, reason in skipped]
    assert logs == named + ['3 of 5 inputs skipped (unreadable images, named above)']

    def broken_pipeline(item):
        raise ValueError('a broken pipeline')

    monkeypatch.setattr(inferencer, 'pipeline', broken_pipeline)
    with pytest.raises(ValueError, match='a broken pipeline'):  # readable: not a skip
        inferencer(str(mixed / 'a.png'))


def test_checkpoints_crafted_damaged_or_not_fitting(model_files, tmp_path):
    config, checkpoint = map(str, model_files)
    state_dict = torch.load(checkpoint, weights_only=True)['state_dict']
    marker = tmp_path / 'marker'
    torch.save(dict(state_dict=state_dict, payload=WritesMarker(marker)), tmp_path / 'evil.pth')
    with pytest.raises(CheckpointError, match=r'evil\.pth: holds objects .*--trust-checkpoint'):
        Img2PoseInferencer(config, str(tmp_path / 'evil.pth'), device='cpu')
    assert not marker.exists()
    Img2PoseInferencer(config, str(tmp_path / 'evil.pth'), device='cpu', trust_checkpoint=True)
    assert marker.exists()  # full unpickling, as asked

    data = (tmp_path / 'evil.pth').read_bytes()
    (tmp_path / 'truncated.pth').write_bytes(data[:len(data) // 2])
    with pytest.raises(DamagedCheckpointError, match=r'truncated\.pth: damaged or incomplete'):
        Img2PoseInferencer(config, str(tmp_path / 'truncated.pth'), device='cpu')

    torch.save(dict(state_dict={k: v for k, v in state_dict.items()
                                if not k.startswith('roi_head.pose_head.pose_pred')}),
               tmp_path / 'no_pose.pth')
    with pytest.raises(CheckpointError) as error:
        Img2PoseInferencer(config, str(tmp_path / 'no_pose.pth'), device='cpu')
    assert str(error.value).startswith(f'{tmp_path / "no_pose.pth"}: does not fit the model')
    assert '8 missing: roi_head.pose_head.pose_pred.0.weight' in str(error.value)

    # the pose head's config buffers may be missing (a converted original checkpoint)
    torch.save(dict(state_dict={k: v for k, v in state_dict.items()
                                if k.split('.')[-1] not in ('pose_mean', 'reference68')}),
               tmp_path / 'converted.pth')
    inferencer = Img2PoseInferencer(config, str(tmp_path / 'converted.pth'), device='cpu')
    coder = inferencer.model.roi_head.pose_head.pose_coder
    assert coder.pose_mean.tolist() == [0, 0, 0, 0, 0, 6]


def test_inference_dtype(model_files, images):
    """``inference_dtype='bfloat16'`` sets the model's autocast: the predictions keep their
    float32 geometry (every derived output recomputed from the poses), and the faces are
    float32's within bfloat16's rounding."""
    config, checkpoint = model_files
    folder, _ = images
    plain = Img2PoseInferencer(str(config), str(checkpoint), device='cpu',
                               show_progress=False)
    half = Img2PoseInferencer(str(config), str(checkpoint), device='cpu', show_progress=False,
                              inference_dtype='bfloat16')
    assert half.model.inference_dtype == 'bfloat16' and plain.model.inference_dtype is None
    expected = plain(str(folder / 'a.png'))['predictions'][0]
    pred = half(str(folder / 'a.png'), return_points5=True)['predictions'][0]
    check_prediction(pred, 150, 200)
    best = torch.tensor(expected['bboxes'])[[int(np.argmax(expected['scores']))]]
    assert box_iou(best, torch.tensor(pred['bboxes'])).max() > 0.8
    with pytest.raises(ValueError, match='inference_dtype must be'):
        Img2PoseInferencer(str(config), str(checkpoint), device='cpu', show_progress=False,
                           inference_dtype='float64')
