"""tools/dist_train.sh (2 processes, gloo), tools/test.py --tta on a tiny rendered set,
both tools given crafted, damaged or unfitting checkpoints, and
tools/analysis_tools/benchmark_train_step.py on that set.

The tools run in the scratch project ``tree`` (tests/test_tools/conftest.py).
"""
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from bad_inputs import WritesMarker
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmpose6d.engine import native_bfloat16
from mmpose6d.models.detectors import resolve_channels_last
from mmpose6d.registry import MODELS
from mmpose6d.utils.checkpoint import read_checkpoint

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/img2pose/r18_fpn_rendered_cpu.py'
ITERS = 4
SMALL = [
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
]


def _run(args, cwd, timeout=400, check=True):
    """The output (stdout + stderr) of a tool; ``check``: it must succeed, else it must fail
    and the output is stderr."""
    # this checkout's package, not whichever mmpose6d is installed
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get('PYTHONPATH')]))
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(29500 + os.getpid() % 1000),
               PYTHONPATH=path)
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if not check:
        assert result.returncode != 0, result.stdout[-3000:]
        return result.stderr
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-5000:])
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def dist_run(tree):
    """2 processes x 1 image (gloo), validated and checkpointed at the last iteration."""
    log = _run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', 'work_dirs/dist',
                '--cfg-options', f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
                'train_dataloader.batch_size=1', 'default_hooks.logger.interval=1',
                f'default_hooks.checkpoint.interval={ITERS}', *SMALL], tree)
    return tree / 'work_dirs' / 'dist', log


def test_dist_train_two_gloo_processes(dist_run):
    work_dir, log = dist_run
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    pattern = r'Iter\(train\) \[\s*\d+/\d+\].*?\sloss: ([\d.]+)'
    losses = [float(x) for x in re.findall(pattern, log)]
    assert len(losses) == ITERS and all(0 < loss < 1e3 for loss in losses)
    # each rank validated 1 of the 2 val images (one process would log [1/2], [2/2])
    assert re.search(r'Iter\(val\) \[1/1\]', log) and not re.search(r'Iter\(val\) \[\d/2\]', log)
    metrics = re.findall(r'Iter\(val\) \[1/1\]\s+(face_pose.*)', log)[-1]
    assert 'face_pose/AP50' in metrics and 'face_pose/num_matched' in metrics
    checkpoint = torch.load(work_dir / f'iter_{ITERS}.pth', map_location='cpu',
                            weights_only=False)
    assert checkpoint['meta']['iter'] == ITERS
    assert any(key.startswith('roi_head.pose_head.pose_pred')
               for key in checkpoint['state_dict'])


def test_test_with_tta(dist_run, tree):
    work_dir, _ = dist_run
    out = tree / 'preds.pkl'
    log = _run([sys.executable, 'tools/test.py', CONFIG, str(work_dir / f'iter_{ITERS}.pth'),
                '--tta', '--work-dir', 'work_dirs/tta', '--out', str(out), '--cfg-options',
                *SMALL], tree)
    assert Config.fromfile(tree / 'work_dirs' / 'tta' / Path(CONFIG).name).model.type == \
        'Img2PoseTTAModel'
    metrics = json.loads(next((tree / 'work_dirs' / 'tta').glob('*/*.json')).read_text())
    assert {'face_pose/AP50', 'face_pose/num_matched'} <= set(metrics), (metrics, log[-2000:])
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 2
    for pred in predictions:
        instances = pred['pred_instances']
        assert instances['poses'].shape[1:] == (6, )
        assert len(instances['bboxes']) == len(instances['scores']) == len(instances['poses'])


WIDER_TINY = """_base_ = ['configs/img2pose/r18_fpn_wider.py']
data = 'data/rendered/'
model = dict(backbone=dict(init_cfg=None), roi_head=dict(pose_head=dict(pose_coder=dict(
    pose_mean=data + 'pose_mean.npy', pose_stddev=data + 'pose_stddev.npy'))))
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1))
train_pipeline = [
    dict(type='LoadPoseImage'),
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    dict(type='RandomPoseFlip', prob=0.5),
    dict(type='PoseResize', scale=(320, 256), keep_ratio=True),
    dict(type='PoseLabelsFromLandmarks'),
    dict(type='BoxesFromPoses'),
    dict(type='PackPoseDetInputs'),
]
test_pipeline = [
    dict(type='LoadPoseImage'),
    dict(type='PoseResize', scale=(320, 256), keep_ratio=True),
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    dict(type='PoseLabelsFromLandmarks', test_mode=True, image_shape_key='ori_shape'),
    dict(type='PackPoseDetInputs'),
]
train_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root=data, ann_file='annotations/train_annotations.txt',
    data_prefix=dict(img='train/images/'), pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root=data, ann_file='annotations/val_annotations.txt',
    data_prefix=dict(img='val/images/'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='FacePoseMetric',
                     face_model=dict(reference68=data + 'scan_ref68.npy'),
                     gt_poses_file=data + 'annotations/val_render_poses.json')
test_evaluator = val_evaluator
"""


