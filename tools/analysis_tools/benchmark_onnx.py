"""CPU inference time of img2pose in PyTorch and of its ONNX export in onnxruntime.

Both run the whole model, post-processing included, on the same image (noise, or --image
resized to the shape) with the same number of threads, taking turns; the model is exported
to a temporary file first.

    python tools/analysis_tools/benchmark_onnx.py CONFIG [CHECKPOINT] [--shape 480 640] \
        [--threads 2] [--runs 10] [--cfg-options k=v ...]

Without a checkpoint the weights are random (the config still needs the pose statistics,
e.g. ``--cfg-options model.roi_head.pose_head.pose_coder.pose_mean="[0,0,0,0,0,6]"``).
"""
import argparse
import os.path as osp
import sys
import tempfile
import time

import numpy as np
import onnxruntime
import torch
from mmengine.config import DictAction

from mmpose6d.deployment import OnnxImg2Pose, build_model, export_onnx, predict_pytorch, read_image
from mmpose6d.utils.checkpoint import TRUST_CHECKPOINT_HELP, CheckpointError


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (default: random weights)')
    parser.add_argument('--shape', type=int, nargs=2, default=[480, 640], metavar=('H', 'W'))
    parser.add_argument('--threads', type=int, default=2, help='CPU threads for both')
    parser.add_argument('--runs', type=int, default=10, help='timed runs (after 2 warm-up)')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--image', help='image to run on (default: noise)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--trust-checkpoint', action='store_true', help=TRUST_CHECKPOINT_HELP)
    return parser.parse_args()


def timings(runners, image, runs):
    """Per runner: median and minimum wall time over ``runs`` calls after 2 warm-up calls,
    and the faces found. The runners take turns, so load from other processes hits both."""
    faces = {name: len(fn(image)['scores']) for name, fn in runners.items() for _ in range(2)}
    times = {name: [] for name in runners}
    for _ in range(runs):
        for name, fn in runners.items():
            start = time.perf_counter()
            fn(image)
            times[name].append(time.perf_counter() - start)
    return {name: (float(np.median(t)), min(t), faces[name]) for name, t in times.items()}


def main():
    args = parse_args()
    height, width = args.shape
    torch.set_num_threads(args.threads)
    try:
        model = build_model(args.config, args.checkpoint, args.cfg_options,
                            args.trust_checkpoint)
    except CheckpointError as error:
        sys.exit(f'error: {error}')
    image = read_image(args.image, height, width)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'img2pose.onnx')
        export_onnx(model, path, height, width, opset=args.opset)
        session = OnnxImg2Pose(path, threads=args.threads)
        results = timings(dict(PyTorch=lambda im: predict_pytorch(model, im),
                               onnxruntime=session), image, args.runs)
    print(f'{width}x{height}, {args.threads} threads, {args.runs} runs '
          f'(torch {torch.__version__}, onnxruntime '
          f'{onnxruntime.__version__}):')
    for name, (median, best, faces) in results.items():
        print(f'  {name:12s} median {1000 * median:7.1f} ms  min {1000 * best:7.1f} ms  '
              f'({faces} faces)')
    print(f'  onnxruntime / PyTorch (median): '
          f'{results["onnxruntime"][0] / results["PyTorch"][0]:.2f}')


if __name__ == '__main__':
    main()
