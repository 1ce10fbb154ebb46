"""Convert an original img2pose checkpoint (torchvision layout) into an mmpose6d checkpoint.

    python tools/model_converters/img2pose_to_mmpose6d.py SRC.pth DST.pth \
        [--pose-mean M.npy --pose-stddev S.npy] [--reference68 R68.npy --reference5 R5.npy] \
        [--depth 18] [--trust-checkpoint]

SRC is ``{'fpn_model': state_dict, ...}`` or a bare state dict, keys with or without
DataParallel's ``module.``, FPN/RPN conv names of torchvision 0.8 or >= 0.13. Every source
tensor is mapped by one rule of ``RULES``; the source must hold exactly the original
model's tensors for ``--depth`` (a missing, extra or misshapen tensor is an error naming it).
The output is ``{'state_dict': ..., 'meta': ...}`` for mmengine's ``load_checkpoint``,
mmdet's ``init_detector`` and ``tools/test.py``, written atomically. See docs/deployment.md.
"""
import argparse
import os.path as osp
import re
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
from mmengine.runner import save_checkpoint

from mmpose6d.engine.atomic_backend import ATOMIC_BACKEND_ARGS
from mmpose6d.utils.checkpoint import CheckpointError, read_checkpoint

CONVERTER_VERSION = '2.0'
BN_LEAVES = ('weight', 'bias', 'running_mean', 'running_var')
#: blocks per ResNet stage, and whether the blocks are bottlenecks (3 convs)
RESNET_STAGES = {18: ((2, 2, 2, 2), False), 34: ((3, 4, 6, 3), False),
                 50: ((3, 4, 6, 3), True), 101: ((3, 4, 23, 3), True),
                 152: ((3, 8, 36, 3), True)}
#: the pose head's buffers set by the config (its coder's statistics, its face model's
#: references), embedded when given; checkpoints keep them under the head's own names
POSE_HEAD_BUFFERS = {'pose_mean': (6, ), 'pose_stddev': (6, ), 'reference68': (68, 3),
                     'reference5': (5, 3)}


def background_last(tensor):
    """torchvision's class rows [background, face] -> mmdet's [face, background]."""
    return torch.cat([tensor[1:], tensor[:1]])


def face_pose_rows(tensor):
    """The DoF layer's 6 rows per class [background, face] -> the face's 6 rows."""
    return tensor[6:]


#: (source pattern, target template, transform) on keys without ``module.``; the original's
#: class branch (class_head, class_predictor) -> bbox_head, its DoF branch (box_head,
#: box_predictor) -> pose_head
RULES = [
    (r'backbone\.body\.(.+)', r'backbone.\1', None),
    (r'backbone\.fpn\.inner_blocks\.(\d)\.(?:0\.)?(weight|bias)',
     r'neck.lateral_convs.\1.conv.\2', None),
    (r'backbone\.fpn\.layer_blocks\.(\d)\.(?:0\.)?(weight|bias)',
     r'neck.fpn_convs.\1.conv.\2', None),
    (r'rpn\.head\.conv\.(?:0\.0\.)?(weight|bias)', r'rpn_head.rpn_conv.\1', None),
    (r'rpn\.head\.cls_logits\.(weight|bias)', r'rpn_head.rpn_cls.\1', None),
    (r'rpn\.head\.bbox_pred\.(weight|bias)', r'rpn_head.rpn_reg.\1', None),
    (r'roi_heads\.class_head\.fc6\.(weight|bias)', r'roi_head.bbox_head.shared_fcs.0.\1', None),
    (r'roi_heads\.class_head\.fc7\.(weight|bias)', r'roi_head.bbox_head.shared_fcs.1.\1', None),
    (r'roi_heads\.class_predictor\.cls_score\.(weight|bias)', r'roi_head.bbox_head.fc_cls.\1',
     background_last),
    (r'roi_heads\.box_head\.fc6\.(weight|bias)', r'roi_head.pose_head.shared_fcs.0.\1', None),
    (r'roi_heads\.box_head\.fc7\.(weight|bias)', r'roi_head.pose_head.shared_fcs.1.\1', None),
    (r'roi_heads\.box_predictor\.dof_pred\.([01])\.(.+)', r'roi_head.pose_head.pose_pred.\1.\2',
     None),
    (r'roi_heads\.box_predictor\.dof_pred\.3\.(weight|bias)',
     r'roi_head.pose_head.pose_pred.3.\1', face_pose_rows),
]


class ConversionError(ValueError):
    """A source checkpoint that is not an original img2pose model."""


