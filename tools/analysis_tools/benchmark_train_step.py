"""Train-step time of a config on its own training data, in both memory layouts side by side.

The config's train dataloader (its pipeline with the multi-scale resize, run in this
process) gives ``--warmup + --steps`` batches, all fetched before timing. Two copies of the
model with the same initial weights, one in the layout the config resolves to on this CPU
(``channels_last``) and one in the other, each with the config's optimizer wrapper, take
turns: after ``--warmup`` steps each, every batch is a timed ``train_step`` of one and then
of the other, so both see the machine in the same state. Prints the mean and median seconds
of each layout and their ratio. Unlike ``benchmark_model.py`` (one random image of fixed
size), this is the step the training loop runs, minus data loading.

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
    other_cfg = copy.deepcopy(cfg.model)
    other_cfg.channels_last = not configured.channels_last
    other = MODELS.build(other_cfg)
    other.load_state_dict(configured.state_dict())
    runs = [(model, build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper)))
            for model in (configured, other)]
    seconds = timed_steps(runs, batches, args.warmup)

    pixels = [image.shape[1] * image.shape[2] for batch in batches for image in batch['inputs']]
    print(f'{args.config}: {args.steps} train steps per layout on its training data (after '
          f'{args.warmup} warm-up), batch {len(batches[0]["inputs"])}, {torch.get_num_threads()} '
          f'threads, CPU capability {torch.backends.cpu.get_cpu_capability()}, images of '
          f'{min(pixels) / 1e3:.0f}k-{max(pixels) / 1e3:.0f}k pixels')
    print(f'{"layout":28s} {"mean (s)":>9s} {"median (s)":>11s}')
    means = []
    for (model, _), times in zip(runs, seconds):
        name = LAYOUTS[model.channels_last] + (' (configured)' if model is configured else '')
        means.append(statistics.fmean(times))
        print(f'{name:28s} {means[-1]:9.3f} {statistics.median(times):11.3f}')
    print(f'{LAYOUTS[configured.channels_last]} vs {LAYOUTS[other.channels_last]}: '
          f'{means[0] / means[1]:.2f}x the mean time')


if __name__ == '__main__':
    main()
