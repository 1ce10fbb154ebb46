"""mmpose6d.datasets.lmdb_store: img2pose -> LMDB conversion (validated, resumable) and
Img2PoseLMDBDataset."""
import importlib.util
import json
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose, pseudo_collate
from torch.utils.data import DataLoader

from mmpose6d.datasets import lmdb_store
from mmpose6d.datasets.lmdb_store import convert_to_lmdb, iter_annotations, open_lmdb
from mmpose6d.geometry import pose_from_landmarks
from mmpose6d.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
LOAD = [dict(type='LoadPoseImage'), dict(type='LoadPoseAnnotations')]


def load_tool(name):
    path = REPO / 'tools' / 'dataset_converters' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_mixed(synth, count=4):
    """Colour JPEG, grayscale JPEG, PNG and BMP images of the synthetic scene."""
    entries = []
    for i in range(count):
        img, ann = synth.scene(seed=i)
        kind = ['.jpg', 'gray.jpg', '.png', '.bmp'][i % 4]
        if kind == 'gray.jpg':
            img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        entries.append(dict(name=f'img{i}', image_name=f'img{i}{kind}', image=img, ann=ann))
    return synth.write(entries)


def lmdb_keys(path):
    with open_lmdb(path).begin() as txn:
        return [key for key, _ in txn.cursor()]


def test_json_lmdb_round_trip_gives_identical_samples(synth, tmp_path):
    list_file = write_mixed(synth)
    out = tmp_path / 'train.lmdb'
    meta = convert_to_lmdb(list_file, synth.root / 'images', out, progress=False)
    assert meta['complete'] and meta['num_entries'] == 4 and meta['skipped'] == {
        'ann/missing_landmarks': 4}
    from_json = DATASETS.build(synth.dataset_cfg(list_file, pipeline=LOAD))
    from_lmdb = DATASETS.build(dict(type='Img2PoseLMDBDataset', ann_file=str(out),
                                    data_prefix=dict(img=str(synth.root / 'images')),
                                    pipeline=LOAD))
    assert len(from_json) == len(from_lmdb) == 4
    for i in range(4):
        a, b = from_json[i], from_lmdb[i]
        assert a['img_path'] == b['img_path'] and a['img_id'] == b['img_id']
        np.testing.assert_array_equal(a['img'], b['img'])
        for key in ('gt_landmarks', 'gt_num_landmarks', 'gt_bboxes_labels', 'gt_ignore_flags'):
            np.testing.assert_array_equal(a[key], b[key])
        np.testing.assert_array_equal(a['gt_bboxes'].numpy(), b['gt_bboxes'].numpy())
        for fa, fb in zip(a['instances'], b['instances']):
            assert fa['bbox'] == fb['bbox'] and fa['labelled'] == fb['labelled']
    with open_lmdb(out).begin() as txn:
        for i, name in enumerate(['img0.jpg', 'img1gray.jpg', 'img2.png']):
            assert txn.get(lmdb_store.img_key(i)) == (synth.root / 'images' / name).read_bytes()
        assert txn.get(lmdb_store.img_key(3))[:4] == b'\x89PNG'  # the BMP, re-encoded


def test_resume_after_interruption_has_no_duplicates(synth, tmp_path, monkeypatch):
    list_file = write_mixed(synth, 7)
    once = tmp_path / 'once.lmdb'
    full = convert_to_lmdb(list_file, synth.root / 'images', once, progress=False)

    # a partial run (--limit), then a "killed" run (dies at entry 4 after a commit at 3)
    resumed = tmp_path / 'resumed.lmdb'
    partial = convert_to_lmdb(list_file, synth.root / 'images', resumed, limit=2,
                              commit_every=1, progress=False)
    assert partial['next'] == 2 and not partial['complete']
    with pytest.raises(RuntimeError, match='unfinished'):
        DATASETS.build(dict(type='Img2PoseLMDBDataset', ann_file=str(resumed)))
    convert_one = lmdb_store._convert_one

    def dies_at_4(path, root):
        if path.name == 'img4.json':
            raise KeyboardInterrupt
        return convert_one(path, root)

    monkeypatch.setattr(lmdb_store, '_convert_one', dies_at_4)
    with pytest.raises(KeyboardInterrupt):
        convert_to_lmdb(list_file, synth.root / 'images', resumed, commit_every=2,
                        progress=False)
    monkeypatch.setattr(lmdb_store, '_convert_one', convert_one)
    with open_lmdb(resumed).begin() as txn:
        assert json.loads(txn.get(lmdb_store.META_KEY))['next'] == 4
    meta = convert_to_lmdb(list_file, synth.root / 'images', resumed, progress=False)
    assert meta == dict(full, ann_list=meta['ann_list'])
    keys = lmdb_keys(resumed)
    assert keys == lmdb_keys(once) and len(keys) == len(set(keys)) == 2 * 7 + 1
    # a finished conversion is a no-op
    assert convert_to_lmdb(list_file, synth.root / 'images', resumed, progress=False) == meta