def original_keys(depth):
    """The canonical state-dict keys of the original model with a ResNet-``depth``
    (torchvision 0.8 names, no ``module.``): 141 for ResNet-18."""
    if depth not in RESNET_STAGES:
        raise ConversionError(f'ResNet depth {depth} is not one of {sorted(RESNET_STAGES)}')
    blocks, bottleneck = RESNET_STAGES[depth]
    convs = 3 if bottleneck else 2
    keys = ['backbone.body.conv1.weight'] + [f'backbone.body.bn1.{k}' for k in BN_LEAVES]
    for stage, count in enumerate(blocks, 1):
        for block in range(count):
            prefix = f'backbone.body.layer{stage}.{block}'
            for conv in range(1, convs + 1):
                keys += [f'{prefix}.conv{conv}.weight']
                keys += [f'{prefix}.bn{conv}.{k}' for k in BN_LEAVES]
            if block == 0 and (stage > 1 or bottleneck):
                keys += [f'{prefix}.downsample.0.weight']
                keys += [f'{prefix}.downsample.1.{k}' for k in BN_LEAVES]
    for blocks_ in ('inner_blocks', 'layer_blocks'):
        keys += [f'backbone.fpn.{blocks_}.{level}.{leaf}' for level in range(4)
                 for leaf in ('weight', 'bias')]
    keys += [f'rpn.head.{layer}.{leaf}' for layer in ('conv', 'cls_logits', 'bbox_pred')
             for leaf in ('weight', 'bias')]
    for head in ('box_head', 'class_head'):
        keys += [f'roi_heads.{head}.{fc}.{leaf}' for fc in ('fc6', 'fc7')
                 for leaf in ('weight', 'bias')]
    keys += [f'roi_heads.box_predictor.dof_pred.0.{leaf}' for leaf in ('weight', 'bias')]
    keys += [f'roi_heads.box_predictor.dof_pred.1.{leaf}'
             for leaf in BN_LEAVES + ('num_batches_tracked', )]
    keys += [f'roi_heads.box_predictor.dof_pred.3.{leaf}' for leaf in ('weight', 'bias')]
    keys += [f'roi_heads.class_predictor.cls_score.{leaf}' for leaf in ('weight', 'bias')]
    return keys


def canonical_key(key):
    """A source key without ``module.`` and with torchvision 0.8's conv names."""
    key = key[len('module.'):] if key.startswith('module.') else key
    key = re.sub(r'^(backbone\.fpn\.(?:inner|layer)_blocks\.\d)\.0\.', r'\1.', key)
    return re.sub(r'^rpn\.head\.conv\.0\.0\.', 'rpn.head.conv.', key)


