"""Img2Pose's validation loss: the training losses of a validation batch, as the original
computes them (train mode, no gradients), for mmengine's ValLoop to average into val_loss;
its channels-last layout."""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.loops import _parse_losses, _update_losses
from mmengine.structures import InstanceData

from mmpose6d.geometry import pose_to_bbox
from mmpose6d.models.detectors import resolve_channels_last
from mmpose6d.registry import MODELS

BASE = Path(__file__).resolve().parents[3] / 'configs/_base_/models/img2pose_r18_fpn.py'
LOSSES = {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_dof', 'loss_points'}
#: two labelled faces and one without a pose label, in a 320 x 256 original image
POSES = [[0.1, -0.2, 0.05, -0.3, 0.2, 8.0], [0.0, 0.3, 0.0, 0.5, 0.1, 10.0],
         [np.nan] * 6]


def _model_cfg(val_loss=None, channels_last=False):
    init_default_scope('mmpose6d')
    cfg = Config.fromfile(BASE).model
    cfg.roi_head.pose_head.pose_coder.update(pose_mean=[0, 0, 0, 0, 0, 6],
                                             pose_stddev=[.3, .5, .3, .05, .05, 1.5])
    cfg.train_cfg.rpn_proposal.update(nms_pre=500, max_per_img=200)
    cfg.test_cfg.rpn.update(nms_pre=500, max_per_img=100)
    cfg.val_loss = val_loss
    cfg.channels_last = channels_last
    return cfg


def _model(val_loss, channels_last=False):
    cfg = _model_cfg(val_loss, channels_last)
    torch.manual_seed(0)
    return MODELS.build(cfg).eval()


def _batch(faces=True):
    """A 160 x 128 network input of a 320 x 256 image (the test pipeline's resize), its
    ground truth in the original image's frame as the test pipeline leaves it (or none)."""
    image = torch.from_numpy(np.random.default_rng(0).integers(0, 255, (3, 128, 160),
                                                               dtype=np.uint8))
    sample = DetDataSample(metainfo=dict(img_shape=(128, 160), ori_shape=(256, 320),
                                         scale_factor=(0.5, 0.5)))
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[10., 10., 90., 90.]] * 3),
                                       labels=torch.zeros(3, dtype=torch.long),
                                       poses=torch.tensor(POSES, dtype=torch.float32))
    if not faces:
        sample.gt_instances = sample.gt_instances[:0]
    return dict(inputs=[image], data_samples=[sample])


def test_no_val_loss_by_default():
    outputs = _model(None).val_step(_batch())
    assert len(outputs) == 1 and 'pred_instances' in outputs[0]


def test_loss_targets_are_pose_boxes_in_the_network_input():
    model = _model(dict(train_mode=True))
    sample = model._loss_targets(_batch()['data_samples'][0])
    gt = sample.gt_instances
    assert len(gt) == 2  # the unlabelled face left out
    expected = pose_to_bbox(torch.tensor(POSES[:2], dtype=torch.float64),
                            torch.tensor([160.0, 128.0], dtype=torch.float64),
                            model.roi_head.pose_head.reference68.double())
    assert model.face_model.reference68 is model.roi_head.pose_head.reference68
    torch.testing.assert_close(gt.bboxes, expected.float())
    assert torch.equal(gt.poses, torch.tensor(POSES[:2]))


@pytest.mark.parametrize('train_mode', [True, False])
def test_val_step_appends_the_losses(train_mode):
    model = _model(dict(train_mode=train_mode))
    norm = model.roi_head.pose_head.pose_pred[1]
    before = norm.running_mean.clone()
    with torch.no_grad():
        outputs = model.val_step(_batch())
    assert len(outputs) == 2 and 'pred_instances' in outputs[0]
    losses = outputs[1].loss
    assert set(losses) == LOSSES
    assert all(v.ndim == 0 and torch.isfinite(v) for v in losses.values())
    assert not model.training  # back in eval mode
    # the original's quirk: in train mode the pose BatchNorm moves its running statistics
    assert torch.equal(norm.running_mean, before) != train_mode

    # mmengine's ValLoop: the mean of each loss over the batches, and their sum as val_loss
    records = {}
    for _ in range(2):
        _, records = _update_losses(copy.copy(outputs), records)
    metrics = _parse_losses(records, 'val')
    assert metrics['val_loss'] == pytest.approx(sum(v.item() for v in losses.values()),
                                                rel=1e-6)


