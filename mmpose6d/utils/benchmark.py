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


class StageTimes:
    """Wall time spent in named methods of a model's parts, accumulated per run while the
    context is entered: each ``(name, obj, method)`` is wrapped on the instance ``obj`` and
    restored on exit. Timing the methods the model really calls (nothing re-implemented)
    shows where a forward or a train step goes. ``runs`` holds one ``{name: seconds}`` per
    :meth:`new_run`."""

    def __init__(self, stages):
        self.stages = stages
        self.runs = []

    def new_run(self):
        self.runs.append({name: 0.0 for name, _, _ in self.stages})

    def _wrap(self, name, fn):

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.runs[-1][name] += time.perf_counter() - start

        return timed

    def __enter__(self):
        for name, obj, method in self.stages:
            setattr(obj, method, self._wrap(name, getattr(obj, method)))
        return self

    def __exit__(self, *exc):
        for _, obj, method in self.stages:
            delattr(obj, method)

    def medians(self):
        """``{name: median seconds over the runs}``."""
        return {name: float(np.median([run[name] for run in self.runs]))
                for name, _, _ in self.stages}