def test_wider_recipe_trains_on_the_validation_loss(tree):
    """The WIDER config's schedule on the tiny rendered set (smaller scales, no ImageNet
    weights): validation logs the validation loss beside the metric, and the plateau LR,
    early stopping and best checkpoint watch it."""
    (tree / 'wider_tiny.py').write_text(WIDER_TINY)
    log = _run([sys.executable, 'tools/train.py', 'wider_tiny.py', '--work-dir',
                'work_dirs/wider'], tree, timeout=600)
    pattern = r'Epoch\(val\) \[\d+\]\[\d+/\d+\].*?val_loss: ([\d.]+)'
    values = [float(v) for v in re.findall(pattern, log)]
    assert len(values) == 2 and all(0 < v < 1e3 for v in values), log[-3000:]
    assert re.search(r'Epoch\(val\) \[2\]\[\d+/\d+\].*face_pose/AP50', log)
    assert 'Skip early stopping' not in log and 'not in metrics' not in log
    assert len(list((tree / 'work_dirs' / 'wider').glob('best_val_loss_epoch_*.pth'))) == 1


def test_benchmark_train_step_times_layouts_and_precisions(tree):
    """tools/analysis_tools/benchmark_train_step.py on the CPU config's own (tiny) training
    data: the configured step ('auto' layout and precision on this CPU) first, then the
    other layout and the other precision (the config trains with BFloat16OptimWrapper), each
    with its ratio to the configured one."""
    out = _run([sys.executable, 'tools/analysis_tools/benchmark_train_step.py', CONFIG,
                '--steps', '2', '--warmup', '1', '--threads', '1'], tree)
    rows = re.findall(r'^(NCHW|channels-last), (float32|bfloat16)( \(configured\))?\s+'
                      r'([\d.]+)\s+([\d.]+)\s+([\d.]+)x$', out, re.M)
    layout = 'channels-last' if resolve_channels_last('auto') else 'NCHW'
    other_layout = 'NCHW' if layout == 'channels-last' else 'channels-last'
    precision = 'bfloat16' if native_bfloat16('cpu') else 'float32'
    other_precision = 'float32' if precision == 'bfloat16' else 'bfloat16'
    assert [row[:3] for row in rows] == [(layout, precision, ' (configured)'),
                                         (other_layout, precision, ''),
                                         (layout, other_precision, '')], out
    assert all(float(mean) > 0 and float(median) > 0 for *_, mean, median, _ in rows)
    assert float(rows[0][5]) == 1.0
    assert 'CPU capability' in out and 'batch 2' in out
    # a step count that times nothing is refused
    err = _run([sys.executable, 'tools/analysis_tools/benchmark_train_step.py', CONFIG,
                '--steps', '0'], tree, check=False)
    assert '--steps must be >= 1' in err


def _r50_state_dict(tree):
    """The state dict of the CPU config's model with a ResNet-50 (another backbone depth)."""
    cfg = Config.fromfile(tree / CONFIG)
    cfg.model.backbone.depth = 50
    width = cfg.model.backbone.get('base_channels', 64)
    cfg.model.neck.in_channels = [width * 4 * 2**i for i in range(4)]
    head = cfg.model.roi_head.pose_head
    for setting, name in (('pose_coder', 'pose_mean'), ('pose_coder', 'pose_stddev'),
                          ('face_model', 'reference68'), ('face_model', 'reference5')):
        head[setting][name] = str(tree / head[setting][name])
    init_default_scope('mmpose6d')
    return MODELS.build(cfg.model).state_dict()


