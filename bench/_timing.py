"""Small timing helpers shared by the benchmarks: medians of repeated runs, measured in one
process run so that ratios compare like with like on a noisy, shared machine."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence


def median_seconds(function: Callable[[], object], repeat: int = 7, warmup: int = 1) -> float:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def median_process_seconds(argv: Sequence[str], repeat: int = 9) -> float:
    """Median wall time of a whole process (start-up included)."""

    def run():
        subprocess.run(argv, check=True, capture_output=True)

    return median_seconds(run, repeat=repeat, warmup=1)


PYTHON = sys.executable


def paired_seconds(function, baseline, repeat: int = 5, spread: list | None = None):
    """Like :func:`paired_ratio`, for two callables that each return the seconds of their own
    part (a child process that times only the step being compared, say)."""
    a, b, ratios = [], [], []
    pair = ((function, a), (baseline, b))
    for number in range(repeat):
        for run, seconds in pair if number % 2 == 0 else pair[::-1]:
            seconds.append(run())
        ratios.append(a[-1] / b[-1])
    if spread is not None:
        spread.extend(ratios)
    return statistics.median(a), statistics.median(b), statistics.median(ratios)


def wall_time(function: Callable[[], object]) -> Callable[[], float]:
    """``function`` as a callable that returns its wall time [s]."""

    def timed() -> float:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    return timed


def paired_ratio(function, baseline, repeat: int = 5, spread: list | None = None):
    """Run ``function`` and ``baseline`` as ``repeat`` back-to-back pairs; return (median seconds
    of function, median seconds of baseline, median of the per-pair ratios). Pairing cancels the
    slow drifts of a shared machine that separate medians would pick up, and the order within a
    pair alternates, so that neither side always runs first. Each pair's ratio is appended to
    ``spread`` if given."""
    return paired_seconds(wall_time(function), wall_time(baseline), repeat, spread)
