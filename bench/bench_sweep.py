"""Sweep throughput: a 200-point hh-squid f-I sweep (0 to 20 uA/cm2, 200 ms steps, preset fast)
with 1 local worker against 2, and on a Dask LocalCluster of 2 workers against the local pool of
2. Issue 6 asks 2 workers to be at least 1.6 times as fast as 1.

Each pair is run back to back, in alternating order, and the ratio taken per pair (median over
five pairs, with the range of the five), which cancels the slow drifts of a shared machine. Every
run starts its workers afresh (spawn, imports, loading ngspice: about 0.7 s), as a user's sweep
does; the Dask cluster is started once, before its runs, and its start-up is reported on its own.
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench._timing import paired_ratio

POINTS = 200
REPEAT = 5


def _sweep(**kwargs):
    import devicekit as dk
    from devicekit.models.stimuli import Pulse

    return dk.sweep(
        "hh-squid",
        {"stimulus.amplitude": np.linspace(0.0, 0.2, POINTS)},
        dk.Transient(0.2, preset="fast"),
        stimuli=[Pulse(0.0)],
        measures=["spike_count", "rate_hz"],
        progress=False,
        **kwargs,
    )


def run() -> list[dict]:
    from distributed import LocalCluster

    cpus = len(os.sched_getaffinity(0))
    ratios: list[float] = []
    one, two, ratio = paired_ratio(
        lambda: _sweep(workers=2), lambda: _sweep(workers=1), repeat=REPEAT, spread=ratios
    )
    speedups = sorted(1 / r for r in ratios)
    rows = [
        {
            "benchmark": f"f-I sweep, {POINTS} points, 1 local worker",
            "seconds": two,
            "note": f"{POINTS / two:.1f} points/s",
        },
        {
            "benchmark": f"f-I sweep, {POINTS} points, 2 local workers",
            "seconds": one,
            "note": f"{POINTS / one:.1f} points/s; **x{1 / ratio:.2f} faster than 1 worker** "
            f"(target >= 1.6; {cpus} CPUs; the {REPEAT} pairs: x{speedups[0]:.2f} to "
            f"x{speedups[-1]:.2f})",
        },
    ]
    start = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        startup = time.perf_counter() - start
        address = cluster.scheduler_address
        _sweep(scheduler=address)  # warm-up: the Dask workers load devicekit and ngspice once
        dask, _, ratio = paired_ratio(
            lambda: _sweep(scheduler=address), lambda: _sweep(workers=2), repeat=REPEAT
        )
    rows += [
        {
            "benchmark": f"f-I sweep, {POINTS} points, Dask LocalCluster (2 workers)",
            "seconds": dask,
            "note": f"x{ratio:.2f} the time of the local pool of 2 (same run); cluster start-up "
            f"{startup:.1f} s and its workers' first sweep not included: they stay up",
        },
    ]
    return rows
