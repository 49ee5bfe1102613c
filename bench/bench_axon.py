"""Rallpack 3's HH axon (``hh-axon``) at 100, 300 and 1000 compartments, in ngspice and beside
NEURON on the same axon, with each tool's accuracy against an independent reference.

The axon: 1 mm, 1 um diameter, R_a 1 Ohm m, C_m 0.01 F/m2, HH 1952 at 6.3 degC (g_Na 1200,
g_K 360, leak 0.25 S/m2 at -65 mV), 0.1 nA into x = 0 from t = 0, started at -65 mV with the
gates at their steady state there. It fires a train: a spike leaves x = 0 every 14.6 ms.

* devicekit ``simulate()`` in ngspice (preset ``fast``), in VACASK (``backend="vacask"``: the
  compartment's Verilog-A compiled to OSDI by openvaf-r, the ``vacask`` extra) and natively
  (scipy BDF, sparse);
* NEURON (the ``neuron`` package, bench extra): one section of ``nseg`` = N segments with the
  built-in ``hh`` (its rate table off), IClamp at the first segment's centre, fixed steps of
  50 us and 10 us (backward Euler, NEURON's default) and CVODE at its default tolerance.

Scaling (issue 13): the time per compartment of each tool at 100, 300 and 1000 compartments over
``TSTOP_MS``, as paired runs of ngspice and NEURON's 50 us run (median of the pairs). Accuracy: the
largest spike-time error at x = 0 and at the far end, and the conduction time's relative error,
against tests/cable_reference.py (staggered Crank-Nicolson, dt 2.5 us, converged to 1e-3 ms), on
the same compartments. The long rows run Rallpack's full 250 ms on 1000 compartments once.

``DEVICEKIT_BENCH_AXON=vacask,neuron,long python -m bench axon`` runs only the tools named
(ngspice, vacask, native, neuron) and, with ``long``, their 250 ms rows (ngspice's alone take
about 7 minutes; the whole run about 17).
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench._timing import median_seconds, paired_ratio

TSTOP_MS = 100.0
SIZES = (100, 300, 1000)
REPEAT = 3
LONG_MS = 250.0


def _devicekit(n: int, tstop_ms: float, backend: str = "spice", preset: str = "fast"):
    import devicekit as dk
    from devicekit.circuits.cables import hh_axon

    axon = hh_axon(n)
    analysis = dk.Transient(tstop_ms * 1e-3, preset=preset)
    out = {}

    def run():
        frame = dk.simulate(axon, analysis, backend=backend)
        t = frame.index.to_numpy()
        out["spikes"] = [dk.spike_times(t, frame[f"v(x{i})"].to_numpy()) * 1e3 for i in (0, n - 1)]

    return run, out


def _neuron(n: int, tstop_ms: float, dt_ms: float | None):
    from neuron import h

    h.load_file("stdrun.hoc")
    axon = h.Section(name=f"axon_{n}_{dt_ms}")
    axon.L, axon.diam, axon.nseg = 1000.0, 1.0, n  # um
    axon.Ra, axon.cm = 100.0, 1.0  # Ohm cm, uF/cm2
    axon.insert("hh")
    h.celsius = 6.3
    h.usetable_hh = 0
    for seg in axon:
        seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 2.5e-5, -65.0
        seg.ena, seg.ek = 50.0, -77.0
    ends = (0.5 / n, 1.0 - 0.5 / n)  # the centres of the first and last segments
    stim = h.IClamp(axon(ends[0]))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, 0.1  # nA
    cvode = h.CVode()
    cvode.active(dt_ms is None)
    cvode.condition_order(2)  # a spike time interpolated within the step, not the step's end
    records = []
    for x in ends:
        times = h.Vector()
        netcon = h.NetCon(axon(x)._ref_v, None, sec=axon)
        netcon.threshold = 0.0
        netcon.record(times)
        records.append((netcon, times))
    out = {"keep": (axon, stim, records)}

    def run():
        cvode.active(dt_ms is None)
        if dt_ms is not None:
            h.dt = dt_ms
        for _, times in records:
            times.resize(0)
        h.finitialize(-65.0)
        h.continuerun(tstop_ms)
        out["spikes"] = [np.array(times.to_python(), dtype=float) for _, times in records]

    return run, out


def _errors(spikes, reference) -> str:
    """The largest spike-time error [ms] over both ends, and the conduction time's error."""
    if any(len(s) != len(r) for s, r in zip(spikes, reference, strict=True)):
        counts = "/".join(str(len(s)) for s in spikes)
        return f"spike counts {counts}, reference {'/'.join(str(len(r)) for r in reference)}"
    worst = max(float(np.max(np.abs(s - r))) for s, r in zip(spikes, reference, strict=True))
    conduction = spikes[1][0] - spikes[0][0]
    exact = reference[1][0] - reference[0][0]
    return (
        f"spike error {worst:.4f} ms ({len(spikes[0])}+{len(spikes[1])} spikes), conduction "
        f"{conduction:.4f} ms ({(conduction / exact - 1) * 100:+.2f}%)"
    )


