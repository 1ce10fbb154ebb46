"""Timing helper of the benchmark scripts in tools/analysis_tools."""
import time

import numpy as np


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
