"""WiderFaceMetric (mmengine) and tools/analysis_tools/eval_wider.py against the numpy core."""
import logging
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

from mmpose6d.evaluation import WiderFaceMetric
from mmpose6d.evaluation.functional import evaluate_wider, read_pred_dir, write_pred_dir
from mmpose6d.registry import METRICS

REPO = Path(__file__).resolve().parents[2]


def to_samples(preds):
    """``{event: {image: (N, 5) xywh+score}}`` -> mmdet-style x1y1x2y2 float32 tensors, and
    the predictions as the metric sees them after the float32 round trip."""
    samples, seen = [], {}
    for event, images in preds.items():
        for name, dets in images.items():
            bboxes = torch.tensor(np.concatenate([dets[:, :2], dets[:, :2] + dets[:, 2:4]], 1),
                                  dtype=torch.float32)
            scores = torch.tensor(dets[:, 4], dtype=torch.float32)
            samples.append(
                dict(img_path=f'data/WIDER_val/images/{event}/{name}.jpg',
                     pred_instances=dict(bboxes=bboxes,
                                         scores=scores,
                                         labels=torch.zeros(len(dets)))))
            b = bboxes.numpy().astype(np.float64)
            seen.setdefault(event, {})[name] = np.concatenate(
                [b[:, :2], b[:, 2:] - b[:, :2],
                 scores.numpy().astype(np.float64)[:, None]], 1)
    return samples, seen


@contextmanager
def captured_logs():
    """The records MMLogger's current instance emits inside the block."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def run_metric(metric, samples, batch_size=4):
    for i in range(0, len(samples), batch_size):
        metric.process(None, samples[i:i + batch_size])
    return metric.evaluate(len(samples))


def test_few_images_through_evaluator(wider_gt, wider_gt_dir, make_noisy_predictions):
    """DetDataSamples through mmengine's Evaluator (to_dict, prefix) on 6 val images."""
    preds = make_noisy_predictions(wider_gt[:6], seed=3)
    samples, seen = to_samples(preds)
    data_samples = []
    for sample in samples:
        data_sample = DetDataSample(metainfo=dict(img_path=sample['img_path']))
        data_sample.pred_instances = InstanceData(**sample['pred_instances'])
        data_samples.append(data_sample)
    assert samples[0]['img_path'] == (
        'data/WIDER_val/images/0--Parade/0_Parade_marchingband_1_465.jpg')
    evaluator = Evaluator(METRICS.build(dict(type='WiderFaceMetric', gt_dir=str(wider_gt_dir))))
    evaluator.process(data_samples[:3])
    evaluator.process(data_samples[3:])
    with captured_logs() as records:
        result = evaluator.evaluate(len(data_samples))
    # The other 3220 images count as having no predictions, with a warning.
    expected = dict(evaluate_wider(seen, wider_gt), num_images=6)
    assert result == {f'widerface/{k}': v for k, v in expected.items()}
    assert 0 < expected['easy'] < 0.01
    messages = [r.getMessage() for r in records]
    assert any('the predictions lack 3220 of the 3226 ground-truth images, among them 60 of '
               'the 61 events entirely' in m for m in messages)
    assert any(m.startswith('WIDER FACE val AP on 6 of 3226 images: easy') for m in messages)


def test_metric_txt_round_trip_and_script(wider_gt, wider_gt_dir, make_noisy_predictions,
                                          tmp_path):
    preds = make_noisy_predictions(wider_gt, seed=11)
    samples, seen = to_samples(preds)
    out = tmp_path / 'wider_txt'
    metric = WiderFaceMetric(gt_dir=str(wider_gt_dir), outfile_prefix=str(out))
    with captured_logs() as records:
        result = run_metric(metric, samples)
    aps = {k.split('/')[1]: v for k, v in result.items()}
    assert aps.pop('num_images') == 3226
    assert aps == evaluate_wider(seen, wider_gt)
    assert aps == pytest.approx(dict(easy=0.5546, medium=0.5950, hard=0.6382), abs=1e-4)
    assert any(f"easy {aps['easy']:.4f}, medium {aps['medium']:.4f}, hard {aps['hard']:.4f}" in
               r.getMessage() for r in records)

    # The written txt files read back to the same arrays and the same AP.
    read = read_pred_dir(out)
    assert read.keys() == seen.keys()
    for event, images in seen.items():
        assert read[event].keys() == images.keys()
        for name, dets in images.items():
            np.testing.assert_array_equal(read[event][name], dets)
    assert (
        out / '0--Parade' /
        '0_Parade_marchingband_1_465.txt').read_text().startswith('0_Parade_marchingband_1_465\n')
    assert evaluate_wider(read, wider_gt) == aps

    proc = subprocess.run([
        sys.executable,
        str(REPO / 'tools/analysis_tools/eval_wider.py'),
        str(out),
        str(wider_gt_dir)
    ],
                          capture_output=True,
                          text=True,
                          check=True,
                          cwd=tmp_path)
    for label, setting in (('Easy  ', 'easy'), ('Medium', 'medium'), ('Hard  ', 'hard')):
        assert f'{label} Val AP: {aps[setting]:.4f}\n' in proc.stdout
    assert 'on 3226 of the 3226 val images\n' in proc.stdout


