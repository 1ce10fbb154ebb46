"""``tools/test.py --tta`` of the WIDER config against the original's multi-scale + flip test
(``EVAL_GOLDEN.md`` section 1, ``img2pose_tta_seed*.npz``).

Every TTA golden file present is checked the same way, through the public entry points: the
seed's original-layout weights converted by the tool (``golden_model.py``), a user config
inheriting ``configs/img2pose/r18_fpn_wider.py`` (its ``tta_model`` and ``tta_pipeline``
unchanged) that reads the golden images as a WIDER-format dataset and dumps the predictions,
and ``tools/test.py --tta``.
"""
import json
import pickle
import subprocess
import sys
from pathlib import Path

import cv2
import golden_model as gm
import numpy as np
import pytest
from golden_files import golden_arrays, golden_seeds

REPO = Path(__file__).resolve().parents[2]
SEEDS = golden_seeds('img2pose_tta')


def match_one_to_one(ours, theirs, box_tol=1.0, score_tol=1e-3):
    """Pairs (ours, theirs) of rows ``x1 y1 x2 y2 score`` within the tolerances, each row
    used once, the original's rows taken by descending score."""
    order = np.argsort(ours[:, 4], kind='stable')
    sorted_scores = ours[order, 4]
    used = np.zeros(len(ours), bool)
    pairs = []
    for j in np.argsort(-theirs[:, 4], kind='stable'):
        lo = np.searchsorted(sorted_scores, theirs[j, 4] - score_tol, side='left')
        hi = np.searchsorted(sorted_scores, theirs[j, 4] + score_tol, side='right')
        window = order[lo:hi]
        close = window[(np.abs(ours[window, :4] - theirs[j, :4]).max(1) <= box_tol)
                       & ~used[window]]
        if len(close):
            used[close[0]] = True
            pairs.append((close[0], j))
    return pairs


@pytest.fixture(scope='module', params=SEEDS, ids=lambda s: f'seed{s}')
def tta_run(request, tmp_path_factory):
    """(golden TTA arrays, our voted detections per image) of one seed."""
    seed = request.param
    tta = golden_arrays(f'img2pose_tta_seed{seed}.npz')
    work = tmp_path_factory.mktemp(f'tta_seed{seed}')
    golden, checkpoint = gm.converted_golden(seed, work)
    lines = []
    for i in tta['images'].tolist():
        cv2.imwrite(str(work / f'img_{i}.png'), golden[f'img_{i}'][..., ::-1])
        (work / f'img_{i}.json').write_text(
            json.dumps(dict(image_path=f'img_{i}.png', bboxes=[], landmarks=[])))
        lines.append(f'img_{i}.json')
    (work / 'list.txt').write_text('\n'.join(lines) + '\n')
    config = work / 'tta_config.py'
    config.write_text(f"""_base_ = [{str(gm.WIDER_CONFIG)!r}]
model = dict(backbone=dict(init_cfg=None), roi_head=dict(pose_head=dict(
    pose_coder=dict(pose_mean={gm.POSE_MEAN}, pose_stddev={gm.POSE_STDDEV}),
    face_model=dict(reference68={str(work / 'ref68.npy')!r},
                    reference5={str(work / 'ref5.npy')!r}))))
tta_pipeline = [dict(_base_.tta_pipeline[0]), dict(_base_.tta_pipeline[1],
                                                   scales={tta['scales'].tolist()})]
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root={str(work)!r}, ann_file='list.txt', data_prefix=dict(img={str(work)!r})))
test_evaluator = dict(_delete_=True, type='mmdet.DumpDetResults',
                      out_file_path={str(work / 'tta.pkl')!r})
""")
    subprocess.run([sys.executable, str(REPO / 'tools' / 'test.py'), str(config),
                    str(checkpoint), '--tta', '--work-dir', str(work / 'run')],
                   check=True, cwd=REPO)
    with open(work / 'tta.pkl', 'rb') as f:
        results = pickle.load(f)
    ours = {}
    for result in results:
        pred = result['pred_instances']
        index = int(Path(result['img_path']).stem.split('_')[1])
        ours[index] = np.concatenate([np.asarray(pred['bboxes'], np.float64),
                                      np.asarray(pred['scores'], np.float64)[:, None]], 1)
    return tta, ours


@pytest.mark.parametrize('i', range(4))
def test_tta_matches_the_original(tta_run, i):
    """At least 98 % of the original's voted detections matched one to one (box within 1 px,
    score within 1e-3) and counts within 2 % (nothing capped)."""
    tta, ours = tta_run
    theirs = tta[f'tta_dets_{i}']
    assert abs(len(ours[i]) - len(theirs)) <= 0.02 * len(theirs)
    pairs = match_one_to_one(ours[i], theirs)
    assert len(pairs) >= 0.98 * len(theirs), (len(pairs), len(theirs))
