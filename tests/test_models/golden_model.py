"""The original img2pose model of ``MODEL_GOLDEN.md``, rebuilt through the public entry points.

The weights follow the golden file's rule (section 4), are saved in the original layout
(``{'fpn_model': ...}``, DataParallel's ``module.`` prefix), converted with
``tools/model_converters/img2pose_to_mmpose6d.py`` and loaded by mmdet's ``init_detector``
with the WIDER config, the golden pose statistics and the original references.
"""
import json
import math
import re
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import torch
from golden_files import golden_arrays, original_references
from mmdet.apis import init_detector
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

REPO = Path(__file__).resolve().parents[2]
CONVERTER = REPO / 'tools' / 'model_converters' / 'img2pose_to_mmpose6d.py'
WIDER_CONFIG = REPO / 'configs' / 'img2pose' / 'r18_fpn_wider.py'
POSE_MEAN = [0, 0, 0, 0, 0, 5]
POSE_STDDEV = [0.3, 0.5, 0.3, 0.1, 0.1, 1.5]

GAIN_RULES = [
    (r'backbone\.body\.layer\d\.\d\.conv2\.weight', 0.5),
    (r'backbone\.fpn\.inner_blocks\.\d\.weight', 0.5),
    (r'backbone\.fpn\.layer_blocks\.0\.weight', 0.5),
    (r'backbone\.fpn\.layer_blocks\.1\.weight', 1.0),
    (r'backbone\.fpn\.layer_blocks\.2\.weight', 2.0),
    (r'backbone\.fpn\.layer_blocks\.3\.weight', 4.0),
    (r'rpn\.head\.cls_logits\.weight', 1.0),
    (r'rpn\.head\.bbox_pred\.weight', 0.1),
    (r'roi_heads\.class_predictor\.cls_score\.weight', 1.5),
    (r'roi_heads\.box_predictor\.dof_pred\.3\.weight', 0.5),
]


def golden_weight(seed, key, shape):
    """One tensor of the deterministic original weights (MODEL_GOLDEN.md section 4)."""
    module, leaf = key.rsplit('.', 1)
    if leaf == 'num_batches_tracked':
        return np.zeros(shape, np.int64)
    noise = np.random.default_rng([seed, zlib.crc32(key.encode('ascii'))]).standard_normal(
        shape)
    last = module.rsplit('.', 1)[-1]
    if (re.fullmatch(r'bn\d+', last) or module.endswith('downsample.1')
            or module.endswith('dof_pred.1')):
        value = {'weight': 1.0 + 0.1 * noise, 'bias': 0.1 * noise,
                 'running_mean': 0.1 * noise, 'running_var': 1.0 + 0.1 * np.abs(noise)}[leaf]
    elif leaf == 'bias':
        value = 0.01 * noise
    else:
        gain = next((g for p, g in GAIN_RULES if re.fullmatch(p, key)), math.sqrt(2.0))
        value = noise * (gain / math.sqrt(int(np.prod(shape[1:]))))
    return value.astype(np.float32)


def original_state_dict(golden, seed, face_bias=0.0):
    """The original-layout state dict, checked against the file's per-key sums; then
    ``face_bias`` is added to the face logit's bias (``roi_heads.class_predictor.cls_score.
    bias[1]``), as for the evaluation golden files (``EVAL_GOLDEN.md``, key ``face_bias``)."""
    shapes = json.loads(str(golden['state_shapes']))
    state = {}
    for i, key in enumerate(golden['state_keys']):
        value = golden_weight(seed, str(key), tuple(shapes[key]))
        assert value.astype(np.float64).sum() == golden['state_sums'][i], key
        state[str(key)] = torch.from_numpy(value)
    state['roi_heads.class_predictor.cls_score.bias'][1] += face_bias
    return state


def convert_checkpoint(golden, references, seed, work_dir, original=None):
    """Save the original-layout weights (default: the seed's rule) and the references
    (``ref68.npy``, ``ref5.npy``) in ``work_dir`` and convert them with the tool: the
    converted checkpoint's path."""
    work_dir = Path(work_dir)
    original = original_state_dict(golden, seed) if original is None else original
    torch.save(dict(fpn_model={'module.' + k: v for k, v in original.items()}),
               work_dir / 'original.pth')
    for name in ('ref68', 'ref5'):
        np.save(work_dir / f'{name}.npy', references[name].astype(np.float32))
    subprocess.run([sys.executable, str(CONVERTER), str(work_dir / 'original.pth'),
                    str(work_dir / 'converted.pth')], check=True, capture_output=True)
    return work_dir / 'converted.pth'


def converted_golden(seed, work_dir, face_bias=0.0):
    """The seed's golden model arrays and its weights (``face_bias`` added,
    :func:`original_state_dict`) converted by the tool with the original references."""
    golden = golden_arrays(f'img2pose_model_seed{seed}.npz')
    original = original_state_dict(golden, seed, face_bias=face_bias)
    return golden, convert_checkpoint(golden, original_references(), seed, work_dir, original)


def model_options(work_dir):
    """The config options of the golden model: its pose statistics, the references
    :func:`convert_checkpoint` saved in ``work_dir``, no pretrained backbone."""
    return {
        'model.roi_head.pose_head.pose_coder.pose_mean': POSE_MEAN,
        'model.roi_head.pose_head.pose_coder.pose_stddev': POSE_STDDEV,
        'model.roi_head.pose_head.face_model.reference68': str(Path(work_dir) / 'ref68.npy'),
        'model.roi_head.pose_head.face_model.reference5': str(Path(work_dir) / 'ref5.npy'),
        'model.backbone.init_cfg': None,
    }


def convert_and_load(golden, references, seed, work_dir, cfg_options=None):
    """Save, convert with the tool, load with ``init_detector``: the model, the original
    state dict and the converted checkpoint's path."""
    original = original_state_dict(golden, seed)
    converted = convert_checkpoint(golden, references, seed, work_dir, original)
    options = dict(model_options(work_dir), **(cfg_options or {}))
    model = init_detector(str(WIDER_CONFIG), str(converted), device='cpu',
                          cfg_options=options)
    return model, original, converted


def image_sample(image_rgb, boxes=None, poses=None):
    """The data preprocessor's input for an RGB image (mmdet reads BGR) with no resize."""
    h, w = image_rgb.shape[:2]
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                         scale_factor=(1.0, 1.0)))
    if boxes is not None:
        sample.gt_instances = InstanceData(
            bboxes=torch.as_tensor(boxes, dtype=torch.float32),
            labels=torch.zeros(len(boxes), dtype=torch.long),
            poses=torch.as_tensor(poses, dtype=torch.float32))
    inputs = torch.from_numpy(np.ascontiguousarray(image_rgb[..., ::-1].transpose(2, 0, 1)))
    return inputs, sample
