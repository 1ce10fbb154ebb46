"""tools/dist_train.sh (2 processes, gloo) and tools/test.py --tta on a tiny rendered set.

The CPU config reads ``data/rendered/`` relative to the working directory, so the tools run
in a scratch tree whose ``tools``, ``configs`` and ``pose_references`` link to this checkout
and whose ``data/rendered`` is rendered here (8 train and 2 val images, 256 px).
"""
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/img2pose/r18_fpn_rendered_cpu.py'
ITERS = 4
SMALL = [
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
]


def _run(args, cwd, timeout=400):
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(29500 + os.getpid() % 1000))
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-5000:])
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('project')
    for name in ('tools', 'configs', 'pose_references'):
        (root / name).symlink_to(REPO / name)
    rendered = root / 'data' / 'rendered'
    _run([sys.executable, 'tools/dataset_converters/render_faces.py', '--out', str(rendered),
          '--train', '8', '--val', '2', '--size', '256', '--workers', '1', '--seed', '5',
          '--cache-dir', str(REPO / 'data' / 'cache')], root)
    _run([sys.executable, 'tools/dataset_converters/compute_pose_stats.py',
          'data/rendered/annotations/train_annotations.txt', '--out-dir', 'data/rendered',
          '--reference68', 'data/rendered/scan_ref68.npy',
          '--reference5', 'data/rendered/scan_ref5.npy'], root)
    return root


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
model = dict(backbone=dict(init_cfg=None), roi_head=dict(pose_head=dict(
    pose_mean=data + 'pose_mean.npy', pose_stddev=data + 'pose_stddev.npy')))
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1))
refs = dict(reference68='pose_references/ref68.npy', reference5='pose_references/ref5.npy')
train_pipeline = [
    dict(type='LoadPoseImage'),
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    dict(type='RandomPoseFlip', prob=0.5),
    dict(type='PoseResize', scale=(320, 256), keep_ratio=True),
    dict(type='PoseLabelsFromLandmarks', **refs),
    dict(type='BoxesFromPoses', reference68=refs['reference68']),
    dict(type='PackPoseDetInputs'),
]
test_pipeline = [
    dict(type='LoadPoseImage'),
    dict(type='PoseResize', scale=(320, 256), keep_ratio=True),
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    dict(type='PoseLabelsFromLandmarks', test_mode=True, image_shape_key='ori_shape', **refs),
    dict(type='PackPoseDetInputs'),
]
train_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root=data, ann_file='annotations/train_annotations.txt',
    data_prefix=dict(img='train/images/'), pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root=data, ann_file='annotations/val_annotations.txt',
    data_prefix=dict(img='val/images/'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='FacePoseMetric', reference68=data + 'scan_ref68.npy',
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
