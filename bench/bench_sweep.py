"""Sweep throughput: a 200-point hh-squid f-I sweep (0 to 20 uA/cm2, 200 ms steps, preset fast).

* ngspice with 1 local worker against 2 (one ngspice run per point, each point its own task);
* the vacask backend on 2 local workers (25 points to a VACASK netlist, one VACASK run per
  batch) against ngspice on 2 workers, the method before batching, which stays the default;
* a Dask LocalCluster of 2 workers against the local pool of 2, for both backends;
* the per-point overhead: the sweep's time per point and worker, less the time the simulator
  itself takes for that point measured in this process (ngspice: one ``simulate()``; VACASK:
  one batch of 25 divided by 25).

Each pair is run back to back, in alternating order, and the ratio taken per pair (median over
five pairs, with the range of the five), which cancels the slow drifts of a shared machine. Every
run starts its workers afresh (spawn, imports, loading ngspice: about 0.7 s), as a user's sweep
does; the Dask cluster is started once, before its runs, and its start-up is reported on its own.
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench._timing import median_seconds, paired_ratio

POINTS = 200
REPEAT = 5
AMPLITUDES = np.linspace(0.0, 0.2, POINTS)  # A/m^2: 0 to 20 uA/cm^2


def _sweep(backend="spice", **kwargs):
    import devicekit as dk
    from devicekit.models.stimuli import Pulse

    return dk.sweep(
        "hh-squid",
        {"stimulus.amplitude": AMPLITUDES},
        dk.Transient(0.2, preset="fast"),
        stimuli=[Pulse(0.0)],
        measures=["spike_count", "rate_hz"],
        progress=False,
        backend=backend,
        **kwargs,
    )


def _bare_point_seconds() -> tuple[float, float]:
    """Seconds of the simulator alone per point, in this process: ngspice, VACASK (batched)."""
    import devicekit as dk
    from devicekit.models.stimuli import Pulse
    from devicekit.simulation import simulate_vacask_batch
    from devicekit.sweeps.runner import BATCH

    analysis = dk.Transient(0.2, preset="fast")
    model = dk.load_model("hh-squid")
    one = model.with_stimuli(Pulse(0.1))
    batch = [model.with_stimuli(Pulse(a)) for a in AMPLITUDES[::8][:BATCH]]
    spice = median_seconds(lambda: dk.simulate(one, analysis), repeat=5)
    vacask = median_seconds(lambda: simulate_vacask_batch(batch, analysis), repeat=5) / BATCH
    return spice, vacask


def _counts_differ(a, b) -> str:
    differ = np.nonzero(a["spike_count"].to_numpy() != b["spike_count"].to_numpy())[0]
    if not differ.size:
        return "the same spike count at every point as ngspice"
    where = ", ".join(f"{AMPLITUDES[i] * 100:.2f}" for i in differ)
    return f"spike counts differ from ngspice's at {differ.size} points ({where} uA/cm2)"


def run() -> list[dict]:
    from distributed import LocalCluster

    cpus = len(os.sched_getaffinity(0))
    ratios: list[float] = []
    two, one, ratio = paired_ratio(
        lambda: _sweep(workers=2), lambda: _sweep(workers=1), repeat=REPEAT, spread=ratios
    )
    speedups = sorted(1 / r for r in ratios)
    rows = [
        {
            "benchmark": f"f-I sweep, {POINTS} points, ngspice, 1 local worker",
            "seconds": one,
            "note": f"{POINTS / one:.1f} points/s",
        },
        {
            "benchmark": f"f-I sweep, {POINTS} points, ngspice, 2 local workers",
            "seconds": two,
            "note": f"{POINTS / two:.1f} points/s; x{1 / ratio:.2f} faster than 1 worker "
            f"(target >= 1.6; {cpus} CPUs; the {REPEAT} pairs: x{speedups[0]:.2f} to "
            f"x{speedups[-1]:.2f})",
        },
    ]
    _sweep("vacask", workers=0)  # compiles hh-squid's OSDI once (cached on disk)
    ratios = []
    vacask, spice, ratio = paired_ratio(
        lambda: _sweep("vacask", workers=2),
        lambda: _sweep(workers=2),
        repeat=REPEAT,
        spread=ratios,
    )
    speedups = sorted(1 / r for r in ratios)
    agree = _counts_differ(_sweep("vacask", workers=2), _sweep(workers=2))
    rows.append(
        {
            "benchmark": f"f-I sweep, {POINTS} points, vacask (batched), 2 local workers",
            "seconds": vacask,
            "note": f"{POINTS / vacask:.1f} points/s; **x{1 / ratio:.2f} the points/s of "
            f"ngspice on 2 workers** ({POINTS / spice:.1f} points/s, paired; target >= 3; the "
            f"{REPEAT} pairs: x{speedups[0]:.2f} to x{speedups[-1]:.2f}); {agree}",
        }
    )
    bare_spice, bare_vacask = _bare_point_seconds()
    for name, seconds, bare in (("ngspice", spice, bare_spice), ("vacask", vacask, bare_vacask)):
        per_point = seconds * 2 / POINTS
        rows.append(
            {
                "benchmark": f"f-I sweep: per-point cost on a worker, {name}",
                "seconds": per_point,
                "note": f"the simulator alone {bare * 1e3:.1f} ms a point in-process; overhead "
                f"{(per_point - bare) * 1e3:.1f} ms a point (worker start-up, transfer, "
                "measures)",
            }
        )
    start = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        startup = time.perf_counter() - start
        address = cluster.scheduler_address
        for backend in ("spice", "vacask"):
            _sweep(backend, scheduler=address)  # warm-up: the Dask workers load devicekit once
            dask, _, ratio = paired_ratio(
                lambda b=backend: _sweep(b, scheduler=address),
                lambda b=backend: _sweep(b, workers=2),
                repeat=REPEAT,
            )
            rows.append(
                {
                    "benchmark": f"f-I sweep, {POINTS} points, {backend}, Dask LocalCluster (2)",
                    "seconds": dask,
                    "note": f"x{ratio:.2f} the time of the local pool of 2 (same run; target <= "
                    f"1.2); cluster start-up {startup:.1f} s and its workers' first sweep not "
                    "included: they stay up",
                }
            )
    return rows
