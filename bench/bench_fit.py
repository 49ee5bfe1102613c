"""Fitting speed: a native 100-point I-V fit (target < 50 ms), and a fit with ngspice in the
loop of an HH channel's steady-state I-V (time and number of ngspice runs)."""

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
