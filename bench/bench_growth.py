"""How the cost grows: time against model size and against simulated time, in ngspice and in
VACASK, at the ``fast`` preset.

* **Size:** Rallpack 3's HH axon (``hh-axon``, the same 1 mm axon as ``bench_axon.py``) cut
  into 1, 10, 100 and 1000 compartments, over ``SIZE_MS`` of simulated time. Linear growth is a
  constant time per compartment once the fixed cost of a run (start-up, the operating point,
  reading the results) is small beside it.
* **Simulated time:** hh-squid (10 uA/cm2 from rest) over 0.1, 1 and 10 s. Linear growth is a
  constant time per simulated second.

Medians of ``REPEAT`` runs after a warm-up (VACASK compiles each module once and caches it);
the two longest ngspice rows (1000 compartments) run once. Every row comes from one run of
``python -m bench growth``.
"""

from __future__ import annotations

import time

from bench._timing import median_seconds

SIZES = (1, 10, 100, 1000)
SIZE_MS = 20.0
DURATIONS = (0.1, 1.0, 10.0)
REPEAT = 3
BACKENDS = (("spice", "ngspice"), ("vacask", "VACASK"))


def _once(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run() -> list[dict]:
    import devicekit as dk
    from devicekit.circuits.cables import hh_axon
    from devicekit.models.stimuli import Pulse

    rows = []
    analysis = dk.Transient(SIZE_MS * 1e-3, preset="fast")
    for backend, label in BACKENDS:
        for n in SIZES:
            axon = hh_axon(n)

            def simulate(axon=axon, backend=backend):
                return dk.simulate(axon, analysis, backend=backend)

            if backend == "spice" and n >= 1000:
                simulate()  # warm-up is the run's own set-up; one timed run (tens of seconds)
                seconds, runs = _once(simulate), "one run"
            else:
                seconds, runs = median_seconds(simulate, repeat=REPEAT), f"median of {REPEAT}"
            per = seconds / n
            rows.append(
                {
                    "benchmark": f"growth, size: hh-axon {n} comp., {SIZE_MS:g} ms, {label}",
                    "seconds": seconds,
                    "note": f"{per * 1e3:.3f} ms per compartment ({runs})",
                }
            )
    model = dk.load_model("hh-squid").with_stimuli(Pulse(0.1))
    for backend, label in BACKENDS:
        for tstop in DURATIONS:
            analysis = dk.Transient(tstop, preset="fast")

            def simulate(analysis=analysis, backend=backend):
                return dk.simulate(model, analysis, backend=backend)

            repeat = REPEAT if tstop < 10 else 1
            seconds = median_seconds(simulate, repeat=repeat)
            rows.append(
                {
                    "benchmark": f"growth, time: hh-squid {tstop:g} s, {label}",
                    "seconds": seconds,
                    "note": f"{seconds / tstop:.3f} s per simulated second (median of {repeat})",
                }
            )
    return rows
