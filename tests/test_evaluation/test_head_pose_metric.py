"""HeadPoseMetric: the AFLW2000-3D (IoU pick) and BIWI (centre pick) protocols.

End to end: synthetic files in the real layouts (known poses built from chosen angles), the
base configs' datasets and test pipelines, predictions shaped like the model's
(``pred_instances`` with boxes projected from the poses in the original image), mmengine's
Evaluator.
"""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import mmpose6d.datasets  # noqa: F401  (registers the transforms)
from mmpose6d.datasets.head_pose_datasets import AFLW2000Dataset  # noqa: F401  (registers)
from mmpose6d.evaluation import HeadPoseMetric
from mmpose6d.evaluation.metrics.head_pose_metric import select_by_center, select_by_iou
from mmpose6d.geometry import pose_to_bbox, rotvec_to_euler
from mmpose6d.registry import DATASETS
from mmpose6d.testing import known_pose, write_aflw_sample, write_biwi_sample

REPO = Path(__file__).resolve().parents[2]
REF68 = np.load(REPO / 'pose_references' / 'ref68.npy')
CONFIGS = REPO / 'configs' / '_base_' / 'datasets'
AFLW_ANGLES = {'image00000': [10.0, -30.0, 5.0], 'image00001': [-20.0, 60.0, -12.0],
               'image00002': [5.0, 100.0, 0.0], 'image00003': [33.0, 12.5, -70.0]}


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmpose6d')


def predictions(poses, scores, image_wh, dtype=torch.float64, boxes=None):
    """``pred_instances`` like the model's: boxes projected from the global poses in the
    original image (or given), scores, labels 0, poses and their Euler angles."""
    poses = np.asarray(poses, np.float64).reshape(-1, 6)
    if boxes is None:
        boxes = pose_to_bbox(poses, np.asarray(image_wh, np.float64), REF68)
    return InstanceData(bboxes=torch.as_tensor(np.asarray(boxes).reshape(-1, 4), dtype=dtype),
                        scores=torch.as_tensor(scores, dtype=dtype).reshape(-1),
                        labels=torch.zeros(len(poses), dtype=torch.long),
                        poses=torch.as_tensor(poses, dtype=dtype),
                        euler=torch.as_tensor(rotvec_to_euler(poses[:, :3]), dtype=dtype))


def build_test_set(config, root):
    cfg = Config.fromfile(CONFIGS / config)
    return DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(root))), cfg


def evaluate(cfg, samples):
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def aflw_pose(name, offset=(0, 0, 0)):
    """The known global pose of an AFLW sample, its angles offset by ``offset`` degrees."""
    i = int(name[-1])
    return known_pose(np.add(AFLW_ANGLES[name], offset), (220 + 5 * i, 230 - 3 * i), 12.0, 450,
                      450)


@pytest.fixture
def aflw_set(tmp_path):
    boxes = {name: write_aflw_sample(tmp_path, name, angles, aflw_pose(name), REF68, seed=i)
             for i, (name, angles) in enumerate(AFLW_ANGLES.items())}
    dataset, cfg = build_test_set('aflw2000.py', tmp_path)
    return dataset, cfg, boxes


def aflw_samples(dataset, offset=(0, 0, 0), dtype=torch.float64, distractors=False):
    """Packed test samples with predictions at the known poses (angles + ``offset``); with
    ``distractors`` a higher-scoring face elsewhere and a wrong pose on a shifted box."""
    samples = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        pose = aflw_pose(sample.img_id, offset)
        poses, scores = [pose], [0.6]
        if distractors:
            away = known_pose([0, 40, 0], (60, 60), 30.0, 450, 450)
            wrong = known_pose([40, -40, 40], (230, 240), 12.0, 450, 450)
            poses, scores = [away, wrong, pose], [0.99, 0.95, 0.6]
        h, w = sample.ori_shape
        preds = predictions(poses, scores, (w, h), dtype)
        if distractors:  # the wrong pose on a box shifted by half its size: lower IoU
            box = preds.bboxes[2].clone()
            preds.bboxes[1] = box + torch.cat([box[2:] - box[:2]] * 2) * 0.5
        sample.pred_instances = preds
        samples.append(sample)
    return samples