def test_metric_warns_with_counts(wider_gt_dir):
    """An image outside the ground truth, a box of negative width and one score for all."""
    metric = WiderFaceMetric(gt_dir=str(wider_gt_dir))
    scores = torch.tensor([0.9, 0.9])
    metric.process(None, [
        dict(img_path='x/99--Nowhere/a.jpg',
             pred_instances=dict(bboxes=torch.tensor([[0., 0., 10., 10.]] * 2), scores=scores)),
        dict(img_path='x/0--Parade/0_Parade_marchingband_1_465.jpg',
             pred_instances=dict(bboxes=torch.tensor([[0., 0., 10., 10.], [20., 0., 10., 10.]]),
                                 scores=scores))])
    with captured_logs() as records:
        result = metric.evaluate(2)
    assert result == {'widerface/easy': 0.0, 'widerface/medium': 0.0, 'widerface/hard': 0.0,
                      'widerface/num_images': 1}
    messages = [r.getMessage() for r in records]
    for part in ('the predictions lack 3225 of the 3226 ground-truth images',
                 '1 of the 2 predicted images are not in the ground truth (first: '
                 '99--Nowhere/a', '1 box with a negative width or height in 1 image '
                 '(0--Parade/0_Parade_marchingband_1_465)',
                 'one score (0.9) for all of the 4 boxes', 'val AP on 1 of 3226 images'):
        assert any(part in m for m in messages), part


def perfect_predictions(wider_gt, seed=0):
    """Every gt box, scores random in (0.5, 1] (AP 0.99993 and more, see test_wider_face)."""
    rng = np.random.default_rng(seed)
    preds = {}
    for image in wider_gt:
        scores = 1 - rng.uniform(0, 0.5, len(image.boxes))
        preds.setdefault(image.event, {})[image.name] = np.concatenate(
            [image.boxes, scores[:, None]], 1)
    return preds


def run_script(pred_dir, gt_dir, *args):
    return subprocess.run([sys.executable, str(REPO / 'tools/analysis_tools/eval_wider.py'),
                           str(pred_dir), str(gt_dir), *args], capture_output=True, text=True)


def test_script_missing_event_is_an_error(wider_gt, wider_gt_dir, tmp_path):
    """One event folder missing used to lower AP (hard 0.9999 -> 0.9082 here) without a word."""
    preds = perfect_predictions(wider_gt)
    del preds['0--Parade']
    write_pred_dir(preds, tmp_path)
    refused = run_script(tmp_path, wider_gt_dir)
    assert refused.returncode == 1 and 'Val AP' not in refused.stdout
    assert (f'error: {tmp_path}: the predictions lack 115 of the 3226 ground-truth images, among '
            'them 1 of the 61 events entirely (0--Parade)') in refused.stderr
    assert '--allow-missing' in refused.stderr
    accepted = run_script(tmp_path, wider_gt_dir, '--allow-missing')
    assert accepted.returncode == 0, accepted.stderr
    assert f'warning: {tmp_path}: the predictions lack 115' in accepted.stderr
    aps = evaluate_wider(preds, wider_gt)
    assert f"Hard   Val AP: {aps['hard']:.4f}\non 3111 of the 3226 val images\n" in accepted.stdout


def test_script_warns_of_equal_scores_and_negative_sizes(wider_gt, wider_gt_dir, tmp_path):
    preds = perfect_predictions(wider_gt)
    for images in preds.values():
        for boxes in images.values():
            boxes[:, 4] = 0.5
    write_pred_dir(preds, tmp_path)
    result = run_script(tmp_path, wider_gt_dir)
    assert result.returncode == 0, result.stderr
    assert 'Easy   Val AP: 0.0000' in result.stdout
    assert 'one score (0.5) for all of the 39708 boxes' in result.stderr
    # the ground truth itself has a face of width -2, which the copied boxes include
    assert ('1 box with a negative width or height in 1 image '
            '(39--Ice_Skating/39_Ice_Skating_iceskiing_39_583)') in result.stderr