def _selected() -> set[str]:
    """The tools to run, and ``long`` for the 250 ms rows (default: all)."""
    chosen = os.environ.get("DEVICEKIT_BENCH_AXON", "ngspice,vacask,native,neuron,long")
    return {name.strip() for name in chosen.split(",")}


def run() -> list[dict]:
    from tests.cable_reference import spike_times_ms

    tools = _selected()
    engines = [(t, label) for t, label in (("ngspice", "ngspice"), ("vacask", "VACASK"))
               if t in tools]  # fmt: skip
    rows, per_compartment = [], {label: {} for _, label in engines}
    for n in SIZES:
        reference = spike_times_ms(n, 0.0025, TSTOP_MS)
        fixed, fixed_out = _neuron(n, TSTOP_MS, 0.05)
        fixed()  # warm-up: NEURON's set-up
        for tool, label in engines:
            backend = "spice" if tool == "ngspice" else tool
            function, out = _devicekit(n, TSTOP_MS, backend)
            function()  # warm-up: the engine; VACASK compiles the module once (then cached)
            ours, theirs, ratio = paired_ratio(function, fixed, repeat=REPEAT)
            per_compartment[label][n] = ours / n
            rows.append(
                {
                    "benchmark": f"hh-axon {n} comp., {TSTOP_MS:g} ms: {label}, fast",
                    "seconds": ours,
                    "note": f"{ours / n * 1e3:.3f} ms per compartment; x{ratio:.3g} of NEURON "
                    f"50 us ({theirs:.4f} s), paired; {_errors(out['spikes'], reference)}",
                }
            )
        others = []
        if "neuron" in tools:
            rows.append(
                {
                    "benchmark": f"hh-axon {n} comp., {TSTOP_MS:g} ms: NEURON, fixed 50 us",
                    "seconds": median_seconds(fixed, repeat=REPEAT, warmup=0),
                    "note": _errors(fixed_out["spikes"], reference),
                }
            )
            others += [
                ("NEURON, fixed 10 us", _neuron(n, TSTOP_MS, 0.01)),
                ("NEURON, CVODE default", _neuron(n, TSTOP_MS, None)),
            ]
        if "native" in tools:
            others.append(("devicekit native (BDF)", _devicekit(n, TSTOP_MS, "native")))
        for label, (function, out) in others:
            rows.append(
                {
                    "benchmark": f"hh-axon {n} comp., {TSTOP_MS:g} ms: {label}",
                    "seconds": median_seconds(function, repeat=REPEAT, warmup=1),
                    "note": _errors(out["spikes"], reference),
                }
            )
    for label, times in per_compartment.items():
        spread = max(times.values()) / min(times.values())
        rows.append(
            {
                "benchmark": f"hh-axon: {label} time per compartment, largest/smallest",
                "seconds": float("nan"),
                "note": f"x{spread:.2f} over {', '.join(map(str, SIZES))} compartments "
                "(issue 13 asks at most x1.5)",
            }
        )
    return rows + (_long(tools) if "long" in tools else [])


def _long(tools: set[str]) -> list[dict]:
    """Rallpack's full 250 ms on 1000 compartments, once per tool."""
    from tests.cable_reference import spike_times_ms

    n, rows = 1000, []
    reference = spike_times_ms(n, 0.0025, LONG_MS)
    candidates = {
        "ngspice": [
            ("ngspice, fast", lambda: _devicekit(n, LONG_MS)),
            ("ngspice, balanced", lambda: _devicekit(n, LONG_MS, preset="balanced")),
        ],
        "vacask": [
            ("VACASK, fast", lambda: _devicekit(n, LONG_MS, "vacask")),
            ("VACASK, balanced", lambda: _devicekit(n, LONG_MS, "vacask", preset="balanced")),
        ],
        "native": [("devicekit native (BDF)", lambda: _devicekit(n, LONG_MS, "native"))],
        "neuron": [
            ("NEURON, fixed 50 us", lambda: _neuron(n, LONG_MS, 0.05)),
            ("NEURON, fixed 10 us", lambda: _neuron(n, LONG_MS, 0.01)),
            ("NEURON, CVODE default", lambda: _neuron(n, LONG_MS, None)),
        ],
    }
    for tool, entries in candidates.items():
        if tool not in tools:
            continue
        for label, make in entries:
            function, out = make()
            start = time.perf_counter()
            function()
            seconds = time.perf_counter() - start
            rows.append(
                {
                    "benchmark": f"hh-axon {n} comp., {LONG_MS:g} ms: {label}",
                    "seconds": seconds,
                    "note": f"one run; {_errors(out['spikes'], reference)}",
                }
            )
    return rows
