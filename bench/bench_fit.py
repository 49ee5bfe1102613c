"""Fitting speed: a native 100-point I-V fit (target < 50 ms), a fit with ngspice in the
loop of an HH channel's steady-state I-V (time and number of ngspice runs), and time-domain
fits (``fit_transient``: a memristor's loop, target < 2 s; an hh-squid current clamp)."""

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
