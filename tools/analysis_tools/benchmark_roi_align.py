"""Forward and backward time of mmpose6d's CPU RoIAlign against mmcv's, same inputs.

    python tools/analysis_tools/benchmark_roi_align.py --rois 512 --size 160 120 --threads 2

Random RoIs of 8..68 px in a ``--size`` image (width height), on the stride-4 feature map
of ``--channels`` channels: img2pose's sampled RoIs on P2 of a 640x480 train image. Both
kernels get the same tensors; the script also checks that they agree bit for bit.
"""
import argparse

import torch
from mmcv.ops import roi_align as mmcv_roi_align

from mmpose6d.ops import ext_available, roi_align
from mmpose6d.utils.benchmark import median_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rois', type=int, default=512)
    parser.add_argument('--size', nargs=2, type=int, default=[640, 480],
                        help='image width height (the feature map is 1/4 of it)')
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--sampling-ratio', type=int, default=2)
    parser.add_argument('--aligned', action='store_true')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeat', type=int, default=7)
    args = parser.parse_args()
    if not ext_available():
        raise SystemExit('mmpose6d._ext is not compiled: run `bash tools/install.sh`')
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    width, height = args.size
    feats = torch.randn(1, args.channels, height // 4, width // 4, requires_grad=True)
    xy = torch.rand(args.rois, 2) * torch.tensor([width - 68., height - 68.])
    boxes = torch.cat([xy, xy + torch.rand(args.rois, 2) * 60 + 8], 1)
    rois = torch.cat([torch.zeros(args.rois, 1), boxes], 1)
    params = (7, 0.25, args.sampling_ratio, 'avg', args.aligned)
    grad_out = torch.randn(args.rois, args.channels, 7, 7)

    print(f'{args.rois} RoIs, {args.channels}x{height // 4}x{width // 4} map, sampling_ratio '
          f'{args.sampling_ratio}, aligned={args.aligned}, {torch.get_num_threads()} threads, '
          f'median of {args.repeat}')
    results = {}
    for name, fn in (('mmcv', mmcv_roi_align), ('mmpose6d', roi_align)):
        forward = median_seconds(lambda: fn(feats.detach(), rois, *params), args.repeat)
        both = median_seconds(
            lambda: torch.autograd.grad(fn(feats, rois, *params), feats, grad_out), args.repeat)
        out = fn(feats, rois, *params)
        results[name] = (out, *torch.autograd.grad(out, feats, grad_out))
        print(f'{name:9s} forward {forward * 1e3:7.1f} ms   backward '
              f'{(both - forward) * 1e3:7.1f} ms   forward+backward {both * 1e3:7.1f} ms')
    same = all(torch.equal(a, b) for a, b in zip(results['mmcv'], results['mmpose6d']))
    print(f'outputs and gradients bit-identical: {same}')


if __name__ == '__main__':
    main()