def test_channels_last_is_the_same_model():
    plain, fast = _model(None), _model(None, channels_last=True)
    fast.load_state_dict(plain.state_dict())
    weight = fast.backbone.conv1.weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    assert not weight.is_contiguous()  # loading kept the layout
    assert plain.backbone.conv1.weight.is_contiguous()
    data = plain.data_preprocessor(_batch(), False)
    feats = fast.extract_feat(data['inputs'])
    assert feats[0].is_contiguous(memory_format=torch.channels_last)
    for ours, theirs in zip(feats, plain.extract_feat(data['inputs'])):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    # whole predictions, through the RoI layer that reads channels-last features
    with torch.no_grad():
        expected = plain.predict(data['inputs'], copy.deepcopy(data['data_samples']))
        got = fast.predict(data['inputs'], copy.deepcopy(data['data_samples']))
    a, b = expected[0].pred_instances, got[0].pred_instances
    assert len(a) > 0 and len(a) == len(b)
    torch.testing.assert_close(b.scores, a.scores, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(b.poses, a.poses, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(b.bboxes, a.bboxes, rtol=1e-4, atol=1e-3)


def test_channels_last_refuses_mmcv_roi_layers():
    cfg = _model_cfg()
    cfg.roi_head.bbox_roi_extractor.type = 'mmdet.SingleRoIExtractor'
    cfg.roi_head.bbox_roi_extractor.roi_layer = dict(type='RoIAlign', output_size=7,
                                                     sampling_ratio=2, aligned=False)
    MODELS.build(cfg)  # NCHW: mmcv's layer is fine
    cfg.channels_last = True
    with pytest.raises(ValueError, match=r"needs mmpose6d.ops.RoIAlign RoI layers .* not "
                                         r"\['RoIAlign', 'RoIAlign', 'RoIAlign', 'RoIAlign'\]"):
        MODELS.build(cfg)


@pytest.mark.parametrize('capability, expected', [('AVX512', True), ('AVX512_BF16', True),
                                                  ('AVX2', False), ('DEFAULT', False)])
def test_channels_last_auto_follows_the_cpu(monkeypatch, capability, expected):
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability', lambda: capability)
    assert resolve_channels_last('auto') is expected
    model = _model(None, channels_last='auto')
    assert model.channels_last is expected
    assert model.backbone.conv1.weight.is_contiguous(
        memory_format=torch.channels_last) is expected


def test_channels_last_rejects_other_values():
    assert resolve_channels_last(True) is True and resolve_channels_last(False) is False
    with pytest.raises(ValueError, match="channels_last must be True, False or 'auto', not 1"):
        resolve_channels_last(1)


def test_a_batch_without_faces_reaches_every_trainable_parameter():
    """DDP without find_unused_parameters needs every trainable parameter in the graph of
    every step: a batch with no face (no positive RoI) still gives each one a gradient."""
    model = _model(None).train()
    data = _batch(faces=False)
    losses = model(**model.data_preprocessor(data, True), mode='loss')
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
    missing = [name for name, p in model.named_parameters()
               if p.requires_grad and p.grad is None]
    assert not missing, missing


RANK_SCRIPT = """import importlib.util, json, sys
import torch
import torch.distributed as dist
spec = importlib.util.spec_from_file_location('test_img2pose', sys.argv[1])
test = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test)
dist.init_process_group(backend='gloo')
rank = dist.get_rank()
model = test._model(dict(train_mode=True))
data = test._batch(faces=rank == 0)
torch.manual_seed(0)
with torch.no_grad():
    losses = model.validation_loss(data)
with open(f'{sys.argv[2]}/rank{rank}.json', 'w') as f:
    json.dump({name: value.item() for name, value in losses.items()}, f)
dist.destroy_process_group()
"""


def test_validation_loss_runs_the_same_collectives_on_every_rank(tmp_path):
    """2 gloo processes, one validating a batch with faces and the other one without: both
    all-reduce the same losses in the same order and hold their mean."""
    script = tmp_path / 'rank.py'
    script.write_text(RANK_SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
         '--master_port', str(29500 + os.getpid() % 1000), str(script), __file__,
         str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f'rank{r}.json').read_text()) for r in range(2)]
    assert list(ranks[0]) == list(ranks[1]) and set(ranks[0]) == LOSSES

    alone = []
    for faces in (True, False):
        model = _model(dict(train_mode=True))
        torch.manual_seed(0)
        with torch.no_grad():
            alone.append(model.validation_loss(_batch(faces=faces)))
    for name in LOSSES:
        mean = (alone[0][name] + alone[1][name]).item() / 2
        assert ranks[0][name] == pytest.approx(mean, rel=1e-5, abs=1e-6), name
        assert ranks[1][name] == ranks[0][name], name


