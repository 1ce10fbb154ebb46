"""Train-step time of a config on its own training data, side by side with the other memory
layout and, for a ``BFloat16OptimWrapper``, the other precision.

The config's train dataloader (its pipeline with the multi-scale resize, run in this
process) gives ``--warmup + --steps`` batches, all fetched before timing. Copies of the
model with the same initial weights take turns: as configured (the layout ``channels_last``
resolves to on this CPU, the optimizer wrapper's precision), in the other layout, and, when
the config trains with :class:`~mmpose6d.engine.BFloat16OptimWrapper`, in the other
precision (bfloat16 autocast on or off). After ``--warmup`` steps each, every batch is a
timed ``train_step`` of each in turn, so all see the machine in the same state. Prints the
mean and median seconds of each and their ratios to the configured one. Unlike
``benchmark_model.py`` (one random image of fixed size), this is the step the training loop
runs, minus data loading.

    python tools/analysis_tools/benchmark_train_step.py configs/img2pose/r18_fpn_rendered_cpu.py
"""
import argparse
import copy
import itertools
import statistics
import time

import torch
from mmengine.config import DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmpose6d.engine import BFloat16OptimWrapper
from mmpose6d.registry import MODELS
from mmpose6d.utils.benchmark import benchmark_config

LAYOUTS = {False: 'NCHW', True: 'channels-last'}


def timed_steps(runs, batches, warmup):
    """Seconds of each timed ``train_step`` per run, the runs alternating on each batch."""
    for model, wrapper in runs:
        model.train()
        for batch in batches[:warmup]:
            model.train_step(copy.deepcopy(batch), wrapper)
    seconds = [[] for _ in runs]
    for batch in batches[warmup:]:
        for (model, wrapper), times in zip(runs, seconds):
            data = copy.deepcopy(batch)
            start = time.perf_counter()
            model.train_step(data, wrapper)
            times.append(time.perf_counter() - start)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--steps', type=int, default=20, help='timed steps per layout')
    parser.add_argument('--warmup', type=int, default=5, help='untimed steps per layout')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 0:
        parser.error('--steps must be >= 1 and --warmup >= 0')
    cfg = benchmark_config(args.config, args.cfg_options, args.threads)
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = list(itertools.islice(loader, args.warmup + args.steps))
    if len(batches) < args.warmup + args.steps:
        raise SystemExit(f'{args.config}: the train dataloader gave {len(batches)} batches, '
                         f'fewer than --warmup + --steps = {args.warmup + args.steps}')

    configured = MODELS.build(cfg.model)
    configured.init_weights()
    wrapper_cfg = cfg.optim_wrapper
    wrapper = build_optim_wrapper(configured, copy.deepcopy(wrapper_cfg))
    runs = [('configured', configured, wrapper)]
    bfloat16 = isinstance(runs[0][2], BFloat16OptimWrapper)
    precision = runs[0][2].autocast_enabled('cpu') if bfloat16 else False
    other_cfg = copy.deepcopy(cfg.model)
    other_cfg.channels_last = not configured.channels_last
    variants = [(other_cfg, wrapper_cfg)]
    if bfloat16:
        variants.append((cfg.model, dict(wrapper_cfg, enabled=not precision)))
    for model_cfg, variant_wrapper in variants:
        model = MODELS.build(copy.deepcopy(model_cfg))
        model.load_state_dict(configured.state_dict())
        runs.append(('', model, build_optim_wrapper(model, copy.deepcopy(variant_wrapper))))
    seconds = timed_steps([run[1:] for run in runs], batches, args.warmup)

    pixels = [image.shape[1] * image.shape[2] for batch in batches for image in batch['inputs']]
    print(f'{args.config}: {args.steps} train steps each on its training data (after '
          f'{args.warmup} warm-up), batch {len(batches[0]["inputs"])}, {torch.get_num_threads()} '
          f'threads, CPU capability {torch.backends.cpu.get_cpu_capability()}, images of '
          f'{min(pixels) / 1e3:.0f}k-{max(pixels) / 1e3:.0f}k pixels')
    print(f'{"layout, precision":40s} {"mean (s)":>9s} {"median (s)":>11s} {"vs configured":>14s}')
    means = [statistics.fmean(times) for times in seconds]
    for (tag, model, wrapper), times, mean in zip(runs, seconds, means):
        on = wrapper.autocast_enabled('cpu') if isinstance(wrapper, BFloat16OptimWrapper) \
            else False
        name = f'{LAYOUTS[model.channels_last]}, {"bfloat16" if on else "float32"}' + \
            (f' ({tag})' if tag else '')
        print(f'{name:40s} {mean:9.3f} {statistics.median(times):11.3f} '
              f'{mean / means[0]:13.2f}x')


if __name__ == '__main__':
    main()
