"""Fitting speed: a native 100-point I-V fit (target < 50 ms), a fit with ngspice in the
loop of an HH channel's steady-state I-V (time and number of ngspice runs), time-domain fits
(``fit_transient``: a memristor's loop, target < 2 s; an hh-squid current clamp), the measured
OECT (``oect`` forward sweep, target < 0.2 s; ``bistable-oect`` both directions) and Hodgkin and
Huxley's Fig. 6 sodium family (m^3 h per step; ``fit_hh_model``)."""

from __future__ import annotations

import numpy as np

from bench._timing import median_seconds


def run() -> list[dict]:
    import devicekit as dk
    from devicekit.fit.models import get_fit_model
    from devicekit.spice.engine import engine
    from tests.fitting_data import noisy

    v = np.linspace(-0.1, 0.1, 100)
    ohmic = get_fit_model("ohmic")
    y = noisy(ohmic(v, {"g": 2.5e-9, "E": -0.012}), seed=1)
    native = median_seconds(lambda: dk.fit(ohmic, (v, y)), repeat=21, warmup=2)
    sigmoid = get_fit_model("sigmoid")
    ys = noisy(sigmoid(v * 20, {"low": 0.6, "high": 4.9, "v_mid": 1.0, "width": 0.47}), seed=2)
    native_sigmoid = median_seconds(lambda: dk.fit(sigmoid, (v * 20, ys)), repeat=21, warmup=2)

    channel = get_fit_model("channel-iv", channel="hh-squid:k")
    vc = np.linspace(-0.1, 0.05, 31)
    yc = noisy(channel(vc, {"g_max": 360.0, "E": -0.077}), seed=7)
    start = {"g_max": 300.0, "E": -0.07}
    native_channel = median_seconds(lambda: dk.fit(channel, (vc, yc), initial=start), repeat=5)
    runs_before = engine().runs
    result = {}

    def spice_fit():
        result["fit"] = dk.fit(channel, (vc, yc), backend="spice", initial=start)

    spice = median_seconds(spice_fit, repeat=3, warmup=1)
    runs = (engine().runs - runs_before) // 4
    return [
        *_transient_fits(),
        *_measured_fits(),
        {
            "benchmark": "native ohmic I-V fit, 100 points",
            "seconds": native,
            "note": f"target < 0.05 s ({native / 0.05:.2f} of it)",
        },
        {
            "benchmark": "native 4-parameter sigmoid fit, 100 points",
            "seconds": native_sigmoid,
            "note": "",
        },
        {
            "benchmark": "native HH K-channel steady-state I-V fit, 31 points",
            "seconds": native_channel,
            "note": "",
        },
        {
            "benchmark": "ngspice-in-the-loop HH K-channel I-V fit, 31 points",
            "seconds": spice,
            "note": f"{runs} ngspice runs per fit ({1e3 * spice / runs:.1f} ms a run); "
            f"x{spice / native_channel:.1f} of the native fit",
        },
    ]


