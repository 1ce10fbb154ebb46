"""Every shipped config parses, builds its model and its pipelines."""
from pathlib import Path

import numpy as np
import pytest
import yaml
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import VISUALIZERS as ROOT_VISUALIZERS
from mmengine.registry import DefaultScope, init_default_scope

import mmpose6d.datasets  # noqa: F401
import mmpose6d.models  # noqa: F401
from mmpose6d.ops import RoIAlign
from mmpose6d.registry import MODELS

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
CONFIGS = sorted((CONFIG_DIR / 'img2pose').glob('*.py'))
BASES = sorted((CONFIG_DIR / '_base_').rglob('*.py'))


def _point_references_to(steps, ref68, ref5):
    """Pipeline steps with the 3D reference files of their face models replaced (a fresh
    clone has no rendered data, whose scan references the CPU config uses)."""
    for step in steps:
        if 'transforms' in step:  # Img2PoseTestTimeAug (a list), TestTimeAug (groups)
            for group in step['transforms']:
                _point_references_to(group if isinstance(group, list) else [group], ref68,
                                     ref5)
        if 'face_model' in step:
            step['face_model'] = dict(step['face_model'], reference68=ref68, reference5=ref5)


def _set_model_files(cfg, golden):
    """Pose statistics and the golden references in the model config."""
    head = cfg.model.roi_head.pose_head
    head.pose_coder.update(pose_mean=[0, 0, 0, 0, 0, 5.0],
                           pose_stddev=[0.3, 0.5, 0.3, 0.5, 0.2, 0.3])
    head.face_model = dict(reference68=golden['ref68'].tolist(),
                           reference5=golden['ref5'].tolist())


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_builds(path, golden, tmp_path):
    init_default_scope('mmpose6d')
    cfg = Config.fromfile(path)
    np.save(tmp_path / 'ref68.npy', golden['ref68'])
    np.save(tmp_path / 'ref5.npy', golden['ref5'])
    _set_model_files(cfg, golden)
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'Img2Pose'
    assert model.roi_head.pose_head.pose_pred[-1].out_features == 6
    score_head = model.roi_head.bbox_head
    assert score_head.fc_cls.out_features == 2 and not score_head.with_reg
    # the original's RoIAlign (torchvision: sampling_ratio 2, not aligned) on mmpose6d's kernel
    layers = model.roi_head.bbox_roi_extractor.roi_layers
    assert [type(layer) for layer in layers] == [RoIAlign] * 4
    assert [(layer.sampling_ratio, layer.aligned, layer.spatial_scale) for layer in layers] == \
        [(2, False, 1 / 4), (2, False, 1 / 8), (2, False, 1 / 16), (2, False, 1 / 32)]
    test_only = 'train_dataloader' not in cfg  # the head-pose benchmarks
    pipelines = [cfg.test_dataloader.dataset.pipeline]
    if not test_only:
        pipelines += [cfg.train_dataloader.dataset.pipeline, cfg.tta_pipeline]
    for pipeline in pipelines:
        _point_references_to(pipeline, str(tmp_path / 'ref68.npy'), str(tmp_path / 'ref5.npy'))
        assert len(Compose(pipeline).transforms) == len(pipeline)
    if test_only:  # the notebooks' RPN test settings
        assert (cfg.model.test_cfg.rpn.nms_pre, cfg.model.test_cfg.rpn.max_per_img) == (500, 10)
        return
    assert cfg.optim_wrapper.clip_grad.max_norm == 10
    assert cfg.tta_model.type == 'Img2PoseTTAModel'


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_builds_under_mmdet_scope(path, golden, tmp_path):
    """What mmdet's DetInferencer builds under the 'mmdet' default scope it sets: the model,
    the test dataset (lazily, for its palette), the test pipeline with the step named
    LoadImageFromFile swapped for InferencerLoader, and the visualizer."""
    cfg = Config.fromfile(path)
    _set_model_files(cfg, golden)
    np.save(tmp_path / 'ref68.npy', golden['ref68'])
    np.save(tmp_path / 'ref5.npy', golden['ref5'])
    dataset = cfg.test_dataloader.dataset
    _point_references_to(dataset.pipeline, str(tmp_path / 'ref68.npy'),
                         str(tmp_path / 'ref5.npy'))
    steps = [dict(step) for step in dataset.pipeline]
    assert steps[0]['type'] == 'LoadImageFromFile'
    steps[0]['type'] = 'mmdet.InferencerLoader'
    with DefaultScope.overwrite_default_scope('mmdet'):
        assert type(ROOT_MODELS.build(cfg.model)).__name__ == 'Img2Pose'
        assert type(DATASETS.build(dict(dataset, lazy_init=True))).__name__.endswith('Dataset')
        assert len(Compose(steps).transforms) == len(steps)
        visualizer = ROOT_VISUALIZERS.build(dict(cfg.visualizer, name=f'mmdet_{path.stem}'))
        assert type(visualizer).__name__ == 'Img2PoseLocalVisualizer'


