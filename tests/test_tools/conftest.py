"""The scratch project of the tool tests: the CPU config reads ``data/rendered/`` relative to
the working directory, so tools run in a tree whose ``tools`` and ``configs`` link to this
checkout and whose ``data/rendered`` is rendered here (8 train, 2 val and 2 other images of
256 px, with the RoI-target pose statistics)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _render_step(args, root):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    done = subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('project')
    for name in ('tools', 'configs'):
        (root / name).symlink_to(REPO / name)
    rendered = root / 'data' / 'rendered'
    _render_step(['tools/dataset_converters/render_faces.py', '--out', str(rendered),
                  '--train', '8', '--val', '2', '--other', '2', '--size', '256', '--faces', '2',
                  '5', '--face-size', '30', '120', '--workers', '1', '--seed', '5',
                  '--cache-dir', str(REPO / 'data' / 'cache')], root)
    for split, faces, sizes in (('train', [2, 5], [30, 120]), ('other', [1, 3], [60, 240])):
        meta = json.loads((rendered / 'annotations' / f'{split}_render_meta.json').read_text())
        assert (meta['faces'], meta['face_size']) == (faces, sizes)
    _render_step(['tools/dataset_converters/compute_pose_stats.py',
                  'data/rendered/annotations/train_annotations.txt', '--out-dir',
                  'data/rendered', '--roi-targets', '--image-root', 'data/rendered/train/images',
                  '--reference68', 'data/rendered/scan_ref68.npy',
                  '--reference5', 'data/rendered/scan_ref5.npy', '--solve-in', 'image'], root)
    return root
