"""``tools/model_converters/img2pose_to_mmpose6d.py`` on synthetic original checkpoints.

The original (torchvision-layout) state dict is generated from our own model's shapes with a
hand-written inverse of the mapping, so every original key exists with random values; after
conversion each tensor must land where it belongs, rows swapped/sliced where the layouts
differ.
"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from bad_inputs import WritesMarker
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmpose6d.registry import MODELS
from mmpose6d.utils.checkpoint import CheckpointError

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'model_converters' / 'img2pose_to_mmpose6d.py'
CONFIG = REPO / 'configs' / '_base_' / 'models' / 'img2pose_r18_fpn.py'
POSE_MEAN = [0.1, -0.2, 0.05, 0.0, 0.0, 6.0]
POSE_STDDEV = [0.3, 0.5, 0.3, 0.05, 0.05, 1.5]
CONFIG_BUFFERS = ('pose_mean', 'pose_stddev', 'reference68', 'reference5')

spec = importlib.util.spec_from_file_location('img2pose_to_mmpose6d', TOOL)
converter = importlib.util.module_from_spec(spec)
spec.loader.exec_module(converter)


def original_key(ours, new_naming):
    """The torchvision-layout name of one of our keys (None: the original has no such
    tensor), written independently of the converter's rules."""
    if ours.split('.')[-1] in CONFIG_BUFFERS:
        return None
    if ours.startswith('backbone.'):
        if ours.endswith('num_batches_tracked'):
            return None  # FrozenBatchNorm2d
        return 'backbone.body.' + ours[len('backbone.'):]
    conv = '0.' if new_naming else ''
    rules = [
        (r'neck\.lateral_convs\.(\d)\.conv\.(\w+)', rf'backbone.fpn.inner_blocks.\1.{conv}\2'),
        (r'neck\.fpn_convs\.(\d)\.conv\.(\w+)', rf'backbone.fpn.layer_blocks.\1.{conv}\2'),
        (r'rpn_head\.rpn_conv\.(\w+)', r'rpn.head.conv.0.0.\1' if new_naming
         else r'rpn.head.conv.\1'),
        (r'rpn_head\.rpn_cls\.(\w+)', r'rpn.head.cls_logits.\1'),
        (r'rpn_head\.rpn_reg\.(\w+)', r'rpn.head.bbox_pred.\1'),
        (r'roi_head\.bbox_head\.shared_fcs\.0\.(\w+)', r'roi_heads.class_head.fc6.\1'),
        (r'roi_head\.bbox_head\.shared_fcs\.1\.(\w+)', r'roi_heads.class_head.fc7.\1'),
        (r'roi_head\.bbox_head\.fc_cls\.(\w+)', r'roi_heads.class_predictor.cls_score.\1'),
        (r'roi_head\.pose_head\.shared_fcs\.0\.(\w+)', r'roi_heads.box_head.fc6.\1'),
        (r'roi_head\.pose_head\.shared_fcs\.1\.(\w+)', r'roi_heads.box_head.fc7.\1'),
        (r'roi_head\.pose_head\.pose_pred\.(\d)\.(\w+)',
         r'roi_heads.box_predictor.dof_pred.\1.\2'),
    ]
    for pattern, template in rules:
        if re.fullmatch(pattern, ours):
            return re.sub(pattern, template, ours)
    raise AssertionError(f'no original name for {ours}')


def build_model(depth=18):
    init_default_scope('mmpose6d')
    cfg = Config.fromfile(str(CONFIG)).model
    cfg.roi_head.pose_head.pose_coder.update(pose_mean=[0.0] * 6, pose_stddev=[1.0] * 6)
    cfg.test_cfg.rcnn.score_thr = 0.0
    cfg.backbone.depth = depth
    if depth >= 50:
        cfg.neck.in_channels = [256, 512, 1024, 2048]
    return MODELS.build(cfg).eval()