def test_a_train_step_under_autocast_with_a_face_over_300_px():
    """``--amp``'s autocast around the whole loss (bfloat16, CPU autocast's fast type) with a
    312 x 401 px face in a 448 x 448 input: finite losses, a finite gradient for every
    trainable parameter, the pose losses as in float32 up to the half-precision features."""
    model = _model(None).train()
    image = torch.from_numpy(np.random.default_rng(0).integers(0, 255, (3, 448, 448),
                                                               dtype=np.uint8))
    poses = torch.tensor([[0.1, 0.2, 0.0, 0.0, 0.0, 4.0]])
    boxes = model.face_model.boxes(poses.double(),
                                   torch.tensor([448.0, 448.0], dtype=torch.float64)).float()
    width, height = (boxes[0, 2:] - boxes[0, :2]).tolist()
    assert width > 300 and height > 300 and width * height > 65504
    sample = DetDataSample(metainfo=dict(img_shape=(448, 448), ori_shape=(448, 448),
                                         scale_factor=(1.0, 1.0)))
    sample.gt_instances = InstanceData(bboxes=boxes, poses=poses,
                                       labels=torch.zeros(1, dtype=torch.long))
    data = model.data_preprocessor(dict(inputs=[image], data_samples=[sample]), True)
    logs = {}
    for precision in ('float32', 'bfloat16'):
        torch.manual_seed(0)
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=precision == 'bfloat16'):
            losses = model(**data, mode='loss')
        loss, logs[precision] = model.parse_losses(losses)
        assert torch.isfinite(loss), precision
        model.zero_grad(set_to_none=True)
        loss.backward()
        bad = [name for name, p in model.named_parameters()
               if p.requires_grad and (p.grad is None or not torch.isfinite(p.grad).all())]
        assert not bad, (precision, bad)
    for name in ('loss_dof', 'loss_points'):
        assert logs['bfloat16'][name].dtype == torch.float32
        assert logs['bfloat16'][name].item() == pytest.approx(logs['float32'][name].item(),
                                                              rel=0.05), name


def test_inference_dtype_runs_the_network_in_half_precision():
    """``inference_dtype='bfloat16'``: the convolutions and MLPs run in bfloat16 (autocast),
    the proposals, RoIs and pose geometry in float32 / float64; the outputs are float32,
    each box the projection of its pose, and the faces agree with float32's."""
    plain = _model(None)
    cfg = _model_cfg()
    cfg.inference_dtype = 'bfloat16'
    half = MODELS.build(cfg).eval()
    half.load_state_dict(plain.state_dict())
    seen = {}
    half.roi_head.bbox_head.register_forward_hook(
        lambda module, args, out: seen.update(scores=out[0].dtype))
    half.rpn_head.register_forward_hook(lambda module, args, out: seen.update(rpn=out[0][0].dtype))
    data = plain.data_preprocessor(_batch(), False)
    with torch.no_grad():
        expected = plain.predict(data['inputs'], copy.deepcopy(data['data_samples']))
        got = half.predict(data['inputs'], copy.deepcopy(data['data_samples']))
    assert seen == dict(scores=torch.bfloat16, rpn=torch.bfloat16)
    a, b = expected[0].pred_instances, got[0].pred_instances
    assert len(a) > 0 and abs(len(b) - len(a)) <= 0.2 * len(a)
    for key in ('bboxes', 'scores', 'poses', 'landmarks'):
        assert b[key].dtype == torch.float32, key
    # geometry in full precision: the boxes are the poses' projections, rescaled
    ratios = torch.tensor([2.0, 2.0, 2.0, 2.0])
    boxes = half.face_model.boxes(b.poses.double(), torch.tensor([160.0, 128.0],
                                                                 dtype=torch.float64))
    torch.testing.assert_close(b.bboxes, boxes.float() * ratios, rtol=0, atol=1e-3)
    # the best face is found again, with a close score and pose
    best = a.scores.argmax()
    same = torch.tensor([(box - a.bboxes[best]).abs().max() < 2.0 for box in b.bboxes])
    assert same.any()
    j = int(torch.nonzero(same)[0])
    assert abs(b.scores[j] - a.scores[best]) < 0.05
    torch.testing.assert_close(b.poses[j], a.poses[best], rtol=0.05, atol=0.05)


def test_inference_dtype_rejects_other_values():
    cfg = _model_cfg()
    cfg.inference_dtype = 'int8'
    with pytest.raises(ValueError, match="inference_dtype must be None, 'bfloat16'"):
        MODELS.build(cfg)
