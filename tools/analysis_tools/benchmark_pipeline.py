"""Images/s of a config's training data pipeline (decode, augment, PnP labels, packing).

    python tools/analysis_tools/benchmark_pipeline.py CONFIG [--lmdb PATH] [--num-images N]
        [--workers W] [--cfg-options KEY=VALUE ...]

Measures ``train_dataloader.dataset`` as configured (JSON) and, with ``--lmdb``, the same
dataset and pipeline read from that LMDB: in one process (with the time per transform) and
through a DataLoader of W workers (steady state, after the first batch). OpenCV and torch run
single-threaded, as in DataLoader workers under mmengine's runner (their thread pools slow
each other down when interleaved).
"""
import argparse
import copy
import os.path as osp
import time
from collections import defaultdict

import cv2
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

import mmpose6d.datasets  # noqa: F401  (registers the datasets and transforms)
from mmpose6d.registry import DATASETS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--lmdb', help='an LMDB of the same data (img2pose_to_lmdb.py)')
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


class Timed:
    """A transform wrapper adding up the time spent in it."""

    def __init__(self, transform, totals):
        self.transform, self.totals = transform, totals

    def __call__(self, results):
        start = time.perf_counter()
        out = self.transform(results)
        self.totals[type(self.transform).__name__] += time.perf_counter() - start
        return out


def single_process(dataset, num_images):
    """(images/s, {transform: ms per image}) reading samples in order in this process."""
    totals = defaultdict(float)
    transforms = dataset.pipeline.transforms
    dataset.pipeline.transforms = [Timed(t, totals) for t in transforms]
    try:
        dataset[0]  # warm-up: opens files / the LMDB
        totals.clear()
        start = time.perf_counter()
        for i in range(num_images):
            dataset[i % len(dataset)]
        elapsed = time.perf_counter() - start
    finally:
        dataset.pipeline.transforms = transforms
    return num_images / elapsed, {k: 1000 * v / num_images for k, v in totals.items()}


def with_workers(dataset, num_images, workers):
    """Images/s through a DataLoader of ``workers`` processes, after the first batch."""
    loader = DataLoader(dataset, batch_size=1, num_workers=workers, collate_fn=pseudo_collate,
                        sampler=[i % len(dataset) for i in range(num_images + workers)])
    batches = iter(loader)
    for _ in range(workers):  # every worker started and produced one sample
        next(batches)
    start = time.perf_counter()
    count = sum(1 for _ in batches)
    return count / (time.perf_counter() - start)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpose6d'))
    cv2.setNumThreads(0)
    torch.set_num_threads(1)
    sources = {'json': cfg.train_dataloader.dataset}
    if args.lmdb:
        sources['lmdb'] = dict(copy.deepcopy(cfg.train_dataloader.dataset),
                               type='Img2PoseLMDBDataset', ann_file=osp.abspath(args.lmdb))
    rows, stages = [], {}
    for name, dataset_cfg in sources.items():
        dataset = DATASETS.build(dataset_cfg)
        rate, stages[name] = single_process(dataset, args.num_images)
        rows.append((name, '1 process', 1, rate))
        if args.workers > 0:
            rate = with_workers(dataset, args.num_images, args.workers)
            rows.append((name, f'DataLoader x{args.workers}', args.workers, rate))
    print(f'\n{args.num_images} images, {osp.basename(args.config)} train pipeline')
    print(f'{"source":<7}{"mode":<16}{"images/s":>10}{"per worker":>12}')
    for name, mode, workers, rate in rows:
        print(f'{name:<7}{mode:<16}{rate:>10.1f}{rate / workers:>12.1f}')
    print(f'\nms per image and transform (1 process)\n{"transform":<26}' +
          ''.join(f'{name:>9}' for name in stages))
    for transform in next(iter(stages.values())):
        print(f'{transform:<26}' + ''.join(f'{s.get(transform, 0):>9.2f}'
                                           for s in stages.values()))


if __name__ == '__main__':
    main()