def original_state_dict(target, new_naming=False, prefix='', seed=0):
    """Every original tensor, random, in the original shapes (12 DoF rows: 2 classes)."""
    gen = torch.Generator().manual_seed(seed)
    source = {}
    for ours, like in target.items():
        key = original_key(ours, new_naming)
        if key is None:
            continue
        shape = list(like.shape)
        if key.startswith('roi_heads.box_predictor.dof_pred.3'):
            shape[0] = 12
        if like.dtype == torch.int64:
            value = torch.randint(0, 1000, shape, generator=gen)
        elif key.endswith('running_var'):
            value = torch.rand(shape, generator=gen) + 0.5
        else:
            value = torch.randn(shape, generator=gen) * 0.05
        source[prefix + key] = value
    return source


@pytest.fixture(scope='module')
def model():
    return build_model()


@pytest.fixture(scope='module')
def target(model):
    return model.state_dict()


def expected_value(ours, source, new_naming, prefix=''):
    """What the converter must write for our key, from the original tensors."""
    value = source[prefix + original_key(ours, new_naming)]
    if ours.startswith('roi_head.bbox_head.fc_cls'):
        return value[[1, 0]]  # [background, face] -> [face, background]
    if ours.startswith('roi_head.pose_head.pose_pred.3'):
        return value[6:12]  # the face class's 6 DoF rows
    return value


def _convert(src, dst, *args):
    return subprocess.run([sys.executable, str(TOOL), str(src), str(dst), *args],
                          capture_output=True, text=True)


def test_original_key_list_is_the_models(target):
    """The converter's list of original keys is the inverse image of our model's keys."""
    ours = {original_key(k, False) for k in target} - {None}
    assert set(converter.original_keys(18)) == ours and len(ours) == 141


def test_cli_converts_module_prefixed_new_naming(target, model, tmp_path):
    """The tool on a ``{'fpn_model': ...}`` file with ``module.`` keys and the newer
    torchvision FPN/RPN naming: every tensor lands, the checkpoint loads strictly, inference
    runs."""
    source = original_state_dict(target, new_naming=True, prefix='module.')
    torch.save(dict(fpn_model=source, epoch=3), tmp_path / 'src.pth')
    files = dict(pose_mean=np.array(POSE_MEAN), pose_stddev=np.array(POSE_STDDEV),
                 reference68=np.random.default_rng(0).normal(size=(68, 3)),
                 reference5=np.random.default_rng(1).normal(size=(5, 3)))
    for name, array in files.items():
        np.save(tmp_path / f'{name}.npy', array)
    result = _convert(tmp_path / 'src.pth', tmp_path / 'dst.pth',
                      *[arg for name in files for arg in (f'--{name.replace("_", "-")}',
                                                          str(tmp_path / f'{name}.npy'))])
    assert result.returncode == 0, result.stderr
    assert '20 num_batches_tracked filled' in result.stdout
    assert 'embedded pose_mean' in result.stdout and 'embedded reference5' in result.stdout

    checkpoint = torch.load(tmp_path / 'dst.pth', weights_only=True)
    assert checkpoint['meta']['converter_version'] and checkpoint['meta']['source_tensors'] \
        == len(source)
    assert set(checkpoint['state_dict']) == set(target)
    load_checkpoint(model, str(tmp_path / 'dst.pth'), strict=True)
    state = model.state_dict()
    for ours in target:
        name = ours.split('.')[-1]
        if name in CONFIG_BUFFERS:
            expected = torch.as_tensor(files[name], dtype=torch.float32)
        elif original_key(ours, True) is None:
            expected = torch.zeros((), dtype=torch.long)
        else:
            expected = expected_value(ours, source, True, 'module.')
        torch.testing.assert_close(state[ours], expected.to(state[ours].dtype), rtol=0, atol=0,
                                   msg=ours)
    assert len(target) == 165

    image = torch.from_numpy(np.random.default_rng(0).integers(0, 255, (3, 256, 320),
                                                               dtype=np.uint8))
    sample = DetDataSample(metainfo=dict(img_shape=(256, 320), ori_shape=(256, 320),
                                         scale_factor=(1.0, 1.0)))
    with torch.no_grad():
        pred = model.test_step(dict(inputs=[image], data_samples=[sample]))[0].pred_instances
    assert len(pred) > 0 and pred.poses.shape == (len(pred), 6)
    assert torch.isfinite(pred.poses).all() and torch.isfinite(pred.bboxes).all()


