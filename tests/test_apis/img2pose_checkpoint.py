"""A randomly initialised img2pose model saved as a config file and a checkpoint, for the
inferencer and demo tests (its detections are random, but every output path runs)."""
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmpose6d.models  # noqa: F401  (registers the modules)
from mmpose6d.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(640, 480), keep_ratio=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]


def write_random_img2pose(out_dir, seed=0):
    """(config path, checkpoint path) of a random r18 img2pose, written into ``out_dir``;
    it keeps its 5 best detections whatever their score, from fewer proposals than the
    original's (a fast test model)."""
    cfg = Config.fromfile(REPO / 'configs' / '_base_' / 'models' / 'img2pose_r18_fpn.py')
    cfg.merge_from_dict(
        dict(default_scope='mmpose6d',
             model=dict(roi_head=dict(pose_head=dict(pose_coder=dict(
                 pose_mean=[0, 0, 0, 0, 0, 6], pose_stddev=[.3, .5, .3, .05, .05, 1.5]))),
                        test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=100),
                                      rcnn=dict(score_thr=0.0, max_per_img=5))),
             test_dataloader=dict(dataset=dict(pipeline=TEST_PIPELINE))))
    config = Path(out_dir) / 'img2pose_random.py'
    cfg.dump(config)
    init_default_scope('mmpose6d')
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    checkpoint = Path(out_dir) / 'img2pose_random.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('face', )))), checkpoint)
    return config, checkpoint