def test_metafile_has_one_entry_per_config():
    """model-index.yml (mim search) imports configs/img2pose/metafile.yml, which names each
    config once, in OpenMMLab's format."""
    index = yaml.safe_load((CONFIG_DIR.parent / 'model-index.yml').read_text())
    assert index == {'Import': ['configs/img2pose/metafile.yml']}
    metafile = yaml.safe_load((CONFIG_DIR / 'img2pose' / 'metafile.yml').read_text())
    collections = {c['Name'] for c in metafile['Collections']}
    models = metafile['Models']
    assert sorted(m['Config'] for m in models) == [
        str(p.relative_to(CONFIG_DIR.parent)) for p in CONFIGS]
    for model in models:
        assert model['Name'] == Path(model['Config']).stem
        assert model['In Collection'] in collections
        for result in model.get('Results', []):
            assert result['Task'] and result['Dataset'] and result['Metrics']


@pytest.mark.parametrize('path', BASES, ids=[str(p.relative_to(CONFIG_DIR)) for p in BASES])
def test_base_config_parses(path):
    assert len(Config.fromfile(path)) > 0


def test_config_source_has_no_imports():
    """mmengine >= 0.10.5 reads a config with a top-level import as a lazy-import config,
    which cannot inherit ``_base_`` files."""
    for path in CONFIGS + BASES:
        lines = path.read_text().splitlines()
        assert not [line for line in lines if line.startswith(('import ', 'from '))], path


def test_wider_recipe_values():
    """The original's settings (MODEL_GOLDEN.md section 3 and its training script)."""
    cfg = Config.fromfile(CONFIGS[0].parent / 'r18_fpn_wider.py')
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=1e-3, momentum=0.9,
                                               weight_decay=5e-4)
    assert cfg.train_dataloader.batch_size == 2
    plateau = cfg.param_scheduler[0]
    assert plateau.type == 'ReduceOnPlateauLR' and plateau.monitor == 'val_loss'
    assert (plateau.rule, plateau.factor, plateau.patience, plateau.threshold,
            plateau.threshold_rule, plateau.cooldown, plateau.min_value) == \
        ('less', 0.1, 3, 1e-3, 'rel', 1, 1e-5)
    stop = cfg.custom_hooks[0]
    assert (stop.type, stop.monitor, stop.rule, stop.patience) == \
        ('LazyEarlyStoppingHook', 'val_loss', 'less', 5)
    assert cfg.default_hooks.checkpoint.save_best == 'val_loss'
    assert cfg.model.val_loss == dict(train_mode=True)
    assert cfg.train_cfg.val_interval == 1
    model = cfg.model
    assert model.backbone.norm_cfg == dict(type='BN', eps=0.0, requires_grad=False)
    assert model.backbone.frozen_stages == 1 and model.neck.num_outs == 5
    anchors = model.rpn_head.anchor_generator
    assert (anchors.type, anchors.scales, anchors.strides) == \
        ('TorchvisionAnchorGenerator', [4], [4, 8, 16, 32, 64])
    for proposal, top in ((model.train_cfg.rpn_proposal, 2000), (model.test_cfg.rpn, 1000)):
        assert (proposal.nms_pre, proposal.max_per_img, proposal.nms.iou_threshold,
                proposal.min_bbox_size) == (6000, top, 0.4, 1e-3)
    rpn = model.train_cfg.rpn
    assert (rpn.assigner.pos_iou_thr, rpn.assigner.neg_iou_thr, rpn.sampler.num,
            rpn.sampler.pos_fraction) == (0.5, 0.3, 256, 0.5)
    rcnn = model.train_cfg.rcnn
    assert (rcnn.assigner.pos_iou_thr, rcnn.assigner.neg_iou_thr, rcnn.sampler.num,
            rcnn.sampler.pos_fraction, rcnn.sampler.add_gt_as_proposals) == \
        (0.5, 0.5, 512, 0.25, True)
    assert (model.test_cfg.rcnn.score_thr, model.test_cfg.rcnn.min_bbox_size,
            model.test_cfg.rcnn.nms.iou_threshold, model.test_cfg.rcnn.max_per_img) == \
        (0.05, 1e-2, 0.5, -1)
    scales = cfg.train_dataloader.dataset.pipeline[5].scales
    assert [s for _, s in scales] == list(range(640, 801, 32)) and {w for w, _ in scales} == {1400}
    assert cfg.tta_scales == [200, 300, 500, 800, 1100, 1400, 1700]
