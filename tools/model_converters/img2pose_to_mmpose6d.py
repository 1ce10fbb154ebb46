"""Convert an original img2pose checkpoint (torchvision layout) into an mmpose6d checkpoint.

    python tools/model_converters/img2pose_to_mmpose6d.py SRC.pth DST.pth \
        [--pose-mean M.npy --pose-stddev S.npy] [--reference68 R68.npy --reference5 R5.npy] \
        [--depth 18] [--trust-pickle]

The output is ``{'state_dict': ..., 'meta': ...}``, loadable by mmengine's
``load_checkpoint`` and ``Runner(load_from=...)``. See docs/deployment.md.
"""
import argparse
import os.path as osp
import sys
import time

import torch

from mmpose6d.models.converters import (CONVERTER_VERSION, ConversionError, convert_state_dict,
                                        load_source_state_dict, target_state_dict)
from mmpose6d.models.utils import load_array


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='original img2pose checkpoint (.pth)')
    parser.add_argument('dst', help='output mmpose6d checkpoint (.pth)')
    parser.add_argument('--pose-mean', help="the original pose mean (.npy, 6 numbers)")
    parser.add_argument('--pose-stddev', help="the original pose stddev (.npy, 6 numbers)")
    parser.add_argument('--reference68', help='68-point 3D reference (.npy) to embed; '
                        "left out, the config's reference is used")
    parser.add_argument('--reference5', help='5-point 3D reference (.npy) to embed')
    parser.add_argument('--depth', type=int, default=18, help='ResNet depth (default 18)')
    parser.add_argument('--trust-pickle', action='store_true',
                        help='unpickle SRC fully if it holds more than tensors (runs code '
                        'stored in the file: only for files you trust)')
    args = parser.parse_args()
    if (args.pose_mean is None) != (args.pose_stddev is None):
        parser.error('--pose-mean and --pose-stddev go together')
    return args


def config_snippet(args):
    """The config lines that make a model built from the config match the checkpoint."""
    head = {}
    for key in ('pose_mean', 'pose_stddev', 'reference68', 'reference5'):
        path = getattr(args, key)
        if path is not None:
            head[key] = repr(osp.abspath(path))
    lines = ',\n'.join(f'    {k}={v}' for k, v in head.items())
    return f'model = dict(roi_head=dict(bbox_head=dict(\n{lines})))' if head else ''


def main():
    args = parse_args()
    try:
        source = load_source_state_dict(args.src, trust_pickle=args.trust_pickle)
        state_dict, filled = convert_state_dict(
            source, target_state_dict(args.depth), pose_mean=args.pose_mean,
            pose_stddev=args.pose_stddev, reference68=args.reference68,
            reference5=args.reference5)
    except (ConversionError, FileNotFoundError, ValueError) as error:
        sys.exit(f'error: {args.src}: {error}')
    meta = dict(converter='tools/model_converters/img2pose_to_mmpose6d.py',
                converter_version=CONVERTER_VERSION, source=osp.abspath(args.src),
                source_tensors=len(source), depth=args.depth,
                dataset_meta=dict(classes=('face', )),
                time=time.strftime('%Y-%m-%d %H:%M:%S'))
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'{args.src}: {len(source)} tensors -> {args.dst}: {len(state_dict)} tensors '
          f'({len(filled)} num_batches_tracked filled with 0: FrozenBatchNorm2d has none)')
    if args.pose_mean is None:
        print("no --pose-mean/--pose-stddev: the config's pose_mean/pose_stddev will be used; "
              'they must be the statistics the model was trained with')
    for key in ('pose_mean', 'pose_stddev'):
        if getattr(args, key):
            values = load_array(getattr(args, key), (6, ), key)
            print(f'{key} = {[round(float(v), 6) for v in values]}')
    snippet = config_snippet(args)
    if snippet:
        print('config snippet (values in the checkpoint win over the config when loading):')
        print(snippet)


if __name__ == '__main__':
    main()
