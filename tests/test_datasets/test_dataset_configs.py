"""The dataset base configs: they build, and their pipelines run on synthetic data."""
import copy
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from mmpose6d.datasets.lmdb_store import convert_to_lmdb
from mmpose6d.registry import DATASETS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'datasets'
#: the WIDER recipe reading LMDBs (its dataset settings over wider_img2pose.py's)
LMDB_CONFIG = CONFIGS.parents[1] / 'img2pose' / 'r18_fpn_wider_lmdb.py'


def with_references(pipeline, synth):
    """The pipeline with the synthetic references as its labelling steps' face model."""
    pipeline = copy.deepcopy(pipeline)
    for step in pipeline:
        if step['type'] in ('PoseLabelsFromLandmarks', 'BoxesFromPoses'):
            step['face_model'] = synth.face_model
    return pipeline


def test_scales():
    wider = Config.fromfile(CONFIGS / 'wider_img2pose.py')
    assert wider.train_scales == [(1400, s) for s in (640, 672, 704, 736, 768, 800)]
    rendered = Config.fromfile(CONFIGS / 'rendered_faces.py')
    assert rendered.train_scales == [(448, s) for s in (288, 320, 352)]
    # validated on val, tested on the differently drawn `other` split
    assert rendered.val_dataloader.dataset.ann_file == 'annotations/val_annotations.txt'
    assert rendered.test_dataloader.dataset.ann_file == 'annotations/other_annotations.txt'
    assert rendered.test_dataloader.dataset.test_mode
    lmdb = Config.fromfile(LMDB_CONFIG)
    assert lmdb.train_dataloader.dataset.type == 'Img2PoseLMDBDataset'
    assert lmdb.test_dataloader.dataset.ann_file == 'lmdb/WIDER_val.lmdb'
    assert lmdb.train_dataloader.dataset.pipeline == wider.train_pipeline


def test_augmentations():
    """WIDER trains with the original's crop, flip and photometric noise; the rendered faces
    without the crop, which would blank the faces it cuts through."""
    wider = Config.fromfile(CONFIGS / 'wider_img2pose.py')
    rendered = Config.fromfile(CONFIGS / 'rendered_faces.py')
    steps = ['RandomPoseFlip', 'PhotometricNoise', 'mmdet.RandomChoiceResize']
    assert [step['type'] for step in wider.train_pipeline[2:6]] == ['RandomPoseCrop', *steps]
    assert wider.train_pipeline[2]['min_scale'] == 0.7
    assert [step['type'] for step in rendered.train_pipeline[2:5]] == steps


@pytest.mark.parametrize('name', ['wider_img2pose.py', 'rendered_faces.py',
                                  'r18_fpn_wider_lmdb.py'])
def test_config_pipelines_run(name, synth, tmp_path):
    cfg = Config.fromfile(LMDB_CONFIG if 'lmdb' in name else CONFIGS / name)
    entries = []
    for i in range(3):
        img, ann = synth.scene(seed=i)
        entries.append(dict(name=f's{i}', image=img, ann=ann))
    list_file = synth.write(entries)
    train = dict(cfg.train_dataloader.dataset, data_root='', ann_file=str(list_file),
                 data_prefix=dict(img=str(synth.root / 'images')),
                 pipeline=with_references(cfg.train_pipeline, synth))
    test = dict(cfg.test_dataloader.dataset, data_root='', ann_file=str(list_file),
                data_prefix=dict(img=str(synth.root / 'images')),
                pipeline=with_references(cfg.test_pipeline, synth))
    if 'lmdb' in name:
        convert_to_lmdb(list_file, synth.root / 'images', tmp_path / 'x.lmdb', progress=False)
        train['ann_file'] = test['ann_file'] = str(tmp_path / 'x.lmdb')
    np.random.seed(0)
    train_set, test_set = DATASETS.build(train), DATASETS.build(test)
    short_sides = {s for _, s in cfg.train_scales}
    long_side = cfg.train_scales[0][0]
    for i in range(3):
        sample = train_set[i]
        gt = sample['data_samples'].gt_instances
        h, w = sample['data_samples'].img_shape
        assert max(h, w) <= long_side
        assert min(h, w) in short_sides or max(h, w) == long_side
        assert sample['inputs'].shape == (3, h, w)
        assert 1 <= len(gt) <= 2 and gt.poses.dtype == torch.float32
        assert torch.isfinite(gt.poses).all()
        boxes = gt.bboxes.tensor
        assert (boxes[:, 2:] > boxes[:, :2]).all()
        assert (boxes[:, 2:] <= torch.tensor([w, h])).all()
    sample = test_set[0]
    meta = sample['data_samples'].metainfo
    # keep_ratio: the largest size within (long, short) of test_scale, rounded to the nearest
    # (mmdet's Resize) or down (TorchvisionResize: the WIDER configs, as the original model)
    factor = min(cfg.test_scale[0] / 480, cfg.test_scale[1] / 360)
    rounding = 0.0 if cfg.test_pipeline[1].type == 'TorchvisionResize' else 0.5
    assert meta['ori_shape'] == (360, 480)
    assert meta['img_shape'] == (int(360 * factor + rounding), int(480 * factor + rounding))
    gt = sample['data_samples'].gt_instances
    assert len(gt) == 3 and gt.num_landmarks.tolist() == [68, 5, 0]
    assert torch.isnan(gt.poses[2]).all() and torch.isfinite(gt.poses[:2]).all()
    # the test labels are in the original frame: equal to labels of the unresized image
    labels = [step for step in cfg.train_pipeline if step['type'] == 'PoseLabelsFromLandmarks']
    direct = Compose(with_references(cfg.train_pipeline[:2] + labels, synth))
    np.testing.assert_allclose(gt.poses[:2].numpy(),
                               direct(test_set.get_data_info(0))['gt_poses'])


def test_benchmark_pipeline_tool(synth, tmp_path, capsys):
    entries = [dict(name=f's{i}', image=synth.scene(seed=i)[0], ann=synth.scene(seed=i)[1])
               for i in range(2)]
    list_file = synth.write(entries)
    convert_to_lmdb(list_file, synth.root / 'images', tmp_path / 'b.lmdb', progress=False)
    base = Config.fromfile(CONFIGS / 'rendered_faces.py')
    config = tmp_path / 'bench_cfg.py'
    dataset = dict(data_root='', ann_file=str(list_file),
                   data_prefix=dict(img=str(synth.root / 'images')),
                   pipeline=with_references(base.train_pipeline, synth))
    config.write_text(f'_base_ = [{str(CONFIGS / "rendered_faces.py")!r}]\n'
                      f'train_dataloader = dict(dataset={dataset!r})\n')
    spec = importlib.util.spec_from_file_location(
        'benchmark_pipeline', CONFIGS.parents[2] / 'tools/analysis_tools/benchmark_pipeline.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    threads = torch.get_num_threads()
    try:
        tool.main([str(config), '--lmdb', str(tmp_path / 'b.lmdb'), '--num-images', '3',
                   '--workers', '0'])
    finally:
        torch.set_num_threads(threads)  # the tool runs single-threaded, as a worker
    table = capsys.readouterr().out
    assert 'json   1 process' in table and 'lmdb   1 process' in table
    assert 'PoseLabelsFromLandmarks' in table