def test_test_refuses_crafted_damaged_and_unfitting_checkpoints(dist_run, tree, tmp_path):
    """Each file stops tools/test.py before any metric, with one error naming it; the crafted
    one runs no code."""
    work_dir, _ = dist_run
    good = read_checkpoint(work_dir / f'iter_{ITERS}.pth')
    data = (work_dir / f'iter_{ITERS}.pth').read_bytes()
    marker = tmp_path / 'marker'
    torch.save(dict(good, payload=WritesMarker(marker)), tmp_path / 'evil.pth')
    (tmp_path / 'truncated.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'empty.pth').write_bytes(b'')
    torch.save(dict(state_dict={f'x.{k}': v for k, v in good['state_dict'].items()}),
               tmp_path / 'unrelated.pth')
    torch.save(dict(state_dict=_r50_state_dict(tree)), tmp_path / 'r50.pth')
    width = Config.fromfile(tree / CONFIG).model.backbone.get('base_channels', 64)
    expected = {
        'evil.pth': ["holds objects other than tensors and mmengine's training state "
                     '(posix.system)', '--trust-checkpoint'],
        'truncated.pth': ['damaged or incomplete: truncated'],
        'empty.pth': ['damaged or incomplete: the file is empty'],
        'unrelated.pth': ["does not fit the model of this config (165 checkpoint tensors, 0 of "
                          "the model's 165", 'unexpected: x.backbone.conv1.weight'],
        'r50.pth': ['does not fit the model', 'unexpected: backbone.layer1.0.conv3.weight',
                    f'backbone.layer1.0.conv1.weight: checkpoint ({width}, {width}, 1, 1), '
                    f'model ({width}, {width}, 3, 3)'],
    }
    for name, parts in expected.items():
        stderr = _run([sys.executable, 'tools/test.py', CONFIG, str(tmp_path / name),
                       '--work-dir', 'work_dirs/refused', '--cfg-options', *SMALL], tree,
                      check=False)
        assert f'error: {tmp_path / name}: ' in stderr, stderr[-3000:]
        assert all(part in stderr for part in parts), stderr[-3000:]
        assert 'Traceback' not in stderr
    assert not list((tree / 'work_dirs').glob('refused/*/*.json'))  # no metrics written
    assert not marker.exists()


def test_resume_passes_over_a_damaged_last_checkpoint(dist_run, tree, tmp_path):
    """A partial ``iter_8.pth`` named by last_checkpoint: --resume says so and continues from
    the intact iter_4; a crafted one stops it (and load_from) before any code from it runs."""
    work_dir, _ = dist_run
    resumed = tree / 'work_dirs' / 'resumed'
    resumed.mkdir()
    shutil.copy(work_dir / f'iter_{ITERS}.pth', resumed)
    data = (work_dir / f'iter_{ITERS}.pth').read_bytes()
    (resumed / 'iter_8.pth').write_bytes(data[:len(data) // 3])
    (resumed / 'last_checkpoint').write_text(str(resumed / 'iter_8.pth'))
    args = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(resumed), '--resume',
            '--cfg-options', f'train_cfg.max_iters={ITERS + 1}', 'train_cfg.val_interval=100',
            'train_dataloader.batch_size=1', 'default_hooks.checkpoint.interval=1', *SMALL]
    log = _run(args, tree)
    assert f'--resume: passing over {resumed / "iter_8.pth"}: damaged or incomplete' in log
    assert f'--resume: continuing from {resumed / f"iter_{ITERS}.pth"}' in log
    assert f'resumed epoch: 0, iter: {ITERS}' in log
    assert read_checkpoint(resumed / f'iter_{ITERS + 1}.pth')['meta']['iter'] == ITERS + 1

    marker = tmp_path / 'marker'
    torch.save(dict(read_checkpoint(resumed / f'iter_{ITERS + 1}.pth'),
                    payload=WritesMarker(marker)), resumed / 'iter_9.pth')
    (resumed / 'last_checkpoint').write_text(str(resumed / 'iter_9.pth'))
    stderr = _run(args, tree, check=False)
    assert f'error: {resumed / "iter_9.pth"}: holds objects other than tensors' in stderr
    # the same file as the weights to fine-tune from
    stderr = _run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', 'work_dirs/tuned',
                   '--cfg-options', f'load_from={resumed / "iter_9.pth"}', *SMALL], tree,
                  check=False)
    assert f'error: {resumed / "iter_9.pth"}: holds objects other than tensors' in stderr
    assert not marker.exists()


def _train_losses(log):
    """{iteration: loss} of a training log (logged every iteration)."""
    pattern = r'Iter\(train\) \[\s*(\d+)/\d+\].*?\sloss: ([\d.]+)'
    return {int(i): float(loss) for i, loss in re.findall(pattern, log)}


def test_resumed_run_equals_the_uninterrupted_run(tree):
    """The CPU recipe stopped after 6 iterations (no seed given) and resumed to 12 logs the
    losses and ends with the weights of 12 uninterrupted iterations with that seed; validated
    at 3, 6 and 9, right after the checkpoint of iteration 6 among them."""
    common = ['train_cfg.val_interval=3', 'default_hooks.logger.interval=1',
              'default_hooks.checkpoint.interval=6', 'train_dataloader.num_workers=1',
              'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False']
    stopped, full = tree / 'work_dirs' / 'stopped', tree / 'work_dirs' / 'uninterrupted'
    train = [sys.executable, 'tools/train.py', CONFIG, '--cfg-options', *common]
    _run(train + ['train_cfg.max_iters=6'] + ['--work-dir', str(stopped)], tree)
    seed = read_checkpoint(stopped / 'iter_6.pth')['meta']['seed']
    resumed_log = _run(train + ['train_cfg.max_iters=12', '--work-dir', str(stopped),
                                '--resume'], tree)
    assert 'Random states restored from the resumed checkpoint' in resumed_log
    full_log = _run(train + ['train_cfg.max_iters=12', f'randomness.seed={seed}',
                             '--work-dir', str(full)], tree)

    resumed_losses, full_losses = _train_losses(resumed_log), _train_losses(full_log)
    assert sorted(resumed_losses) == list(range(7, 13)) and len(full_losses) == 12
    for i in range(7, 13):
        assert resumed_losses[i] == pytest.approx(full_losses[i], rel=1e-6, abs=1e-4), i
    resumed_weights = read_checkpoint(stopped / 'iter_12.pth')['state_dict']
    full_weights = read_checkpoint(full / 'iter_12.pth')['state_dict']
    for name, value in full_weights.items():
        torch.testing.assert_close(resumed_weights[name], value, rtol=1e-5, atol=1e-6,
                                   msg=name)
