"""Half-precision inference (``model.inference_dtype``) against float32: speed and agreement.

The same checkpoint is built twice from the config, once as configured (float32) and once
with ``inference_dtype`` set; each image goes through the config's test pipeline
(``mmdet.apis.inference_detector``), the two models taking turns so that both see the
machine in the same state. Prints the median seconds per image of each and their ratio,
then the agreement: each float32 detection matched to the half-precision one of highest
IoU (>= ``--iou``, each used once, best scores first), and over the matched pairs the
score difference and the angle between the rotations and the relative distance between the
translations of their poses.

    python tools/analysis_tools/benchmark_precision.py configs/img2pose/r18_fpn_rendered_cpu.py \\
        work_dirs/quickstart/iter_1000.pth data/rendered/other/images/*.jpg
"""
import argparse
import time

import numpy as np
import torch
from mmdet.apis import inference_detector, init_detector
from mmengine.config import DictAction

from mmpose6d.geometry import box_iou, rotation_angle_deg


def match(reference, other, iou_thr):
    """Pairs (i, j) of ``reference`` and ``other`` detections (InstanceData), the reference
    taken by descending score, each matched to the unused ``other`` of highest IoU."""
    if len(reference) == 0 or len(other) == 0:
        return []
    ious = box_iou(reference.bboxes.double(), other.bboxes.double()).numpy()
    used = np.zeros(len(other), bool)
    pairs = []
    for i in np.argsort(-reference.scores.numpy(), kind='stable'):
        candidates = np.where(used, -1.0, ious[i])
        j = int(candidates.argmax())
        if candidates[j] >= iou_thr:
            used[j] = True
            pairs.append((i, j))
    return pairs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+')
    parser.add_argument('--dtype', default='bfloat16', choices=['bfloat16', 'float16'])
    parser.add_argument('--repeat', type=int, default=3, help='timed passes over the images')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--iou', type=float, default=0.9, help='IoU of a matched pair')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config settings')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    models = {
        name: init_detector(args.config, args.checkpoint, device='cpu',
                            cfg_options=dict(args.cfg_options, **{'model.inference_dtype': dtype}))
        for name, dtype in (('float32', None), (args.dtype, args.dtype))
    }
    seconds = {name: [] for name in models}
    results = {}
    for run in range(args.repeat + 1):  # the first pass warms up
        for image in args.images:
            for name, model in models.items():
                start = time.perf_counter()
                result = inference_detector(model, image)
                if run:
                    seconds[name].append(time.perf_counter() - start)
                results[name, image] = result.pred_instances.cpu()

    cpu = torch.backends.cpu.get_cpu_capability()
    native = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    print(f'{len(args.images)} images, {args.threads} threads, CPU capability {cpu}, '
          f'bfloat16 instructions: {"yes" if native else "no (emulated)"}')
    times = {name: float(np.median(values)) for name, values in seconds.items()}
    for name, value in times.items():
        print(f'{name:9s} {value:.3f} s per image (median of {len(seconds[name])})')
    print(f'{args.dtype} / float32 time: {times[args.dtype] / times["float32"]:.2f}x')

    counts, matched, score_diffs, angles, translations = [0, 0], 0, [], [], []
    for image in args.images:
        reference, other = results['float32', image], results[args.dtype, image]
        counts[0] += len(reference)
        counts[1] += len(other)
        pairs = match(reference, other, args.iou)
        matched += len(pairs)
        if not pairs:
            continue
        i, j = map(list, zip(*pairs))
        score_diffs += (other.scores[j] - reference.scores[i]).abs().tolist()
        a, b = reference.poses[i].double(), other.poses[j].double()
        angles += rotation_angle_deg(a[:, :3], b[:, :3]).tolist()
        translations += ((a[:, 3:] - b[:, 3:]).norm(dim=1) / a[:, 3:].norm(dim=1)).tolist()
    print(f'detections: float32 {counts[0]}, {args.dtype} {counts[1]}; matched at IoU >= '
          f'{args.iou}: {matched} ({matched / max(counts[0], 1):.1%} of float32\'s)')
    if matched:
        for name, values, unit in (('|score difference|', score_diffs, ''),
                                   ('rotation difference', angles, ' deg'),
                                   ('translation difference', translations, ' (relative)')):
            print(f'{name:24s} median {np.median(values):.4g}{unit}, '
                  f'95th percentile {np.percentile(values, 95):.4g}{unit}')


if __name__ == '__main__':
    main()
