"""Every shipped config parses, builds its model and its pipelines."""
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import mmpose6d.datasets  # noqa: F401
import mmpose6d.models  # noqa: F401
from mmpose6d.ops import RoIAlign
from mmpose6d.registry import MODELS

CONFIGS = sorted((Path(__file__).resolve().parents[1] / 'configs' / 'img2pose').glob('*.py'))


def _point_references_to(steps, ref68, ref5):
    """Pipeline steps with their 3D reference files replaced (a fresh clone has no rendered
    data, whose scan references the CPU config uses)."""
    for step in steps:
        if 'transforms' in step:  # TestTimeAug
            for group in step['transforms']:
                _point_references_to(group, ref68, ref5)
        if 'reference68' in step:
            step['reference68'] = ref68
        if 'reference5' in step:
            step['reference5'] = ref5


@pytest.mark.parametrize('path', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_builds(path, golden, tmp_path):
    init_default_scope('mmpose6d')
    cfg = Config.fromfile(path)
    np.save(tmp_path / 'ref68.npy', golden['ref68'])
    np.save(tmp_path / 'ref5.npy', golden['ref5'])
    head = cfg.model.roi_head.bbox_head
    head.pose_mean, head.pose_stddev = [0, 0, 0, 0, 0, 5.0], [0.3, 0.5, 0.3, 0.5, 0.2, 0.3]
    head.reference68, head.reference5 = golden['ref68'].tolist(), golden['ref5'].tolist()
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'Img2Pose'
    assert model.roi_head.bbox_head.pose_branch[-1].out_features == 6
    # the original's RoIAlign (torchvision: sampling_ratio 2, not aligned) on mmpose6d's kernel
    layers = model.roi_head.bbox_roi_extractor.roi_layers
    assert [type(layer) for layer in layers] == [RoIAlign] * 4
    assert [(layer.sampling_ratio, layer.aligned, layer.spatial_scale) for layer in layers] == \
        [(2, False, 1 / 4), (2, False, 1 / 8), (2, False, 1 / 16), (2, False, 1 / 32)]
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.test_dataloader.dataset.pipeline,
                     cfg.tta_pipeline):
        _point_references_to(pipeline, str(tmp_path / 'ref68.npy'), str(tmp_path / 'ref5.npy'))
        assert len(Compose(pipeline).transforms) == len(pipeline)
    assert cfg.optim_wrapper.clip_grad.max_norm == 10
    assert cfg.tta_model.type == 'Img2PoseTTAModel'


def test_wider_recipe_values():
    cfg = Config.fromfile(CONFIGS[0].parent / 'r18_fpn_wider.py')
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=1e-3, momentum=0.9,
                                               weight_decay=5e-4)
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.param_scheduler[0].type == 'ReduceOnPlateauLR'
    assert cfg.param_scheduler[0].factor == 0.1 and cfg.param_scheduler[0].min_value == 1e-5
    assert cfg.custom_hooks[0].type == 'EarlyStoppingHook'
    assert cfg.train_cfg.val_interval == 1
    scales = cfg.train_dataloader.dataset.pipeline[5].scales
    assert [s for _, s in scales] == list(range(640, 801, 32)) and {w for w, _ in scales} == {1400}
    assert cfg.tta_scales == [200, 300, 500, 800, 1100, 1400, 1700]