def test_aflw_pipeline_carries_gt(aflw_set):
    """The targets reach the metainfo: angles, the PnP translation (the drawn pose's) and the
    target box (the drawn pose's projected box: the same rule on the same points)."""
    dataset, cfg, _ = aflw_set
    assert [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))] == [
        'image00000', 'image00001', 'image00003']
    packed = dataset[0]
    meta = packed['data_samples'].metainfo
    pose = aflw_pose('image00000')
    box = pose_to_bbox(pose[None], np.array([450.0, 450.0]), REF68)[0]
    np.testing.assert_allclose(meta['gt_euler'], AFLW_ANGLES['image00000'], atol=1e-12)
    np.testing.assert_array_equal(meta['gt_bbox'], box)
    np.testing.assert_allclose(meta['gt_translation'], pose[3:], rtol=1e-4)
    # the original model's size, short side 400; the resampling is the model's (in_model)
    assert meta['ori_shape'] == (450, 450) and meta['img_shape'] == (400, 400)
    assert packed['inputs'].shape[1:] == meta['ori_shape']
    gt = packed['data_samples'].gt_instances  # loaded after the resize: original frame
    np.testing.assert_allclose(gt.bboxes.tensor[0].numpy(), box, atol=1e-3)


def test_aflw_exact_offset_and_iou_pick(aflw_set):
    dataset, cfg, _ = aflw_set
    exact = evaluate(cfg, aflw_samples(dataset))
    assert exact['aflw2000/failures'] == 0 and exact['aflw2000/evaluated'] == 3
    for key in ('yaw', 'pitch', 'roll', 'mae'):
        assert exact[f'aflw2000/{key}'] < 1e-6
    for key in ('h_trans', 'v_trans', 'scale'):  # the PnP gives the drawn translation back
        assert exact[f'aflw2000/{key}'] < 1e-4
    # +10 degrees of yaw: yaw MAE 10, the others untouched
    offset = evaluate(cfg, aflw_samples(dataset, offset=(0, 10, 0)))
    assert offset['aflw2000/yaw'] == pytest.approx(10, abs=1e-6)
    assert offset['aflw2000/pitch'] < 1e-6 and offset['aflw2000/roll'] < 1e-6
    assert offset['aflw2000/mae'] == pytest.approx(10 / 3, abs=1e-6)
    # higher-scoring distractors (elsewhere, and overlapping less): the IoU pick ignores them
    picked = evaluate(cfg, aflw_samples(dataset, distractors=True))
    assert picked['aflw2000/mae'] < 1e-6
    # float32 predictions, as the model gives them
    model_like = evaluate(cfg, aflw_samples(dataset, dtype=torch.float32))
    assert model_like['aflw2000/mae'] < 1e-3


def test_aflw_translation_error(aflw_set):
    """h_trans, v_trans, scale: the mean |difference| of tx, ty, tz."""
    dataset, cfg, _ = aflw_set
    samples = aflw_samples(dataset)
    for sample, shift in zip(samples, ([0.3, 0, 0], [0, -0.6, 0], [0, 0, 1.5])):
        sample.pred_instances.poses[:, 3:] += torch.as_tensor(shift, dtype=torch.float64)
    metrics = evaluate(cfg, samples)
    assert metrics['aflw2000/h_trans'] == pytest.approx(0.1, abs=1e-4)
    assert metrics['aflw2000/v_trans'] == pytest.approx(0.2, abs=1e-4)
    assert metrics['aflw2000/scale'] == pytest.approx(0.5, abs=1e-4)
    assert metrics['aflw2000/mae'] < 1e-6


