"""devicekit's SPICE path beside the tools people would otherwise pick, on the same model.

hh-squid (Hodgkin-Huxley 1952 at 6.3 degC), 10 uA/cm2 from rest for 1000 ms, in one run:

* devicekit: ``simulate()`` in ngspice, presets ``accurate`` (default) and ``fast``;
* NEURON (the ``neuron`` package): one section with the built-in ``hh`` mechanism, its rate
  table off (``usetable_hh = 0``), CVODE (variable step) at its default and at a tight tolerance;
* Brian2: the HH equations, ``cython`` code generation, ``rk4`` at dt = 10 us (and 25 us);
* scipy: LSODA at rtol 1e-6 (a practical setting) on the same equations.

Time is the median of repeated runs after a warm-up (Brian2's cython compilation and NEURON's
set-up excluded: they are one-off costs, reported in the note). The error is the largest
spike-time difference from the tight LSODA reference (rtol 1e-10, tests/hh_reference.py). Every
spike time is the linearly interpolated upward 0 mV crossing of the recorded V(t), except for
NEURON, whose NetCon finds the crossing itself (condition order 2, interpolated).

The bench-only packages come from ``pip install -e '.[bench]'`` (``make bench`` does it).
"""

from __future__ import annotations

import numpy as np

from bench._timing import median_seconds

TSTOP_MS = 1000.0
AMPLITUDE = 10.0  # uA/cm^2
REPEAT = 3


def _crossings(t, v, threshold=0.0):
    t, v = np.asarray(t, float), np.asarray(v, float)
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


def _error_ms(times_s, reference_s) -> tuple[float, str]:
    times_s = np.asarray(times_s)
    if len(times_s) != len(reference_s):
        return float("nan"), f"{len(times_s)} spikes, reference {len(reference_s)}"
    return float(np.max(np.abs(times_s - reference_s)) * 1e3), f"{len(times_s)} spikes"


# ------------------------------------------------------------------------------ devicekit
def _devicekit(preset: str, backend: str = "spice"):
    import devicekit as dk
    from devicekit.models.stimuli import Pulse
    from devicekit.spikes import spike_times

    model = dk.load_model("hh-squid").with_stimuli(Pulse(AMPLITUDE * 0.01))
    out = {}

    def run():
        frame = dk.simulate(model, dk.Transient(TSTOP_MS * 1e-3, preset=preset), backend=backend)
        out["spikes"] = spike_times(frame.index, frame["v"])

    return run, out


# ------------------------------------------------------------------------------ NEURON
def _neuron(atol: float | None):
    from neuron import h

    from tests.hh_reference import rest_state

    h.load_file("stdrun.hoc")
    soma = h.Section(name=f"soma_{atol}")
    area_um2 = 1000.0
    soma.L = soma.diam = float(np.sqrt(area_um2 / np.pi))  # a cylinder's side: pi d L
    soma.cm = 1.0
    soma.insert("hh")
    h.celsius = 6.3
    h.usetable_hh = 0  # exact rate functions, not the interpolation table
    for seg in soma:
        seg.hh.el = -54.387  # PHYSICS.md's leak battery (NEURON's default is -54.3)
        seg.ena, seg.ek = 50.0, -77.0
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur = 0.0, 1e9
    stim.amp = AMPLITUDE * (area_um2 * 1e-8) * 1e3  # uA/cm2 * cm2 = uA; * 1e3 = nA
    cvode = h.CVode()
    cvode.active(1)
    cvode.condition_order(2)
    if atol is not None:
        cvode.atol(atol)
    times = h.Vector()
    netcon = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    netcon.threshold = 0.0
    netcon.record(times)
    v_rest = rest_state()[0]
    out = {"keep": (soma, stim, netcon, times)}

    def run():
        times.resize(0)
        h.finitialize(v_rest)
        h.continuerun(TSTOP_MS)
        out["spikes"] = np.array(times.to_python(), dtype=float) * 1e-3

    return run, out


# ------------------------------------------------------------------------------ Brian2
def _brian2(dt_us: float):
    import brian2 as b2

    from tests.hh_reference import rest_state

    b2.prefs.codegen.target = "cython"
    b2.BrianLogger.log_level_error()
    equations = """
    dv/dt = (I - gna*m**3*h*(v - ENa) - gk*n**4*(v - EK) - gl*(v - El)) / Cm : volt
    dm/dt = am*(1 - m) - bm*m : 1
    dh/dt = ah*(1 - h) - bh*h : 1
    dn/dt = an*(1 - n) - bn*n : 1
    am = 0.1/mV*(-(v/mV + 40)*mV) / (exp(-(v/mV + 40)/10) - 1) /ms : Hz
    bm = 4*exp(-(v/mV + 65)/18)/ms : Hz
    ah = 0.07*exp(-(v/mV + 65)/20)/ms : Hz
    bh = 1/(1 + exp(-(v/mV + 35)/10))/ms : Hz
    an = 0.01/mV*(-(v/mV + 55)*mV) / (exp(-(v/mV + 55)/10) - 1) /ms : Hz
    bn = 0.125*exp(-(v/mV + 65)/80)/ms : Hz
    """
    constants = dict(
        Cm=1 * b2.uF / b2.cm**2, gna=120 * b2.mS / b2.cm**2, gk=36 * b2.mS / b2.cm**2,
        gl=0.3 * b2.mS / b2.cm**2, ENa=50 * b2.mV, EK=-77 * b2.mV, El=-54.387 * b2.mV,
        I=AMPLITUDE * b2.uA / b2.cm**2,
    )  # fmt: skip
    v0, m0, h0, n0 = rest_state()
    out = {}

    def run():
        b2.start_scope()
        b2.defaultclock.dt = dt_us * b2.us
        group = b2.NeuronGroup(1, equations, method="rk4", namespace=constants)
        group.v, group.m, group.h, group.n = v0 * b2.mV, m0, h0, n0
        monitor = b2.StateMonitor(group, "v", record=0)
        b2.run(TSTOP_MS * b2.ms)
        out["spikes"] = _crossings(monitor.t / b2.second, monitor.v[0] / b2.volt)

    return run, out