def test_other_list_into_same_lmdb_is_refused(synth, tmp_path):
    list_file = write_mixed(synth, 2)
    convert_to_lmdb(list_file, synth.root / 'images', tmp_path / 'a.lmdb', progress=False)
    other = synth.write([dict(name='img0', ann=synth.scene()[1])], name='other')
    with pytest.raises(ValueError, match='another annotation list'):
        convert_to_lmdb(other, synth.root / 'images', tmp_path / 'a.lmdb', progress=False)


def test_map_size_grows(synth, tmp_path):
    list_file = write_mixed(synth, 4)
    out = tmp_path / 'small.lmdb'
    meta = convert_to_lmdb(list_file, synth.root / 'images', out, map_size=64 << 10,
                           progress=False)
    assert meta['num_entries'] == 4
    assert open_lmdb(out).info()['map_size'] > 64 << 10


def test_converter_validates_and_summarises(synth, tmp_path, fresh_skips, capsys):
    img, ann = synth.scene()
    jpeg = cv2.imencode('.jpg', img)[1].tobytes()
    list_file = synth.write([
        dict(name='good', image=img, ann=ann),
        dict(name='missing', ann=ann),
        dict(name='corrupt', image=b'\xff\xd8 not a jpeg \xff\xd9', ann=ann),
        dict(name='truncated', image=jpeg[:len(jpeg) // 2], ann=ann),
        dict(name='empty', image=b'', ann=ann),
        dict(name='malformed', image=img, ann='{'),
        dict(name='bad_box', image=img, ann=dict(bboxes=[[5, 5, 1, 9]], landmarks=[-1])),
    ])
    out = tmp_path / 'checked.lmdb'
    meta = load_tool('img2pose_to_lmdb').main(
        [str(list_file), str(synth.root / 'images'), str(out), '--no-progress'])
    assert meta['num_entries'] == 2  # good, and bad_box (kept, without faces)
    assert meta['skipped'] == {'ann/missing_landmarks': 1, 'image/missing': 1,
                               'image/corrupt': 1, 'image/truncated': 1,
                               'image/empty_file': 1, 'ann/malformed_json': 1,
                               'ann/invalid_box': 1}
    printed = capsys.readouterr().out
    assert '2 images written from 7 of 7' in printed and 'image/truncated: 1' in printed
    stored = [raw for _, raw in iter_annotations(open_lmdb(out))]
    assert stored[1] == dict(image_path='bad_box.jpg', bboxes=[], landmarks=[])


def test_converter_reports_faces_outside_the_image(synth, tmp_path, logs, capsys):
    """A box 5000 px to the right and landmarks above the image are written as annotated,
    counted in the meta (across a resumed run) and named."""
    img, ann = synth.scene()
    height, width = img.shape[:2]
    far = dict(ann, bboxes=[[5000 + width, 10, 5100 + width, 90]], landmarks=[-1])
    high = dict(ann, landmarks=[(np.asarray(ann['landmarks'][0]) - [0, 400]).tolist()] +
                ann['landmarks'][1:])
    list_file = synth.write([dict(name='inside', image=img, ann=ann),
                             dict(name='far', image=img, ann=far),
                             dict(name='high', image=img, ann=high)])
    tool, out = load_tool('img2pose_to_lmdb'), tmp_path / 'outside.lmdb'
    args = [str(list_file), str(synth.root / 'images'), str(out), '--no-progress']
    assert tool.main(args + ['--limit', '2'])['outside'] == {'outside/box': 1}
    meta = tool.main(args)
    assert meta['num_entries'] == 3
    assert meta['outside'] == {'outside/box': 1, 'outside/landmarks': 1}
    assert ('faces outside their image, written as annotated (training clips, drops or masks '
            'them): outside/box: 1, outside/landmarks: 1') in capsys.readouterr().out
    folder = synth.root / 'annotations'
    assert (f'written as is [outside/box] (x1 so far): {folder / "far.json"}: face(s) [0] box '
            f'up to 5100 px beyond the {width}x{height} image') in logs
    assert any(m.startswith('written as is [outside/landmarks]') and 'high.json: face(s) [0]'
               in m for m in logs)
    with open_lmdb(out).begin() as txn:
        assert json.loads(txn.get(lmdb_store.ann_key(1)))['bboxes'] == far['bboxes']


def test_lmdb_dataset_is_picklable_and_per_process(synth, tmp_path):
    list_file = write_mixed(synth, 4)
    out = tmp_path / 'w.lmdb'
    convert_to_lmdb(list_file, synth.root / 'images', out, progress=False)
    cfg = dict(type='Img2PoseLMDBDataset', ann_file=str(out), pipeline=LOAD)
    lmdb_store.close_lmdb(out)
    dataset = DATASETS.build(dict(cfg, lazy_init=True))
    copy = pickle.loads(pickle.dumps(dataset))  # before opening
    sums = [int(copy[i]['img'].sum()) for i in range(4)]  # opens the env here
    assert int(pickle.loads(pickle.dumps(copy))[2]['img'].sum()) == sums[2]  # after
    dataset = DATASETS.build(cfg)
    loader = DataLoader(dataset, batch_size=1, num_workers=2, collate_fn=pseudo_collate)
    assert [int(batch['img'][0].sum()) for batch in loader] == sums
    assert Compose(LOAD)  # the same pipeline as the JSON dataset's


def test_pose_statistics_equal_direct_computation(synth, tmp_path, capsys):
    entries = []
    for i in range(3):
        img, ann = synth.scene(seed=i)
        ann['landmarks'][0] = (np.array(ann['landmarks'][0]) + i).tolist()
        entries.append(dict(name=f's{i}', image=img, ann=ann))
    degenerate = dict(entries[0]['ann'], landmarks=[[[7.0, 7.0]] * 68, -1, -1])
    entries.append(dict(name='degenerate', image=entries[0]['image'], ann=degenerate))
    list_file = synth.write(entries)
    refs = ['--reference68', synth.path68, '--reference5', synth.path5]
    out = tmp_path / 'lmdb' / 'train.lmdb'
    load_tool('img2pose_to_lmdb').main([str(list_file), str(synth.root / 'images'), str(out),
                                        '--train', '--no-progress'] + refs)
    mean = np.load(tmp_path / 'lmdb' / 'pose_mean.npy')
    std = np.load(tmp_path / 'lmdb' / 'pose_stddev.npy')

    # directly: each labelled face's local PnP pose in its box, NaN (degenerate) excluded
    poses = []
    for entry in entries[:3]:
        box68, box5 = np.array(entry['ann']['bboxes'][0]), np.array(entry['ann']['bboxes'][1])
        poses.append(pose_from_landmarks(np.array(entry['ann']['landmarks'][0])[None],
                                         box68[None, :4], synth.ref68)[0])
        poses.append(pose_from_landmarks(np.array(entry['ann']['landmarks'][1])[None],
                                         box5[None, :4], synth.ref5)[0])
    poses = np.array(poses)
    assert mean.shape == std.shape == (6, ) and np.isfinite(poses).all()
    np.testing.assert_allclose(mean, poses.mean(0), rtol=1e-5, atol=1e-6)  # float32 landmarks
    np.testing.assert_allclose(std, poses.std(0), rtol=1e-5, atol=1e-6)  # float32 landmarks
    assert 'pose statistics of 6 labelled faces' in capsys.readouterr().out

    load_tool('compute_pose_stats').main([str(list_file), '--out-dir', str(tmp_path / 'js')]
                                         + refs)
    np.testing.assert_array_equal(np.load(tmp_path / 'js' / 'pose_mean.npy'), mean)
    np.testing.assert_array_equal(np.load(tmp_path / 'js' / 'pose_stddev.npy'), std)
