"""Spike analysis of membrane-voltage traces: spike times, rates, peaks, rest, thresholds and
f-I curves.

A spike time is an upward crossing of a threshold voltage (default 0 mV), interpolated linearly
between the two samples around it. With ngspice's time points (at most 10 us apart by default,
much closer on the upstroke) this locates crossings to well under a microsecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from devicekit.analyses import Transient
from devicekit.crossings import spike_times
from devicekit.errors import InvalidInput
from devicekit.expr import evaluate
from devicekit.models.kinetics import V
from devicekit.models.stimuli import Pulse
from devicekit.simulation import VACASK_BATCH, as_membrane, simulate, simulate_vacask_batch
from devicekit.spice.engine import engine
from devicekit.spice.netlist import testbench

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.arraytypes import ArrayLike
    from devicekit.simulation import ModelLike

__all__ = [
    "SpikeSummary",
    "fi_curve",
    "find_threshold",
    "spike_times",
    "summarize",
]


@dataclass(frozen=True)
class SpikeSummary:
    """What a trace did: spike count and times, steady rate, first spike, peaks and rest."""

    count: int
    times: np.ndarray
    rate: float  # 1 / last interspike interval [Hz]; 0 without two spikes
    first_spike: float | None  # [s]
    first_peak: float | None  # [V]
    peak: float | None  # largest voltage [V]
    rest: float  # voltage at t = 0 [V]

    def as_dict(self) -> dict:
        return {
            "spike_count": self.count,
            "rate_hz": self.rate,
            "first_spike_s": self.first_spike,
            "first_peak_v": self.first_peak,
            "peak_v": self.peak,
            "rest_v": self.rest,
            "spike_times_s": [float(x) for x in self.times],
        }


def summarize(frame: pd.DataFrame, threshold: float = 0.0) -> SpikeSummary:
    """Summarise a transient DataFrame (index time [s], column ``v`` [V])."""
    t = frame.index.to_numpy(dtype=float)
    v = frame["v"].to_numpy(dtype=float)
    times = spike_times(t, v, threshold)
    rate = 1.0 / (times[-1] - times[-2]) if times.size >= 2 else 0.0
    first_peak = None
    if times.size:
        # the first peak: the maximum between the first crossing and the next fall below it
        start = np.searchsorted(t, times[0])
        below = np.nonzero(v[start:] < threshold)[0]
        stop = start + (below[0] if below.size else v.size - start)
        first_peak = float(np.max(v[start:stop]))
    return SpikeSummary(
        count=int(times.size),
        times=times,
        rate=float(rate),
        first_spike=float(times[0]) if times.size else None,
        first_peak=first_peak,
        peak=float(np.max(v)) if times.size else None,
        rest=float(v[0]),
    )


def _step_response(
    model,
    amplitude: float,
    duration: float,
    backend: str,
    preset: str,
    width: float | None = None,
    delay: float = 0.0,
    threshold: float = 0.0,
    max_step: float | None = None,
):

    model = as_membrane(model)
    frame = simulate(
        model,
        Transient(duration, preset=preset, max_step=max_step),
        # a current density on a membrane compartment, a current on a device in its own units
        stimuli=[Pulse(amplitude, delay=delay, width=width, per_area=model.per_area)],
        backend=backend,
    )
    return summarize(frame, threshold)


def _fires_once(model, amplitude, duration, preset, width, delay, threshold, max_step,
                scales) -> SpikeSummary:  # fmt: skip
    """The step (or pulse) response in ngspice for a single-spike test, ended as soon as its
    answer is known: at the first upward crossing of ``threshold`` (ngspice ``stop when``), or
    once V has settled after the stimulus, which an autonomous model then keeps (its range
    over the last two slowest time constants below 1e-5 of its batteries' spread)."""
    import pandas as pd

    model = as_membrane(model)
    membrane = model.with_stimuli(Pulse(amplitude, delay=delay, width=width,
                                        per_area=model.per_area))  # fmt: skip
    bench = testbench(membrane, Transient(duration, preset=preset, max_step=max_step))
    window = 2.0 * scales["slowest"]
    quiet = 1e-5 * scales["voltage_spread"]
    after = delay + (width or 0.0) + window

    def settled(vectors) -> bool:
        t, v = vectors["time"], vectors["v(vm)"]
        if t.size < 2 or t[-1] < after:
            return False
        return bool(np.ptp(v[t >= t[-1] - window]) < quiet)

    run = engine().run(bench.text, ["time", "v(vm)"], expect_until=duration,
                       stop_when=f"v(vm) > {threshold!r}", check_every=window,
                       settled=settled)  # fmt: skip
    frame = pd.DataFrame({"v": run.vectors["v(vm)"]}, index=pd.Index(run.vectors["time"]))
    return summarize(frame, threshold)


def _criterion(kind: str, duration: float):
    if kind == "single":
        return lambda s: s.count >= 1
    if kind == "repetitive":
        # firing is sustained when spikes continue to the end of the step: the last spike falls
        # within two interspike intervals (at least 50 ms) of the end
        def sustained(s):
            if s.count < 3:
                return False
            isi = s.times[-1] - s.times[-2]
            return duration - s.times[-1] <= max(2 * isi, 0.05)

        return sustained
    raise InvalidInput(f"threshold kind {kind!r} is unknown; choose 'single' or 'repetitive'")


def model_scales(model) -> dict[str, float]:
    """The scales a model's own stimuli live on, for defaults of threshold searches:

    * ``current_density`` [A/m^2]: the sum of the channels' largest conductances times the
      spread of their batteries (plus 100 mV), a current that certainly drives the membrane;
    * ``fastest`` and ``slowest`` [s]: the shortest and longest time constant of the gates at
      rest (1 ms for a model without gates);
    * ``voltage_spread`` [V]: the spread of the batteries plus 100 mV.
    """

    membrane = as_membrane(model)
    eq = membrane.equations()
    rest = membrane.resting_state()
    taus = []
    for channel in membrane.channels:
        phi = channel.phi(membrane.temperature)
        for gate in channel.gates:
            if not gate.instantaneous:
                taus.append(float(evaluate(gate.time_constant(V, phi), {"v": rest["v"]})))
    conductance = sum(
        float(getattr(c, "conductance", 0.0) or 0.0) for c in membrane.channels
    )  # S/m^2
    batteries = [b for b in eq.batteries.values() if np.isfinite(b)]
    spread = (max(batteries) - min(batteries) if batteries else 0.0) + 0.1
    taus = [t for t in taus if np.isfinite(t) and t > 0] or [1e-3]
    return {
        "current_density": conductance * spread if conductance > 0 else 1.0,
        "fastest": min(taus),
        "slowest": max(taus),
        "voltage_spread": spread,
    }


def find_threshold(
    model: ModelLike,
    kind: str = "single",
    *,
    low: float | None = None,
    high: float | None = None,
    resolution: float | None = None,
    rtol: float = 1e-3,
    duration: float | None = None,
    backend: str = "spice",
    preset: str = "accurate",
    progress: bool = False,
    width: float | None = None,
    delay: float = 0.0,
    spike_threshold: float = 0.0,
    max_step: float | None = None,
    workers: int = 1,
) -> float:
    """The smallest step (or pulse) current density [A/m^2] that makes the model fire (a
    current [A] for a device in its own units, such as the iontronic neuron).

    Parameters
    ----------
    model : model or name
        A membrane model.
    kind : str
        ``single``: at least one spike during the step; ``repetitive``: spikes continue to the
        end of the step (the last within two interspike intervals, or 50 ms, of the end).
    low, high : float, optional
        A bracket [A/m^2]: ``low`` must not fire and ``high`` must; both are checked before the
        search. Default: ``high`` from the model's scale (:func:`model_scales`), and ``low``
        found by stepping down from it by factors of 10.
    resolution : float, optional
        Stop when the bracket is narrower than this [A/m^2] (an absolute bisection). Default:
        a relative search, to ``rtol`` of the threshold, in geometric steps.
    rtol : float
        Relative resolution of the default search.
    duration : float, optional
        Length of each simulation [s]; the current is on from ``delay`` for ``width`` (None:
        to the end, a step). Default for a step: 1 s, or ten times the model's slowest time
        constant; for a pulse: five slowest time constants after its end.
    backend, preset : str
        Passed to :func:`devicekit.simulate`.
    max_step : float, optional
        Overrides the preset's step (a fraction of the model's fastest time constant, so that a
        device of milliseconds is not stepped in microseconds).
    spike_threshold : float
        Voltage [V] whose upward crossing counts as a spike (0 V for neurons in mV ranges).
    progress : bool
        Show a progress bar.
    workers : int
        Currents tried at once in each narrowing of the bracket, which then shrinks
        ``workers + 1``-fold per round instead of two-fold. With ``backend="vacask"`` they run
        as parallel VACASK processes (one per CPU is the sensible most); ngspice's library
        runs one simulation at a time, so the ngspice backend takes 1.

    Returns
    -------
    float
        The upper end of the final bracket [A/m^2]: the smallest tested current that fires.

    Raises
    ------
    InvalidInput
        When the bracket brackets nothing (``low`` fires, or ``high`` does not), or when the
        threshold lies within ``resolution`` of ``low``, so that the answer would only be the
        resolution itself.
    """

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInput(f"workers = {workers!r} must be a whole number >= 1")
    if workers > 1 and backend != "vacask":
        raise InvalidInput(
            f"workers = {workers} runs bracket points in parallel VACASK processes: give "
            "backend='vacask', or workers=1 for ngspice (its library runs one simulation at a "
            "time)"
        )
    scales = model_scales(model)
    if duration is None:  # a step: 1 s, or 10 slowest time constants; a pulse: 5 after it
        duration = (
            max(1.0, 10 * scales["slowest"])
            if width is None
            else delay + width + 5 * scales["slowest"]
        )
    fires = _criterion(kind, duration)

    def response(amplitude):
        if kind == "single" and backend == "spice":  # ends at the spike, or once settled
            return _fires_once(model, amplitude, duration, preset, width, delay,
                               spike_threshold, max_step, scales)  # fmt: skip
        return _step_response(
            model, amplitude, duration, backend, preset, width, delay, spike_threshold, max_step
        )

    def check(value, name):
        if isinstance(value, bool) or not (np.isfinite(value) and value >= 0):
            raise InvalidInput(f"{name} = {value!r} A/m^2 must be a finite current density >= 0")

    if high is None:
        high = scales["current_density"]
    check(high, "high")
    if not fires(response(high)):
        raise InvalidInput(
            f"the model does not fire at the upper bracket high = {high:g} A/m^2, so the bracket "
            "brackets no threshold; raise 'high', or check duration, width and spike_threshold"
        )
    if low is None:  # step down by decades from high to a current that does not fire
        low = high
        for _ in range(15):
            high, low = low, low / 10
            if not fires(response(low)):
                break
        else:
            raise InvalidInput(
                f"the model fires at every current down to {low:g} A/m^2; it may fire without "
                "stimulus (check it with simulate), or give low"
            )
    else:
        check(low, "low")
        if not low < high:
            raise InvalidInput(f"low = {low!r} must be below high = {high!r} A/m^2")
        if fires(response(low)):
            raise InvalidInput(
                f"the model already fires at the lower bracket low = {low!r} A/m^2, so the "
                "bracket brackets no threshold; lower 'low'"
            )
    start_low = low
    geometric = resolution is None and low > 0
    if resolution is None and not geometric:
        resolution = rtol * high
    if resolution is not None and not (np.isfinite(resolution) and resolution > 0):
        raise InvalidInput(f"resolution = {resolution!r} A/m^2 must be > 0")

    def narrow_enough() -> bool:
        if geometric:
            return high / low - 1 <= rtol
        return high - low <= resolution

    shrink = np.log(workers + 1)  # per round, in the log of the bracket's (log-)width
    steps = (
        int(np.ceil(np.log(np.log(high / low) / np.log1p(rtol)) / shrink))
        if geometric
        else int(np.ceil(np.log(max((high - low) / resolution, 1.0)) / shrink))
    )
    bar = _progress(max(steps, 0), f"{kind} threshold", progress)
    pool = None
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(workers, thread_name_prefix="devicekit-threshold")
    try:
        while not narrow_enough():
            fractions = np.arange(1, workers + 1) / (workers + 1)
            tried = low * (high / low) ** fractions if geometric else low + (high - low) * fractions
            found = list(pool.map(response, tried)) if pool else [response(tried[0])]
            for amplitude, result in zip(tried, found, strict=True):
                if fires(result):  # the first that fires is the new top; those below, the bottom
                    high = float(amplitude)
                    break
                low = float(amplitude)
            bar.update(1)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    bar.close()
    if not geometric and low == start_low and high - start_low <= resolution and start_low == 0:
        raise InvalidInput(
            f"the threshold lies below the resolution {resolution:g} A/m^2 (every tested current "
            f"down to {high:g} A/m^2 fires), so the answer would be the resolution itself; give a "
            "smaller resolution, or leave it out for a relative search"
        )
    return float(high)


def fi_curve(
    model: ModelLike,
    amplitudes: ArrayLike,
    *,
    duration: float = 1.0,
    backend: str = "spice",
    preset: str = "accurate",
    progress: bool = False,
) -> pd.DataFrame:
    """Firing rate against step current: a DataFrame indexed by ``current_density`` [A/m^2]
    with ``rate_hz`` (1/last ISI) and ``spike_count``. With ``backend="vacask"`` up to 25
    amplitudes share one VACASK run (each model in its own cell of one netlist)."""
    import pandas as pd

    amplitudes = np.asarray(amplitudes, dtype=float)
    bar = _progress(amplitudes.size, "f-I curve", progress)
    rows = []
    if backend == "vacask":  # up to VACASK_BATCH amplitudes in one VACASK netlist and run
        membrane = as_membrane(model)
        analysis = Transient(duration, preset=preset)
        for start in range(0, amplitudes.size, VACASK_BATCH):
            chunk = amplitudes[start : start + VACASK_BATCH]
            models = [membrane.with_stimuli(Pulse(float(a), per_area=membrane.per_area))
                      for a in chunk]  # fmt: skip
            for frame in simulate_vacask_batch(models, analysis):
                summary = summarize(frame)
                rows.append({"rate_hz": summary.rate, "spike_count": summary.count})
            bar.update(chunk.size)
    else:
        for amplitude in amplitudes:
            summary = _step_response(model, float(amplitude), duration, backend, preset)
            rows.append({"rate_hz": summary.rate, "spike_count": summary.count})
            bar.update(1)
    bar.close()
    return pd.DataFrame(rows, index=pd.Index(amplitudes, name="current_density"))


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total: int, label: str, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="run")