# ------------------------------------------------------------------------------ scipy
def _lsoda(rtol: float):
    from scipy.integrate import solve_ivp

    from tests.hh_reference import rest_state, rhs

    y0 = list(rest_state())
    out = {}

    def run():
        first = solve_ivp(rhs, (0, 1e-3), y0, method="LSODA", rtol=rtol, atol=rtol * 1e-2,
                          args=(AMPLITUDE,))  # fmt: skip
        rest = solve_ivp(rhs, (1e-3, TSTOP_MS), first.y[:, -1], method="LSODA", rtol=rtol,
                         atol=rtol * 1e-2, args=(AMPLITUDE,), dense_output=True)  # fmt: skip
        t = np.arange(1e-3, TSTOP_MS, 0.005)  # dense output sampled every 5 us
        out["spikes"] = _crossings(t, rest.sol(t)[0]) * 1e-3

    return run, out


def run() -> list[dict]:
    import time

    from tests.hh_reference import reference_spikes

    reference = reference_spikes(AMPLITUDE, TSTOP_MS)
    candidates = [
        ("devicekit simulate(), ngspice, preset accurate", lambda: _devicekit("accurate")),
        ("devicekit simulate(), ngspice, preset fast", lambda: _devicekit("fast")),
        ("devicekit simulate(), VACASK, preset adaptive", lambda: _devicekit("adaptive", "vacask")),
        ("devicekit simulate(), VACASK, preset accurate", lambda: _devicekit("accurate", "vacask")),
        ("devicekit simulate(), VACASK, preset fast", lambda: _devicekit("fast", "vacask")),
        ("NEURON 9 CVODE, default tolerance", lambda: _neuron(None)),
        ("NEURON 9 CVODE, atol 1e-6", lambda: _neuron(1e-6)),
        ("Brian2 cython, rk4, dt 10 us", lambda: _brian2(10.0)),
        ("Brian2 cython, rk4, dt 25 us", lambda: _brian2(25.0)),
        ("scipy LSODA, rtol 1e-6", lambda: _lsoda(1e-6)),
    ]
    rows, base, made = [], None, {}
    for label, make in candidates:
        start = time.perf_counter()
        try:
            function, out = make()
            function()  # warm-up: compilation, libraries, caches
        except ImportError as error:
            note = f"not installed ({error.name}); pip install -e '.[bench]'"
            rows.append({"benchmark": label, "seconds": float("nan"), "note": note})
            continue
        setup = time.perf_counter() - start
        made[label] = function, out
        seconds = median_seconds(function, repeat=REPEAT, warmup=0)
        base = seconds if base is None else base
        error, spikes = _error_ms(out["spikes"], reference)
        rows.append(
            {
                "benchmark": label,
                "seconds": seconds,
                "note": f"x{seconds / base:.2f} of devicekit accurate; spike-time error "
                f"{error:.4f} ms ({spikes}); first run with set-up {setup:.2f} s",
            }
        )
    return rows + _paired(made, reference)


def _paired(made: dict, reference) -> list[dict]:
    """The acceptance pair: devicekit's best setting (VACASK, adaptive) against NEURON's CVODE
    at atol 1e-6, alternating, five pairs; and ngspice's fast preset against the same."""
    from bench._timing import paired_ratio

    neuron, _ = made["NEURON 9 CVODE, atol 1e-6"]
    rows = []
    for label in ("devicekit simulate(), VACASK, preset adaptive",
                  "devicekit simulate(), ngspice, preset fast"):  # fmt: skip
        function, out = made[label]
        ours, theirs, ratio = paired_ratio(function, neuron, repeat=5)
        error, spikes = _error_ms(out["spikes"], reference)
        rows.append(
            {
                "benchmark": f"{label.removeprefix('devicekit simulate(), ')} vs NEURON CVODE 1e-6",
                "seconds": ours,
                "note": f"**x{ratio:.2f} of NEURON CVODE atol 1e-6** ({theirs:.4f} s), median of "
                f"5 paired runs; spike-time error {error:.4f} ms ({spikes}; target <= 0.01 ms "
                "at <= x1.0)",
            }
        )
    return rows
