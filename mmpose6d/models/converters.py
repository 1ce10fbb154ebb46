"""Original img2pose checkpoints (torchvision Faster R-CNN layout) -> :class:`Img2Pose`.

The original model is torchvision's ``FasterRCNN`` with a ResNet-FPN backbone, plus a class
predictor (``roi_heads.class_predictor.cls_score``, classes ``[background, face]``) and a
DoF predictor (``roi_heads.box_predictor.dof_pred``: Linear, BatchNorm1d, ReLU, Linear with
6 outputs per class). Every source tensor is mapped by one rule of :data:`RULES`; a source
key that no rule takes, a target key that nothing fills and a shape that does not fit are
errors, never silently dropped.
"""
import re
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from .utils import load_array

CONVERTER_VERSION = '1.0'

#: Config-only buffers: written only when the tool is given the files.
POSE_STATS = ('roi_head.bbox_head.pose_mean', 'roi_head.bbox_head.pose_stddev')
REFERENCES = ('roi_head.bbox_head.reference68', 'roi_head.bbox_head.reference5')

_BASE_CONFIG = Path(__file__).resolve().parents[2] / 'configs/_base_/models/img2pose_r18_fpn.py'


def _background_last(tensor):
    """torchvision's class order [background, c1, ...] -> mmdet's [c1, ..., background]."""
    return torch.cat([tensor[1:], tensor[:1]])


def _drop_background_pose(tensor):
    """The DoF layer's 6 rows per class [background, c1, ...] -> the classes' rows only."""
    return tensor[6:]


#: (source pattern, target template, transform) on keys without the ``module.`` prefix.
RULES = [
    (r'backbone\.body\.(.+)', r'backbone.\1', None),
    (r'backbone\.fpn\.inner_blocks\.(\d+)\.(?:0\.)?(weight|bias)',
     r'neck.lateral_convs.\1.conv.\2', None),
    (r'backbone\.fpn\.layer_blocks\.(\d+)\.(?:0\.)?(weight|bias)',
     r'neck.fpn_convs.\1.conv.\2', None),
    (r'rpn\.head\.conv\.(?:0\.0\.)?(weight|bias)', r'rpn_head.rpn_conv.\1', None),
    (r'rpn\.head\.cls_logits\.(weight|bias)', r'rpn_head.rpn_cls.\1', None),
    (r'rpn\.head\.bbox_pred\.(weight|bias)', r'rpn_head.rpn_reg.\1', None),
    (r'roi_heads\.box_head\.fc6\.(weight|bias)', r'roi_head.bbox_head.shared_fcs.0.\1', None),
    (r'roi_heads\.box_head\.fc7\.(weight|bias)', r'roi_head.bbox_head.shared_fcs.1.\1', None),
    (r'roi_heads\.class_predictor\.cls_score\.(weight|bias)', r'roi_head.bbox_head.fc_cls.\1',
     _background_last),
    (r'roi_heads\.box_predictor\.dof_pred\.([01])\.(.+)', r'roi_head.bbox_head.pose_branch.\1.\2',
     None),
    (r'roi_heads\.box_predictor\.dof_pred\.3\.(weight|bias)',
     r'roi_head.bbox_head.pose_branch.3.\1', _drop_background_pose),
]


class ConversionError(ValueError):
    """A source checkpoint that does not map onto the model."""


def load_source_state_dict(path, trust_pickle=False):
    """The model state dict of an original checkpoint: ``{'fpn_model': sd, ...}`` or a bare
    state dict, with any ``module.`` (DataParallel) prefix removed.

    The file is read with ``weights_only=True`` unless ``trust_pickle`` (full unpickling
    runs code stored in the file: only for files you trust).
    """
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=not trust_pickle)
    except Exception as error:
        if trust_pickle:
            raise
        raise ConversionError(
            f'{path}: cannot be read as plain tensors ({type(error).__name__}: {error}); if '
            'you trust the file, pass --trust-pickle to unpickle it fully') from error
    state_dict = checkpoint.get('fpn_model', checkpoint) if isinstance(checkpoint, dict) \
        else None
    if not isinstance(state_dict, dict) or not all(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise ConversionError(f'{path}: neither a state dict nor a dict with a "fpn_model" '
                              'state dict')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in state_dict.items())