def test_aflw_failures_and_last_detection_quirk(aflw_set, tmp_path):
    """No detection: a failure, left out. No detection overlapping the target box: the
    notebook evaluates the LAST detection (``fallback='last'``); ``fallback=None`` leaves
    the image out as missed."""
    dataset, cfg, _ = aflw_set
    samples = aflw_samples(dataset, offset=(0, 10, 0))
    samples[1].pred_instances = samples[1].pred_instances[torch.zeros(1, dtype=torch.bool)]
    away = [known_pose([0, 40, 0], (60, 60), 30.0, 450, 450),
            known_pose([20, 0, 0], (400, 60), 30.0, 450, 450)]
    samples[2].pred_instances = predictions(away, [0.9, 0.8], (450, 450))
    metrics = evaluate(cfg, samples)
    assert (metrics['aflw2000/failures'], metrics['aflw2000/missed'],
            metrics['aflw2000/evaluated']) == (1, 0, 2)
    gt_pitch = AFLW_ANGLES['image00003'][0]  # image00003 got the last pose: pitch 20
    assert metrics['aflw2000/pitch'] == pytest.approx(abs(20 - gt_pitch) / 2, abs=1e-6)

    strict = dict(cfg.test_evaluator, fallback=None, out_file=str(tmp_path / 'records.json'))
    metrics = evaluate(Config(dict(test_evaluator=strict)), samples)
    assert (metrics['aflw2000/failures'], metrics['aflw2000/missed'],
            metrics['aflw2000/evaluated']) == (1, 1, 1)
    assert metrics['aflw2000/yaw'] == pytest.approx(10, abs=1e-6)
    records = json.loads((tmp_path / 'records.json').read_text())
    assert [(r['how'], r['index'], r['detections']) for r in records] == [
        ('rule', 0, 1), ('failure', None, 0), ('missed', None, 2)]
    np.testing.assert_allclose(records[0]['target'][:3], AFLW_ANGLES['image00000'])
    np.testing.assert_allclose(records[0]['prediction'][:3],
                               np.add(AFLW_ANGLES['image00000'], [0, 10, 0]), atol=1e-6)
    assert len(records[0]['prediction']) == 6 and records[1]['prediction'] is None


BIWI_FRAMES = {(1, 3): [10.0, -35.0, 4.0], (1, 4): [-15.0, 20.0, 30.0], (2, 8): [0.0, 70.0, 0.0]}


def test_biwi_centre_pick_and_threshold(tmp_path):
    poses = {}
    for (subject, frame), angles in BIWI_FRAMES.items():
        poses[f'{subject:02d}/frame_{frame:05d}'] = pose = known_pose(angles, (330, 250), 9.0,
                                                                      640, 480)
        write_biwi_sample(tmp_path, subject, frame, angles, pose, REF68, seed=frame)
    dataset, cfg = build_test_set('biwi.py', tmp_path)
    assert len(dataset) == 3
    wrong = known_pose([30, 30, 30], (330, 250), 9.0, 640, 480)
    corner = known_pose([0, 0, 0], (100, 90), 9.0, 640, 480)
    samples = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        np.testing.assert_allclose(sample.gt_euler, BIWI_FRAMES[(int(sample.img_id[:2]),
                                                                 int(sample.img_id[-5:]))],
                                   atol=1e-7)
        pose = poses[sample.img_id]
        # a confident face in the corner, a wrong pose exactly at the centre with score 0.9
        # (not > 0.9), the true face near the centre with score 0.95
        boxes = np.concatenate([pose_to_bbox(np.stack([corner, pose]), np.array([640., 480.]),
                                             REF68), [[300, 220, 340, 260]]])
        scores = [0.99, 0.95, 0.9]
        if i == 2:  # nothing confident enough: the notebook takes the first detection
            scores = [0.5, 0.9, 0.3]
        sample.pred_instances = predictions([corner, pose, wrong], scores, None,
                                            boxes=boxes[[0, 1, 2]])
        samples.append(sample)
    metrics = evaluate(cfg, samples)
    assert (metrics['biwi/failures'], metrics['biwi/missed'], metrics['biwi/evaluated']) == \
        (0, 0, 3)
    # frame 2 evaluated with the corner face (angles 0) against yaw 70
    assert metrics['biwi/yaw'] == pytest.approx(70 / 3, abs=1e-6)
    assert metrics['biwi/pitch'] < 1e-6 and metrics['biwi/roll'] < 1e-6
    # without the fallback frame 2 is left out
    strict = Config(dict(test_evaluator=dict(cfg.test_evaluator, fallback=None)))
    metrics = evaluate(strict, samples)
    assert metrics['biwi/missed'] == 1 and metrics['biwi/evaluated'] == 2
    assert metrics['biwi/mae'] < 1e-6
    # with a lower threshold the exactly-central wrong pose wins
    lower = HeadPoseMetric(selection='center', score_thr=0.85)
    lower.process(None, [s.to_dict() for s in samples[:2]])
    assert lower.compute_metrics(lower.results)['mae'] > 10


