"""MMDetection's own tools and APIs on mmpose6d's configs and training checkpoints, as an
mmdet user runs them: mmdet's tools/test.py, train.py --resume, analysis_tools/get_flops.py
and browse_dataset.py, model_converters/publish_model.py followed by our tools/test.py
(--show), DetInferencer and init_detector; and our tools/train.py's mmdet flags
(--auto-scale-lr, --amp on a CPU-only machine).

None of mmdet's tools imports mmpose6d itself: the configs' ``custom_imports`` do, which
allows the training state in torch's weights-only loading. The tools run in the scratch
project ``tree`` (tests/test_tools/conftest.py).
"""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import cv2
import mmdet
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
MMDET_TOOLS = Path(mmdet.__file__).parent / '.mim' / 'tools'
CONFIG = 'configs/img2pose/r18_fpn_rendered_cpu.py'
ITERS = 4
SMALL = [
    f'{split}_dataloader.{key}' for split in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def _run(args, cwd, check=True):
    """The output (stdout + stderr) of a tool run with this checkout's package; ``check``:
    it must succeed, else it must fail."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get('PYTHONPATH')]))
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=path, MPLBACKEND='Agg')
    result = subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert (result.returncode == 0) == check, (result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def trained(tree):
    """Our tools/train.py --auto-scale-lr: ``ITERS`` iterations, checkpointed at the last;
    the checkpoint and the log."""
    log = _run(['tools/train.py', CONFIG, '--auto-scale-lr', '--work-dir', 'work_dirs/train',
                '--cfg-options', f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
                f'default_hooks.checkpoint.interval={ITERS}', *SMALL], tree)
    return tree / 'work_dirs' / 'train' / f'iter_{ITERS}.pth', log


def _metrics(work_dir):
    """The metrics tools/test.py (ours or mmdet's) wrote under ``work_dir``."""
    return json.loads(next(work_dir.glob('*/*.json')).read_text())


def test_train_auto_scale_lr(trained):
    """The CPU config's learning rate is set for its total batch of 2 (1 process x 2)."""
    _, log = trained
    assert ('LR is set based on batch size of 2 and the current batch size is 2. Scaling the '
            'original LR by 1.0.') in log


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU runs --amp')
def test_train_amp_needs_a_gpu():
    out = _run(['tools/train.py', CONFIG, '--amp'], REPO, check=False)
    assert 'error: --amp (automatic mixed precision) needs a GPU' in out
    assert 'Traceback' not in out


def test_mmdet_test_tool(trained, tree):
    checkpoint, _ = trained
    _run([MMDET_TOOLS / 'test.py', CONFIG, checkpoint, '--work-dir', 'work_dirs/mmdet_test',
          '--cfg-options', *SMALL], tree)
    assert {'face_pose/AP50', 'face_pose/num_matched'} <= set(
        _metrics(tree / 'work_dirs' / 'mmdet_test'))


def test_mmdet_train_resumes(trained, tree):
    checkpoint, _ = trained
    log = _run([MMDET_TOOLS / 'train.py', CONFIG, '--resume', checkpoint, '--work-dir',
                'work_dirs/resumed', '--cfg-options', f'train_cfg.max_iters={ITERS + 2}',
                'default_hooks.logger.interval=1', *SMALL], tree)
    assert f'resumed epoch: 0, iter: {ITERS}' in log
    assert re.search(rf'Iter\(train\) \[{ITERS + 2}/{ITERS + 2}\]', log)


def test_mmdet_get_flops(tree):
    out = _run([MMDET_TOOLS / 'analysis_tools' / 'get_flops.py', CONFIG, '--num-images', 1],
               tree)
    assert re.search(r'Flops: [\d.]+G', out) and re.search(r'Params: [\d.]+M', out), out


def test_mmdet_browse_dataset(tree):
    _run([MMDET_TOOLS / 'analysis_tools' / 'browse_dataset.py', CONFIG, '--output-dir',
          'browse', '--not-show', '--cfg-options', *SMALL], tree)
    drawn = sorted((tree / 'browse').glob('train_*.jpg'))
    assert len(drawn) >= 4  # 8 samples; an image whose faces a crop loses is drawn again
    assert all(cv2.imread(str(path)) is not None for path in drawn)


def test_publish_model_then_our_test(trained, tree):
    """mmdet's publish_model.py (run by ours, after ``import mmpose6d``) keeps the weights
    and meta; our tools/test.py tests the published file, --show (headless) and --show-dir
    painting each image."""
    checkpoint, _ = trained
    (tree / 'published').mkdir()
    out = _run(['tools/model_converters/publish_model.py', checkpoint, 'published/model.pth'],
               tree)
    assert 'Key `message_hub` will be removed' in out
    deadline = time.time() + 30  # mmdet's script renames the file in a process it leaves
    while not list((tree / 'published').glob('model-*.pth')) and time.time() < deadline:
        time.sleep(0.2)
    published = next((tree / 'published').glob('model-*.pth'))
    assert set(torch.load(published, weights_only=True)) == {'meta', 'state_dict'}
    _run(['tools/test.py', CONFIG, published, '--work-dir', 'work_dirs/published', '--show',
          '--wait-time', '0.1', '--show-dir', 'vis', '--cfg-options', *SMALL], tree)
    work_dir = tree / 'work_dirs' / 'published'
    assert 'face_pose/AP50' in _metrics(work_dir)
    assert len(list(work_dir.glob('*/vis/other_*.jpg'))) == 2


DET_INFERENCER = """
import json, sys
from mmdet.apis import DetInferencer, inference_detector, init_detector
assert 'mmpose6d' not in sys.modules
config, checkpoint, images = sys.argv[1:]
inferencer = DetInferencer(model=config, weights=checkpoint, device='cpu')
result = inferencer(images, out_dir='det_inferencer', no_save_pred=False, pred_score_thr=0)
model = init_detector(config, checkpoint, device='cpu')
poses = inference_detector(model, images + '/other_000000.jpg').pred_instances.poses
print(json.dumps(dict(keys=sorted(result['predictions'][0]), images=len(result['predictions']),
                      poses=list(poses.shape))))
"""


def test_mmdet_det_inferencer_and_init_detector(trained, tree):
    """mmdet's DetInferencer with a config file and a training checkpoint and no other
    argument (boxes and scores; Img2PoseInferencer writes the poses), and init_detector."""
    checkpoint, _ = trained
    out = _run(['-c', DET_INFERENCER, CONFIG, checkpoint, 'data/rendered/other/images'], tree)
    summary = json.loads(re.search(r'^\{"keys".*$', out, re.M).group())
    assert summary['keys'] == ['bboxes', 'labels', 'scores'] and summary['images'] == 2
    assert summary['poses'][1:] == [6]
    written = tree / 'det_inferencer'
    assert sorted(p.name for p in (written / 'preds').iterdir()) == [
        'other_000000.json', 'other_000001.json']
    assert len(list((written / 'vis').glob('*.jpg'))) == 2