def test_old_naming_without_buffers(target):
    """Older torchvision names, a bare state dict: without the statistics and references the
    checkpoint lacks exactly those four buffers; the backbone's counters are filled."""
    source = original_state_dict(target)
    state_dict, filled = converter.convert_state_dict(source)
    assert len(filled) == 20 and all(k.endswith('num_batches_tracked') for k in filled)
    assert set(target) - set(state_dict) == {f'roi_head.pose_head.{b}' for b in CONFIG_BUFFERS}
    for ours, value in state_dict.items():
        expected = torch.zeros((), dtype=torch.long) if ours in filled else \
            expected_value(ours, source, False)
        torch.testing.assert_close(value, expected, rtol=0, atol=0, msg=ours)


def test_missing_unexpected_depth_and_shape_errors(target):
    source = original_state_dict(target)
    broken = dict(source)
    del broken['roi_heads.box_predictor.dof_pred.1.running_var']
    broken['roi_heads.box_predictor.extra.weight'] = torch.zeros(3)
    with pytest.raises(converter.ConversionError) as error:
        converter.convert_state_dict(broken)
    message = str(error.value)
    assert 'missing (1): roi_heads.box_predictor.dof_pred.1.running_var' in message
    assert 'unexpected (1): roi_heads.box_predictor.extra.weight' in message

    r50 = original_state_dict(build_model(50).state_dict())
    with pytest.raises(converter.ConversionError, match='another backbone depth'):
        converter.convert_state_dict(r50, depth=18)
    assert len(converter.convert_state_dict(r50, depth=50)[0]) == 306 + 53

    wrong = dict(source)
    wrong['roi_heads.box_predictor.dof_pred.3.weight'] = torch.zeros(6, 256)  # one class only
    with pytest.raises(converter.ConversionError,
                       match=r'pose_pred\.3\.weight: shape \(0, 256\)'):
        converter.convert_state_dict(wrong)
    with pytest.raises(converter.ConversionError, match=r'pose_mean .*needs 6 finite'):
        converter.convert_state_dict(source, pose_mean=[0.0] * 5)


def test_cli_damaged_untrusted_and_malicious_files(target, tmp_path):
    source = original_state_dict(target)
    del source['rpn.head.cls_logits.bias']
    torch.save(source, tmp_path / 'missing.pth')
    result = _convert(tmp_path / 'missing.pth', tmp_path / 'out.pth')
    assert result.returncode != 0 and not (tmp_path / 'out.pth').exists()
    assert 'missing.pth' in result.stderr and 'rpn.head.cls_logits.bias' in result.stderr

    (tmp_path / 'empty.pth').write_bytes(b'')
    good = original_state_dict(target)
    torch.save(good, tmp_path / 'full.pth')
    data = (tmp_path / 'full.pth').read_bytes()
    (tmp_path / 'truncated.pth').write_bytes(data[:len(data) // 2])
    for name in ('empty.pth', 'truncated.pth'):
        result = _convert(tmp_path / name, tmp_path / 'out.pth')
        assert result.returncode != 0 and 'damaged or incomplete' in result.stderr
        assert result.stderr.count(name) == 1 and '--trust-checkpoint' not in result.stderr

    # a training checkpoint with non-tensor objects loads only when trusted
    torch.save(dict(fpn_model=good, config=argparse.Namespace(lr=1)), tmp_path / 'train.pth')
    with pytest.raises(CheckpointError, match=r'argparse\.Namespace.*--trust-checkpoint'):
        converter.load_source_state_dict(tmp_path / 'train.pth')
    assert len(converter.load_source_state_dict(tmp_path / 'train.pth', True)) == 141

    # a crafted pickle that would write a file when unpickled: refused, nothing written
    marker = tmp_path / 'marker'
    torch.save(dict(fpn_model=good, payload=WritesMarker(marker)), tmp_path / 'evil.pth')
    result = _convert(tmp_path / 'evil.pth', tmp_path / 'out.pth')
    assert result.returncode != 0 and '--trust-checkpoint' in result.stderr
    assert result.stderr.count('evil.pth') == 1 and 'posix.system' in result.stderr
    assert not marker.exists() and not (tmp_path / 'out.pth').exists()
    assert os.listdir(tmp_path).count('.out.pth.tmp') == 0