def dict_sample(gt_euler, pred_poses, scores, boxes, gt_bbox=(100, 100, 200, 200)):
    return dict(img_path='x.jpg', ori_shape=(480, 640), gt_euler=np.asarray(gt_euler),
                gt_bbox=np.asarray(gt_bbox, np.float64),
                pred_instances=predictions(pred_poses, scores, None, boxes=boxes).to_dict())


def test_selection_helpers():
    boxes = np.array([[0, 0, 50, 50], [110, 110, 210, 210], [140, 140, 240, 240.]])
    scores = np.array([0.99, 0.5, 0.97])
    assert select_by_iou(boxes, scores, [100, 100, 200, 200]) == 1
    assert select_by_iou(boxes, scores, [100, 100, 200, 200], score_thr=0.9) == 2
    assert select_by_iou(boxes, scores, [100, 100, 200, 200], min_iou=0.9) is None
    assert select_by_iou(boxes[:0], scores[:0], [100, 100, 200, 200]) is None
    assert select_by_iou(boxes[:1], scores[:1], [300, 300, 400, 400]) is None  # no overlap
    assert select_by_iou(boxes[[1, 1]], scores[:2], [100, 100, 200, 200]) == 0  # tie: first
    assert select_by_iou(boxes[:2], np.zeros(2), [100, 100, 200, 200]) is None  # score > 0
    # +1 pixel areas: boxes sharing an edge overlap by one pixel column
    touching = np.array([[50, 0, 60, 10.]])
    assert select_by_iou(touching, scores[:1], [0, 0, 50, 50]) == 0
    assert select_by_iou(touching, scores[:1], [0, 0, 50, 50], plus_one=False) is None
    # image 640x480: centre (320, 240); box centres x1 + (x2 - x1) // 2
    boxes = np.array([[300, 220, 341, 261], [0, 0, 10, 10], [290, 200, 350, 280.]])
    assert select_by_center(boxes, np.array([0.95, 0.99, 0.91]), (640, 480)) == 0
    assert select_by_center(boxes, np.array([0.9, 0.99, 0.91]), (640, 480)) == 2
    assert select_by_center(boxes, np.array([0.9, 0.5, 0.2]), (640, 480)) is None
    # floor division: centres 301 + 41 // 2 = 321 and 298 + 43 // 2 = 319, both 1 px from
    # 320: a tie, the first wins (true centres 321.5 and 319.5 would pick the second)
    boxes = np.array([[301, 220, 342, 261], [298, 220, 341, 261.]])
    assert select_by_center(boxes, np.array([0.95, 0.95]), (641, 481)) == 0


def test_metric_options_and_errors():
    pose = known_pose([0, 0, 179], (320, 240), 9.0, 640, 480)
    box = [[100, 100, 200, 200]]
    plain = HeadPoseMetric()
    plain.process(None, [dict_sample([0, 0, -179], [pose], [0.8], box)])
    assert plain.compute_metrics(plain.results)['roll'] == pytest.approx(358)
    wrapped = HeadPoseMetric(wrap_angles=True)
    wrapped.process(None, [dict_sample([0, 0, -179], [pose], [0.8], box)])
    assert wrapped.compute_metrics(wrapped.results)['roll'] == pytest.approx(2)
    center = HeadPoseMetric(selection='center')
    assert (center.score_thr, center.fallback) == (0.9, 'first')
    assert (plain.score_thr, plain.fallback) == (0.0, 'last')
    assert HeadPoseMetric(fallback=None).fallback is None

    failed = HeadPoseMetric()
    failed.process(None, [dict_sample([1, 2, 3], np.zeros((0, 6)), [], np.zeros((0, 4)))])
    result = failed.compute_metrics(failed.results)
    assert (result['failures'], result['missed'], result['evaluated']) == (1, 0, 0)
    assert np.isnan(result['mae'])

    with pytest.raises(ValueError, match='selection'):
        HeadPoseMetric(selection='nearest')
    with pytest.raises(ValueError, match='fallback'):
        HeadPoseMetric(fallback='best')
    sample = dict_sample([1, 2, 3], [pose], [0.8], box)
    del sample['gt_euler']
    with pytest.raises(KeyError, match="x.jpg: no 'gt_euler'.*meta_keys"):
        HeadPoseMetric().process(None, [sample])
    with pytest.raises(KeyError, match="x.jpg: no 'gt_translation'"):
        HeadPoseMetric(with_translation=True).process(None, [dict_sample([1, 2, 3], [pose],
                                                                         [0.8], box)])