def _transient_fits() -> list[dict]:
    """The two cases of tests/test_fit_transient.py, timed: 4 parameters of the conical
    memristor from its 1048-point loop, 2 conductances of hh-squid from 1501 points of V(t)."""
    import pandas as pd

    import devicekit as dk
    from devicekit.models.paths import apply_values, check_path
    from devicekit.models.stimuli import Pulse, SineClamp

    def noisy_frame(frame, column, name, seed):
        rng = np.random.default_rng(seed)
        values = frame[column].to_numpy()
        values = values + 0.01 * np.ptp(values) * rng.standard_normal(values.size)
        return pd.DataFrame({"time": frame.index.to_numpy(), name: values})

    loop = SineClamp(1.5, 19.098593171027442)
    model = dk.load_model("conical-memristor")
    paths = ["cone.conductance", "cone.x.tau.amplitude", "cone.x.inf.delta_g",
             "cone.x.inf.peclet_per_volt"]  # fmt: skip
    truth = {p: check_path(model, p) * k for p, k in zip(paths, (1.1, 0.9, 0.9, 0.9), strict=True)}
    clean = dk.simulate(apply_values(model, truth).with_stimuli(loop), "tran", tstop=0.1047,
                        sample=1e-4, backend="native")  # fmt: skip
    data = noisy_frame(clean, "clamp_current", "current", 3)
    found = {}

    def memristor():
        found["m"] = dk.fit_transient(model, data, paths, protocol=[loop])

    loop_time = median_seconds(memristor, repeat=3, warmup=1)
    pulse = Pulse(0.1, delay=0.002, width=0.02)
    clean = dk.simulate("hh-squid", "tran", tstop=0.03, stimuli=[pulse], sample=2e-5,
                        backend="native")  # fmt: skip
    voltage = noisy_frame(clean, "v", "voltage", 5)
    start = {"na.conductance": 1320.0, "k.conductance": 324.0}

    def clamp():
        found["h"] = dk.fit_transient("hh-squid", voltage, list(start), protocol=[pulse],
                                      initial=start)  # fmt: skip

    clamp_time = median_seconds(clamp, repeat=3, warmup=1)
    return [
        {
            "benchmark": "fit_transient: conical memristor loop, 4 parameters",
            "seconds": loop_time,
            "note": f"target < 2 s (x{loop_time / 2:.1f} of it); {found['m'].nfev} native runs, "
            f"{1e3 * loop_time / found['m'].nfev:.0f} ms a run",
        },
        {
            "benchmark": "fit_transient: hh-squid current clamp, g_Na and g_K",
            "seconds": clamp_time,
            "note": f"{found['h'].nfev} native runs, {1e3 * clamp_time / found['h'].nfev:.0f} ms "
            "a run",
        },
    ]


def _measured_fits() -> list[dict]:
    """The fits of tests/test_oect.py and tests/test_hh1952_fig6.py on the measured data."""
    import warnings

    import devicekit as dk
    from devicekit.errors import ConvergenceWarning

    root = "measurements/"
    oect = dk.load_measurement(root + "bongartz_oect_transfer.toml")
    forward = oect[oect["sweep"] == "forward"]
    sodium = dk.load_measurement(root + "hh1952_fig6_sodium.toml")
    sodium["voltage"] = -0.065 + sodium["depolarization"]
    start = {"m": 0.05293248525724958, "h": 0.5961207535084603}  # HH's m, h at -65 mV
    held = {"m.alpha.midpoint": -0.04, "h.beta.midpoint": -0.035, "h.alpha.amplitude": 70.0,
            "h.alpha.scale": -0.02}  # fmt: skip

    def quiet(call):
        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # reported by the tests
                call()

        return run

    transfer = median_seconds(quiet(lambda: dk.fit("oect", forward)), repeat=21, warmup=2)
    loop = median_seconds(quiet(lambda: dk.fit("bistable-oect", oect)), repeat=5, warmup=1)
    steps = median_seconds(
        quiet(lambda: dk.fit_hh_kinetics(sodium, gates={"m": 3, "h": 1}, g_max=1200.0,
                                         start=start, conductance="conductance_density")),
        repeat=5, warmup=1,
    )  # fmt: skip
    model = median_seconds(
        quiet(lambda: dk.fit_hh_model(sodium, "hh-squid:na", holding=-0.065, fixed=held,
                                      conductance="conductance_density")),
        repeat=5, warmup=1,
    )  # fmt: skip
    return [
        {
            "benchmark": "oect: measured forward transfer curve, 61 points",
            "seconds": transfer,
            "note": f"target < 0.2 s ({transfer / 0.2:.2f} of it)",
        },
        {
            "benchmark": "bistable-oect: measured loop, both directions",
            "seconds": loop,
            "note": "",
        },
        {
            "benchmark": "HH 1952 Fig. 6: m^3 h per step, 12 steps",
            "seconds": steps,
            "note": "g_max held; multistart per step",
        },
        {
            "benchmark": "HH 1952 Fig. 6: fit_hh_model, g_max and 6 rate parameters",
            "seconds": model,
            "note": "",
        },
    ]
