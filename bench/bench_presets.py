"""The transient presets on every built-in: each preset's step is a fraction of the model's own
fastest time constant (``Membrane.time_scale()``), so each model runs at its own pace. Every row
is one run of simulate() in ngspice against devicekit's native LSODA (rtol 1e-10, atol 1e-12)
on the same model and stimulus, and the ``adaptive`` preset (variable step and order) in VACASK;
then the two comparisons of speed the presets are for: the iontronic neuron against hh-squid,
and find_threshold.
"""

from __future__ import annotations

import time

import numpy as np

from bench._timing import paired_ratio

#: model, stimulus amplitude (A/m^2, or A for a device), pulse width [s] or None, tstop [s]
CASES = [
    ("hh-squid", 0.1, None, 1.0),  # 10 uA/cm^2
    ("morris-lecar", 0.45, None, 1.0),  # 45 uA/cm^2, type I
    ("morris-lecar-ii", 1.0, None, 1.0),  # 100 uA/cm^2, type II
    ("iontronic-neuron", None, 0.02, 1.0),  # a 20 ms pulse at twice its threshold
]


def _spike_error(model, stimulus, tstop, preset, backend="spice") -> tuple[float, float, int]:
    """(seconds, largest spike-time error [s], spikes) of one simulate() run."""
    import devicekit as dk
    from devicekit.analyses import Transient
    from devicekit.native import integrate
    from devicekit.spikes import summarize

    membrane = dk.load_model(model).with_stimuli(stimulus)
    reference = integrate(membrane, tstop, rtol=1e-10, atol=1e-12).spike_times
    warm = Transient(min(tstop, 0.01), preset=preset)
    dk.simulate(membrane, warm, backend=backend)  # compiled once (VACASK: cached), warm
    start = time.perf_counter()
    frame = dk.simulate(membrane, Transient(tstop, preset=preset), backend=backend)
    seconds = time.perf_counter() - start
    times = summarize(frame).times
    if times.size != reference.size:
        return seconds, float("nan"), int(times.size)
    return seconds, float(np.max(np.abs(times - reference))), int(times.size)


def run() -> list[dict]:
    import devicekit as dk
    from devicekit.analyses import PRESETS, VARIABLE_STEP_PRESETS, Transient, preset_step
    from devicekit.models.stimuli import Pulse, SineClamp
    from devicekit.native import integrate
    from devicekit.spikes import find_threshold
    from devicekit.summaries import memristor_summary

    rows = []
    ion_threshold = find_threshold("iontronic-neuron", width=0.02)  # warm, and the pulse
    for model, amplitude, width, tstop in CASES:
        membrane = dk.load_model(model)
        if amplitude is None:
            stimulus = Pulse(2 * ion_threshold, width=width, per_area=False)
        else:
            stimulus = Pulse(amplitude, width=width, per_area=membrane.per_area)
        for preset in PRESETS:
            backend = "vacask" if preset in VARIABLE_STEP_PRESETS else "spice"
            seconds, error, spikes = _spike_error(model, stimulus, tstop, preset, backend)
            step = preset_step(preset, membrane.time_scale())
            how = (
                f"VACASK, steps up to {step * 1e3:g} ms"
                if backend == "vacask"
                else f"{step * 1e3:g} ms steps"
            )
            rows.append(
                {
                    "benchmark": f"{model}: preset {preset} ({how})",
                    "seconds": seconds,
                    "note": f"{spikes} spikes in {tstop:g} s; largest spike-time error "
                    f"{error * 1e3:.4f} ms",
                }
            )
    # the conical memristor's loop: its conductance range and loop area
    loop = dk.load_model("conical-memristor").with_stimuli(SineClamp(1.5, 19.1))
    reference = memristor_summary(
        integrate(loop, 0.2, rtol=1e-10, atol=1e-12, sample_step=1e-5).data, loop
    )
    for preset in (p for p in PRESETS if p not in VARIABLE_STEP_PRESETS):  # a clamp: ngspice
        start = time.perf_counter()
        summary = memristor_summary(dk.simulate(loop, Transient(0.2, preset=preset)), loop)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "benchmark": f"conical-memristor loop: preset {preset}",
                "seconds": seconds,
                "note": f"g_min {summary.g_min / reference.g_min - 1:+.1e}, loop area "
                f"{summary.loop_area / reference.loop_area - 1:+.1e} (relative)",
            }
        )
    # the iontronic neuron for 1 s against hh-squid's 1000 ms fast run, paired
    pulse = Pulse(2 * ion_threshold, width=0.02, per_area=False)
    seconds, base, ratio = paired_ratio(
        lambda: dk.simulate("iontronic-neuron", Transient(1.0, "fast"), stimuli=[pulse]),
        lambda: dk.simulate("hh-squid", Transient(1.0, "fast"), stimuli=[Pulse(0.1)]),
        repeat=5,
    )
    rows.append(
        {
            "benchmark": "iontronic-neuron 1 s, fast, against hh-squid 1000 ms fast",
            "seconds": seconds,
            "note": f"hh-squid {base:.3f} s; x{ratio:.2f} (target <= 0.5)",
        }
    )
    for name, kwargs, target in (
        ("hh-squid", {}, 2.0),
        ("iontronic-neuron", {"width": 0.02}, 3.0),
        ("iontronic-neuron", {"width": 0.02, "backend": "vacask"}, 3.0),
        ("iontronic-neuron", {"width": 0.02, "backend": "vacask", "workers": 2}, 3.0),
    ):
        find_threshold(name, **kwargs)  # warm: the engine loaded, the OSDI compiled and cached
        times, found = [], None
        for _ in range(3):
            start = time.perf_counter()
            found = find_threshold(name, **kwargs)
            times.append(time.perf_counter() - start)
        seconds = float(np.median(times))
        how = " (20 ms pulse)" if "width" in kwargs else ""
        how += ", vacask" if kwargs.get("backend") == "vacask" else ""
        how += f", {kwargs['workers']} workers" if "workers" in kwargs else ""
        rows.append(
            {
                "benchmark": f"find_threshold {name} single{how}",
                "seconds": seconds,
                "note": f"{found:.16g}; target <= {target:g} s (x{seconds / target:.2f} of it)",
            }
        )
    return rows
