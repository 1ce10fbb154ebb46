"""``tools/test.py`` with the AFLW2000-3D and BIWI configs against the original evaluation
notebooks (``EVAL_GOLDEN.md`` section 2, ``img2pose_headpose_seed*.npz``).

Every head-pose golden file present is checked the same way, through the public entry points:
the seed's original-layout weights with the face logit's bias raised by the file's
``face_bias``, converted by the tool (``golden_model.py``), then
``tools/test.py configs/img2pose/r18_fpn_{aflw2000,biwi}.py`` on the golden benchmark folders
with the notebooks' lists as ``ann_file``: the printed metrics and the metric's per-image
records (``test_evaluator.out_file``) against the notebooks' errors, predictions and targets.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import golden_model as gm
import numpy as np
import pytest
from golden_files import golden_arrays, golden_path, golden_seeds

REPO = Path(__file__).resolve().parents[2]
SEEDS = golden_seeds('img2pose_headpose')
#: config name -> (folder, the notebook's list, key prefix in the golden file)
BENCHMARKS = dict(aflw2000=('AFLW2000', 'AFLW2000_annotations.txt', 'aflw'),
                  biwi=('BIWI', 'BIWI_annotations.txt', 'biwi'))
ANGLES = ('pitch', 'yaw', 'roll')  # the notebooks' column order
TRANSLATIONS = ('h_trans', 'v_trans', 'scale')


@pytest.fixture(scope='module', params=SEEDS, ids=lambda s: f'seed{s}')
def golden_checkpoint(request, tmp_path_factory):
    """(seed, the notebooks' arrays, work folder, converted checkpoint) of one seed."""
    seed = request.param
    expected = golden_arrays(f'img2pose_headpose_seed{seed}.npz')
    work = tmp_path_factory.mktemp(f'headpose_seed{seed}')
    _, checkpoint = gm.converted_golden(seed, work, float(expected['face_bias']))
    return seed, expected, work, checkpoint


def option(key, value):
    if isinstance(value, (list, tuple)):
        value = '[' + ','.join(map(str, value)) + ']'
    return f'{key}={value}'


def run_test_tool(dataset, checkpoint, root, work):
    """``tools/test.py`` on one benchmark: the metrics it prints (``Epoch(test)`` line, 4
    decimals) and the per-image records."""
    folder, ann_file, _ = BENCHMARKS[dataset]
    records = work / f'{dataset}_records.json'
    options = dict(gm.model_options(work), **{
        'test_dataloader.dataset.data_root': root / folder,
        'test_dataloader.dataset.ann_file': root / ann_file,
        'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False,
        'test_evaluator.out_file': records})
    if dataset == 'aflw2000':  # the target PnP uses the model's face model
        options['test_dataloader.dataset.face_model.reference68'] = work / 'ref68.npy'
    run_dir = work / f'run_{dataset}'
    done = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'test.py'),
         str(REPO / 'configs' / 'img2pose' / f'r18_fpn_{dataset}.py'), str(checkpoint),
         '--work-dir', str(run_dir), '--cfg-options'] +
        [option(k, v) for k, v in options.items()], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    line, = [line for line in done.stdout.splitlines() if 'Epoch(test)' in line]
    metrics = {k: float(v) for k, v in re.findall(r'(\S+): (\S+)', line.split(']', 1)[1])}
    return metrics, json.loads(records.read_text())


@pytest.mark.parametrize('dataset', list(BENCHMARKS))
def test_benchmark_like_the_notebook(golden_checkpoint, dataset):
    """Errors within 0.02 degree and 1e-3 (translation, relative), failures equal; each
    evaluated image's target and chosen prediction likewise."""
    seed, expected, work, checkpoint = golden_checkpoint
    key = BENCHMARKS[dataset][2]
    root = golden_path(f'headpose_seed{seed}')
    metrics, records = run_test_tool(dataset, checkpoint, root, work)

    errors = expected[f'{key}_mae']
    for i, name in enumerate(ANGLES):
        assert metrics[f'{dataset}/{name}'] == pytest.approx(errors[i], abs=0.02), name
    assert metrics[f'{dataset}/mae'] == pytest.approx(errors[:3].mean(), abs=0.02)
    if dataset == 'aflw2000':
        for i, name in enumerate(TRANSLATIONS):
            assert metrics[f'{dataset}/{name}'] == pytest.approx(errors[3 + i], rel=1e-3)
    assert metrics[f'{dataset}/failures'] == int(expected[f'{key}_failures'])

    evaluated = [r for r in records if r['prediction'] is not None]
    predictions = np.array([r['prediction'] for r in evaluated])
    targets = np.array([r['target'] for r in evaluated])
    assert predictions.shape == expected[f'{key}_predictions'].shape
    assert metrics[f'{dataset}/evaluated'] == len(evaluated)
    # 1e-4: scipy makes BIWI's 6-decimal matrices orthogonal before its Euler angles
    np.testing.assert_allclose(targets[:, :3], expected[f'{key}_targets'][:, :3], rtol=0,
                               atol=1e-4)
    np.testing.assert_allclose(predictions[:, :3], expected[f'{key}_predictions'][:, :3],
                               rtol=0, atol=0.02)
    for ours, theirs in ((targets, expected[f'{key}_targets']),
                         (predictions, expected[f'{key}_predictions'])):
        if ours.shape[1] == 6:
            distance = np.linalg.norm(ours[:, 3:] - theirs[:, 3:], axis=1)
            assert (distance <= 1e-3 * np.linalg.norm(theirs[:, 3:], axis=1)).all()
