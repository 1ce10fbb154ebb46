"""tools/dataset_converters/render_faces.py: the splits' presets, the shifted held-out split
(its image sizes, faces, poses, backgrounds and lighting) and its determinism by seed."""
import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from tool_scripts import load_tool

from mmpose6d.geometry import rotvec_to_euler
from mmpose6d.synthesis import FaceScan, RenderOptions, render_image, sample_faces

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def tool():
    return load_tool('dataset_converters/render_faces.py')


@pytest.fixture(scope='module')
def scan():
    return FaceScan.fetch(REPO / 'data' / 'cache')


def test_shifted_differs_from_training_in_every_respect(tool):
    # the quick-start's train and val splits (tools/quickstart.sh)
    train = RenderOptions(image_size=512, faces=(6, 14), face_size=(40, 220))
    shifted = RenderOptions(**tool.SHIFTED)
    assert shifted.image_size != train.image_size and shifted.aspect != train.aspect
    assert shifted.face_size[0] > train.face_size[0] and shifted.faces[1] < train.faces[0]
    assert shifted.pitch > train.pitch and shifted.yaw > train.yaw
    assert shifted.photo_family == 'other' != train.photo_family
    assert 'colour_wheel' in shifted.procedural_kinds
    assert 'colour_wheel' not in train.procedural_kinds
    assert shifted.ambient[0] < train.ambient[0] and shifted.light_colour > train.light_colour
    assert shifted.light_gain[1] > train.light_gain[1]
    assert tool.OTHER['photo_family'] == 'other'


def test_shifted_faces_sizes_and_angles(tool, scan):
    """The shifted preset's faces: 70-220 px heads in 544-pixel images of aspect 0.5-0.8,
    angles within (and reaching beyond training's) pitch / yaw / roll range."""
    options = RenderOptions(**tool.SHIFTED)
    head = np.ptp(scan.vertices[:, 1])
    eulers, sizes = [], []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        long_side = options.image_size
        short_side = int(round(long_side * rng.uniform(*options.aspect)))
        assert 0.5 * 544 - 1 <= short_side <= 0.8 * 544 + 1
        poses, boxes = sample_faces(rng, scan, long_side, short_side, options)
        assert len(poses) <= options.faces[1]
        focal = long_side + short_side
        sizes += list(focal * head / poses[:, 5])
        eulers += list(rotvec_to_euler(poses[:, :3]))
    sizes, eulers = np.array(sizes), np.abs(np.array(eulers))
    assert (sizes >= 70 - 1e-6).all() and (sizes <= 220 + 1e-6).all()
    assert (eulers <= [options.pitch, options.yaw, options.roll] + np.array(1e-6)).all()
    train = RenderOptions()
    assert (eulers[:, 0] > train.pitch).any() and (eulers[:, 1] > train.yaw).any()


def test_angles_set_train_and_val_ranges(tool, tmp_path):
    """--angles PITCH YAW ROLL: the train and val splits' faces within +-those angles,
    reaching near them, and the ranges written to their meta; `other` keeps its own."""
    out = tmp_path / 'rendered'
    tool.main(['--train', '6', '--val', '2', '--other', '1', '--size', '200', '--faces', '3',
               '4', '--face-size', '40', '70', '--angles', '12', '50', '6', '--workers', '1',
               '--out', str(out), '--cache-dir', str(REPO / 'data' / 'cache')])
    ann = out / 'annotations'
    for split in ('train', 'val'):
        meta = json.loads((ann / f'{split}_render_meta.json').read_text())
        assert (meta['pitch'], meta['yaw'], meta['roll']) == (12, 50, 6)
    assert json.loads((ann / 'other_render_meta.json').read_text())['pitch'] == 25
    poses = json.loads((ann / 'train_render_poses.json').read_text())
    eulers = np.abs(rotvec_to_euler(np.concatenate(
        [np.array(p).reshape(-1, 6) for p in poses.values()])[:, :3]))
    assert len(eulers) >= 12
    assert (eulers <= [12 + 1e-6, 50 + 1e-6, 6 + 1e-6]).all()
    assert (eulers.max(0) > [6, 25, 3]).all()


def test_shifted_split_written_deterministically(tool, tmp_path, capsys):
    """--shifted N writes `shifted/` with the preset's meta (its own image size whatever
    --size says), the same bytes for the same seed, other bytes for another."""
    base = ['--train', '0', '--val', '0', '--shifted', '1', '--size', '256', '--workers', '1',
            '--cache-dir', str(REPO / 'data' / 'cache')]
    for out, seed in (('a', 0), ('b', 0), ('c', 1)):
        tool.main([*base, '--out', str(tmp_path / out), '--seed', str(seed)])
    assert 'shifted: 1 images' in capsys.readouterr().out
    ann = tmp_path / 'a' / 'annotations'
    meta = json.loads((ann / 'shifted_render_meta.json').read_text())
    assert meta['image_size'] == 544 and meta['procedural_kinds'] == ['colour_wheel']
    assert meta['photo_family'] == 'other' and meta['face_size'] == [70, 220]
    assert (ann / 'shifted_annotations.txt').read_text().split() == [
        'shifted/shifted_000000.json']
    assert not (tmp_path / 'a' / 'train').exists()
    images = {out: (tmp_path / out / 'shifted' / 'images' / 'shifted_000000.jpg').read_bytes()
              for out in 'abc'}
    assert images['a'] == images['b'] and images['a'] != images['c']
    poses = json.loads((ann / 'shifted_render_poses.json').read_text())
    assert all(1 <= len(p) <= 5 for p in poses.values())


def test_splits_share_one_pool_and_match_one_process(tool, tmp_path, monkeypatch):
    """With --workers 2 every split is rendered in one pool of processes (started once),
    to the same bytes as in one process."""
    started, get_context = [], multiprocessing.get_context
    monkeypatch.setattr(multiprocessing, 'get_context',
                        lambda method: started.append(method) or get_context(method))
    base = ['--train', '2', '--val', '0', '--other', '2', '--size', '160', '--faces', '1', '2',
            '--face-size', '40', '80', '--cache-dir', str(REPO / 'data' / 'cache')]
    for workers in ('1', '2'):
        tool.main([*base, '--out', str(tmp_path / workers), '--workers', workers])
    assert started == ['spawn']  # one pool for both splits of the 2-worker run
    for split in ('train', 'other'):
        for image in sorted((tmp_path / '1' / split / 'images').iterdir()):
            assert image.read_bytes() == (tmp_path / '2' / split / 'images' /
                                          image.name).read_bytes(), image.name


def test_render_image_is_seeded(tool, scan):
    options = RenderOptions(**dict(tool.SHIFTED, image_size=200, face_size=(40, 80)))
    first = render_image(scan, np.random.default_rng(7), options)
    again = render_image(scan, np.random.default_rng(7), options)
    other = render_image(scan, np.random.default_rng(8), options)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[2], again[2])
    assert first[0].shape != other[0].shape or (first[0] != other[0]).any()
