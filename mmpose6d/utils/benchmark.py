"""Helpers of the benchmark scripts in tools/analysis_tools."""
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope


def median_seconds(fn, repeat, warmup=1):
    """Median wall time in seconds of ``repeat`` calls of ``fn()``, after ``warmup`` calls
    (first-call allocations and lazy initialisation are not measured)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def benchmark_config(path, cfg_options=None, threads=2):
    """The config at ``path`` (merged with ``cfg_options``) for timing a model built from it
    with random weights: ``threads`` PyTorch threads, seed 0, mmpose6d's registry scope, and
    no backbone ``init_cfg`` (no pretrained weights to download)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    init_default_scope('mmpose6d')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.backbone.init_cfg = None
    return cfg
