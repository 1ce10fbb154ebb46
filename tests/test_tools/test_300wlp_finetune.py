"""configs/img2pose/r18_fpn_300wlp_ft.py: the published fine-tuning settings, and its two
epochs through mmengine's Runner on a tiny 300W-LP tree (``tests/face300wlp_files.py``),
starting from a checkpoint as the recipe starts from the WIDER model."""
from pathlib import Path

import numpy as np
import pytest
import torch
from face300wlp_files import write_300wlp_sample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmpose6d.datasets  # noqa: F401  (registers the datasets and transforms)
import mmpose6d.models  # noqa: F401
from mmpose6d.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'img2pose'
CONFIG = CONFIGS / 'r18_fpn_300wlp_ft.py'
WIDER_MEAN, WIDER_STD = [0.0, 0.1, 0.0, 0.0, 0.0, 5.0], [0.3, 0.5, 0.3, 0.5, 0.2, 0.3]


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmpose6d')


def test_recipe_values():
    cfg = Config.fromfile(CONFIG)
    wider = Config.fromfile(CONFIGS / 'r18_fpn_wider.py')
    model = cfg.model
    # issue #68: 2 RPN samples per image, 4 detections per image; the RoI samples untouched
    assert (model.train_cfg.rpn.sampler.num, model.train_cfg.rpn.sampler.pos_fraction) == \
        (2, 0.5)
    assert model.train_cfg.rcnn.sampler == wider.model.train_cfg.rcnn.sampler
    assert model.test_cfg.rcnn.max_per_img == 4
    # fixed lr 1e-3 for 2 epochs, no validation, plateau or early stopping
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=1e-3, momentum=0.9,
                                               weight_decay=5e-4)
    assert cfg.optim_wrapper.clip_grad.max_norm == 10
    assert cfg.train_cfg == dict(type='EpochBasedTrainLoop', max_epochs=2)
    assert cfg.get('param_scheduler') is None and cfg.get('custom_hooks') is None
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.val_evaluator is None
    # from the WIDER model, with its statistics; the WIDER model's architecture
    assert cfg.load_from
    assert model.roi_head.pose_head.pose_coder == wider.model.roi_head.pose_head.pose_coder
    assert model.backbone.depth == 18 and model.backbone.frozen_stages == 1
    # 300W-LP without augmentation, 2 images per batch; tested on AFLW2000-3D
    train = cfg.train_dataloader
    assert train.batch_size == 2 and train.dataset.type == 'Face300WLPDataset'
    assert not {'RandomPoseCrop', 'RandomPoseFlip', 'PhotometricNoise'} & \
        {step['type'] for step in train.dataset.pipeline}
    assert cfg.test_dataloader.dataset.type == 'AFLW2000Dataset'


def test_finetune_trains(tmp_path):
    """Two epochs of one iteration on two images, the model starting from a checkpoint whose
    pose statistics differ from the config's (the checkpoint's are kept); the learning rate
    stays 1e-3 and each epoch writes a checkpoint."""
    for i, (subset, angles) in enumerate((('AFW', [10, -30, 5]), ('LFPW', [-5, 40, -10]))):
        write_300wlp_sample(tmp_path / '300W_LP', subset, f'{subset}_{i}_0', angles,
                            (100 + 3 * i, 90 - 2 * i), seed=i)
    cfg = Config.fromfile(CONFIG)
    config_stats = {'model.roi_head.pose_head.pose_coder.pose_mean': [0.0] * 5 + [4.0],
                    'model.roi_head.pose_head.pose_coder.pose_stddev': [1.0] * 6}
    cfg.merge_from_dict(config_stats)
    start = MODELS.build(cfg.model)
    start.roi_head.pose_head.pose_coder.pose_mean.copy_(torch.tensor(WIDER_MEAN))
    start.roi_head.pose_head.pose_coder.pose_stddev.copy_(torch.tensor(WIDER_STD))
    torch.save({'state_dict': start.state_dict(), 'meta': {}}, tmp_path / 'wider.pth')
    # as --cfg-options: the tiny tree and image size, fewer RoIs, no worker processes
    cfg.merge_from_dict({
        'load_from': str(tmp_path / 'wider.pth'),
        'work_dir': str(tmp_path / 'work'),
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.data_root': str(tmp_path / '300W_LP'),
        'train_dataloader.dataset.subsets': ['AFW', 'LFPW'],
        'train_dataloader.dataset.pipeline.3.scales': [(120, 64)],
        'model.train_cfg.rpn_proposal.max_per_img': 64,
        'model.train_cfg.rcnn.sampler.num': 16,
        'default_hooks.logger.interval': 1,
        'visualizer.name': f'visualizer_{tmp_path.name}',
    })
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (runner.epoch, runner.iter) == (2, 2)
    assert runner.optim_wrapper.get_lr()['lr'] == [1e-3]
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and np.isfinite(losses).all()
    assert {p.name for p in (tmp_path / 'work').glob('epoch_*.pth')} == \
        {'epoch_1.pth', 'epoch_2.pth'}
    coder = runner.model.roi_head.pose_head.pose_coder
    np.testing.assert_allclose(coder.pose_mean.cpu().numpy(), WIDER_MEAN, rtol=1e-6)
    np.testing.assert_allclose(coder.pose_stddev.cpu().numpy(), WIDER_STD, rtol=1e-6)
    trained = runner.model.state_dict()
    assert not torch.equal(trained['roi_head.pose_head.pose_pred.0.weight'],
                           start.state_dict()['roi_head.pose_head.pose_pred.0.weight'])