def neck_in_channels(depth):
    """FPN input channels of a torchvision/mmdet ResNet of this depth."""
    if depth not in (18, 34, 50, 101, 152):
        raise ConversionError(f'ResNet depth {depth} is not one of 18, 34, 50, 101, 152')
    base = [64, 128, 256, 512]
    return base if depth < 50 else [4 * c for c in base]


def target_state_dict(depth=18):
    """Shapes and dtypes of :class:`Img2Pose` built from the base model config with a
    ResNet-``depth`` backbone (name -> empty tensor of that shape)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmpose6d.registry import MODELS
    if not _BASE_CONFIG.exists():
        raise FileNotFoundError(f'model config {_BASE_CONFIG} not found (run from a checkout)')
    cfg = Config.fromfile(str(_BASE_CONFIG)).model
    cfg.backbone.depth = depth
    cfg.neck.in_channels = neck_in_channels(depth)
    cfg.roi_head.bbox_head.update(pose_mean=[0.0] * 6, pose_stddev=[1.0] * 6,
                                  reference68=np.zeros((68, 3)), reference5=np.zeros((5, 3)))
    init_default_scope('mmpose6d')
    with torch.device('meta'):
        model = MODELS.build(cfg)
    return OrderedDict((k, torch.empty(v.shape, dtype=v.dtype))
                       for k, v in model.state_dict().items())


def _map_key(key):
    for pattern, template, transform in RULES:
        match = re.fullmatch(pattern, key)
        if match:
            return match.expand(template), transform
    return None, None


def _buffer(value, name, like):
    """A config buffer from an array or file, in ``like``'s shape."""
    short = name.split('.')[-1]
    try:
        array = load_array(value, tuple(like.shape), short)
    except ValueError as error:
        source = value if isinstance(value, (str, Path)) else 'the given array'
        raise ConversionError(f'{short} from {source}: needs shape {tuple(like.shape)}, '
                              f'{error}') from error
    return torch.as_tensor(array, dtype=like.dtype)


def convert_state_dict(source, target, pose_mean=None, pose_stddev=None, reference68=None,
                       reference5=None):
    """Map an original state dict onto ``target`` (name -> tensor of the right shape).

    Returns ``(state_dict, filled)``: the converted tensors in ``target``'s order, and the
    target keys filled with zeros rather than taken from the source (the backbone's
    ``num_batches_tracked``, which torchvision's FrozenBatchNorm2d does not store).
    ``pose_mean``/``pose_stddev``/``reference68``/``reference5`` (arrays or ``.npy`` paths)
    fill those buffers; left out, the checkpoint lacks them and the config's values stay.
    Raises :class:`ConversionError` listing every unmapped or missing key, or naming the
    key whose shape does not fit.
    """
    converted, sources, unmapped = {}, {}, []
    for key, value in source.items():
        name, transform = _map_key(key)
        if name is None or name not in target:
            unmapped.append(key if name is None else f'{key} (-> {name}, not in the model)')
            continue
        if name in converted:
            raise ConversionError(f'{key} and {sources[name]} both map to {name}')
        value = transform(value) if transform else value
        if value.shape != target[name].shape:
            given = f'shape {tuple(source[key].shape)}' + (
                f' (-> {tuple(value.shape)})' if transform else '')
            raise ConversionError(f'{key}: {given}, but {name} needs '
                                  f'{tuple(target[name].shape)} (wrong --depth?)')
        converted[name], sources[name] = value.to(target[name].dtype).clone(), key

    extras = dict(zip(POSE_STATS + REFERENCES, (pose_mean, pose_stddev, reference68,
                                                reference5)))
    for name, value in extras.items():
        if value is not None:
            converted[name] = _buffer(value, name, target[name])

    filled = [k for k in target if k not in converted and k.startswith('backbone.')
              and k.endswith('.num_batches_tracked')]
    for name in filled:
        converted[name] = torch.zeros_like(target[name])
    missing = [k for k in target if k not in converted and k not in extras]
    if unmapped or missing:
        raise ConversionError(
            'the checkpoint does not match the img2pose layout:'
            + (f'\n  source keys with no target ({len(unmapped)}): ' + ', '.join(unmapped)
               if unmapped else '')
            + (f'\n  target keys with no source ({len(missing)}): ' + ', '.join(missing)
               if missing else ''))
    return OrderedDict((k, converted[k]) for k in target if k in converted), filled