def load_source_state_dict(path, trust_checkpoint=False):
    """The model state dict of an original checkpoint, canonical keys.

    Read by :func:`~mmpose6d.utils.checkpoint.read_checkpoint`: weights only unless
    ``trust_checkpoint`` (full unpickling runs code stored in the file: only for files you
    trust); a damaged file or one holding other objects raises its
    :class:`~mmpose6d.utils.checkpoint.CheckpointError`."""
    checkpoint = read_checkpoint(path, trust_checkpoint)
    state_dict = checkpoint.get('fpn_model', checkpoint) if isinstance(checkpoint, dict) \
        else None
    if not isinstance(state_dict, dict) or not all(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise ConversionError('neither a state dict nor a dict with a "fpn_model" state dict')
    return OrderedDict((canonical_key(k), v) for k, v in state_dict.items())


def _map_key(key):
    for pattern, template, transform in RULES:
        match = re.fullmatch(pattern, key)
        if match:
            return match.expand(template), transform
    raise ConversionError(f'{key}: no rule maps it')


def convert_state_dict(source, depth=18, **buffers):
    """Map an original state dict (canonical keys) onto mmpose6d's ``Img2Pose``.

    Returns ``(state_dict, filled)``: the converted tensors, and the backbone's
    ``num_batches_tracked`` filled with 0 (torchvision's FrozenBatchNorm2d has none).
    ``buffers`` (``pose_mean``, ``pose_stddev``, ``reference68``, ``reference5``: arrays or
    ``.npy`` paths) are embedded as the pose head's buffers; left out, the config's stay.
    """
    expected = original_keys(depth)
    missing = [k for k in expected if k not in source]
    extra = [k for k in source if k not in set(expected)]
    if missing or extra:
        other = [d for d in RESNET_STAGES if d != depth and set(original_keys(d)) == set(source)]
        raise ConversionError(
            f'not an original img2pose ResNet-{depth} state dict:'
            + (f'\n  missing ({len(missing)}): ' + ', '.join(missing[:8]) if missing else '')
            + (f'\n  unexpected ({len(extra)}): ' + ', '.join(extra[:8]) if extra else '')
            + (f'\n  these are the keys of another backbone depth: pass --depth {other[0]}'
               if other else ''))
    converted, filled = OrderedDict(), []
    for key in expected:
        name, transform = _map_key(key)
        converted[name] = (transform(source[key]) if transform else source[key]).clone()
        if key.startswith('backbone.body.') and key.endswith('.running_mean'):
            tracked = name[:-len('running_mean')] + 'num_batches_tracked'
            converted[tracked] = torch.zeros((), dtype=torch.long)
            filled.append(tracked)
    _check_shapes(converted, depth)
    for name, value in buffers.items():
        if value is not None:
            converted[f'roi_head.pose_head.{name}'] = _buffer(value, name)
    return converted, filled


def _check_shapes(converted, depth):
    """The head shapes every img2pose model shares (the backbone's follow from ``depth``)."""
    fixed = {'rpn_head.rpn_cls.weight': (3, 256, 1, 1), 'rpn_head.rpn_reg.weight': (12, 256, 1, 1),
             'roi_head.bbox_head.fc_cls.weight': (2, 1024),
             'roi_head.bbox_head.shared_fcs.0.weight': (1024, 12544),
             'roi_head.pose_head.shared_fcs.0.weight': (1024, 12544),
             'roi_head.pose_head.pose_pred.3.weight': (6, 256),
             'neck.lateral_convs.3.conv.weight': (256, 512 if depth < 50 else 2048, 1, 1)}
    for name, shape in fixed.items():
        if tuple(converted[name].shape) != shape:
            raise ConversionError(f'{name}: shape {tuple(converted[name].shape)}, an img2pose '
                                  f'ResNet-{depth} has {shape} (wrong --depth?)')


def _buffer(value, name):
    array = np.load(value) if isinstance(value, str) else np.asarray(value)
    shape = POSE_HEAD_BUFFERS[name]
    if array.size != int(np.prod(shape)) or not np.isfinite(array).all():
        raise ConversionError(f'{name} ({value if isinstance(value, str) else "array"}): '
                              f'needs {int(np.prod(shape))} finite numbers {shape}, got '
                              f'shape {array.shape}')
    return torch.as_tensor(array.reshape(shape), dtype=torch.float32)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='original img2pose checkpoint (.pth)')
    parser.add_argument('dst', help='output mmpose6d checkpoint (.pth)')
    parser.add_argument('--pose-mean', help='the pose mean it was trained with (.npy)')
    parser.add_argument('--pose-stddev', help='the pose stddev it was trained with (.npy)')
    parser.add_argument('--reference68', help='68-point 3D reference (.npy) to embed; '
                        "left out, the config's reference is used")
    parser.add_argument('--reference5', help='5-point 3D reference (.npy) to embed')
    parser.add_argument('--depth', type=int, default=18, help='ResNet depth (default 18)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='unpickle SRC fully if it holds more than tensors: that runs '
                        'code stored in the file, so only for files you trust')
    args = parser.parse_args()
    if (args.pose_mean is None) != (args.pose_stddev is None):
        parser.error('--pose-mean and --pose-stddev go together')
    return args


def main():
    args = parse_args()
    buffers = {name: getattr(args, name) for name in POSE_HEAD_BUFFERS}
    try:
        source = load_source_state_dict(args.src, args.trust_checkpoint)
        state_dict, filled = convert_state_dict(source, args.depth, **buffers)
    except CheckpointError as error:  # its message names the file
        sys.exit(f'error: {error}')
    except (ConversionError, OSError) as error:
        sys.exit(f'error: {args.src}: {error}')
    meta = dict(converter='tools/model_converters/img2pose_to_mmpose6d.py',
                converter_version=CONVERTER_VERSION, source=osp.abspath(args.src),
                source_tensors=len(source), depth=args.depth,
                dataset_meta=dict(classes=('face', ), palette=[(66, 165, 245)]),
                time=time.strftime('%Y-%m-%d %H:%M:%S'))
    save_checkpoint(dict(state_dict=state_dict, meta=meta), args.dst,
                    backend_args=ATOMIC_BACKEND_ARGS)  # whole or not at all
    print(f'{args.src}: {len(source)} tensors -> {args.dst}: {len(state_dict)} tensors '
          f'({len(filled)} num_batches_tracked filled with 0: FrozenBatchNorm2d has none)')
    embedded = [name for name, value in buffers.items() if value is not None]
    if 'pose_mean' not in embedded:
        print("no --pose-mean/--pose-stddev: the config's statistics (pose_head.pose_coder) "
              'will be used; they must be the statistics the model was trained with')
    for name in embedded:
        print(f'embedded {name} from {osp.abspath(buffers[name])}')


if __name__ == '__main__':
    main()
