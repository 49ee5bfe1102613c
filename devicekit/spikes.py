"""Spike analysis of membrane-voltage traces: spike times, rates, peaks, rest, thresholds and
f-I curves.

A spike time is an upward crossing of a threshold voltage (default 0 mV), interpolated linearly
between the two samples around it. With ngspice's time points (at most 10 us apart by default,
much closer on the upstroke) this locates crossings to well under a microsecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from devicekit.errors import InvalidInput

__all__ = [
    "SpikeSummary",
    "fi_curve",
    "find_threshold",
    "spike_times",
    "summarize",
]


def spike_times(time, voltage, threshold: float = 0.0) -> np.ndarray:
    """Upward crossings of ``threshold`` [V], linearly interpolated [s]."""
    t = np.asarray(time, dtype=float)
    v = np.asarray(voltage, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise InvalidInput("time and voltage must be 1-D arrays of the same length")
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


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


def summarize(frame, threshold: float = 0.0) -> SpikeSummary:
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
    from devicekit.analyses import Transient
    from devicekit.models.stimuli import Pulse
    from devicekit.simulation import simulate

    frame = simulate(
        model,
        Transient(duration, preset=preset, max_step=max_step),
        stimuli=[Pulse(amplitude, delay=delay, width=width)],
        backend=backend,
    )
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


def find_threshold(
    model,
    kind: str = "single",
    *,
    low: float = 0.0,
    high: float = 0.2,
    resolution: float = 1e-4,
    duration: float = 1.0,
    backend: str = "spice",
    preset: str = "accurate",
    progress: bool = False,
    width: float | None = None,
    delay: float = 0.0,
    spike_threshold: float = 0.0,
    max_step: float | None = None,
) -> float:
    """The smallest step (or pulse) current density [A/m^2] that makes the model fire.

    Parameters
    ----------
    model : model or name
        A membrane model.
    kind : str
        ``single``: at least one spike during the step; ``repetitive``: spikes continue to the
        end of the step (the last within two interspike intervals, or 50 ms, of the end).
    low, high : float
        A bracket [A/m^2]: ``low`` must not fire and ``high`` must (0 to 20 uA/cm^2 by default).
    resolution : float
        Bisection stops when the bracket is narrower than this [A/m^2] (1e-4 A/m^2 =
        0.01 uA/cm^2).
    duration : float
        Length of the simulation [s]; the current is on from ``delay`` for ``width`` (None:
        to the end, a step).
    backend, preset : str
        Passed to :func:`devicekit.simulate` (``max_step`` overrides the preset's step).
    spike_threshold : float
        Voltage [V] whose upward crossing counts as a spike (0 V for neurons in mV ranges).
    progress : bool
        Show a progress bar.

    Returns
    -------
    float
        The upper end of the final bracket [A/m^2]: the smallest tested current that fires.
    """
    fires = _criterion(kind, duration)

    def response(amplitude):
        return _step_response(
            model, amplitude, duration, backend, preset, width, delay, spike_threshold, max_step
        )

    if fires(response(low)):
        raise InvalidInput(f"the model already fires at the lower bracket {low!r} A/m^2")
    if not fires(response(high)):
        raise InvalidInput(
            f"the model does not fire at the upper bracket {high!r} A/m^2; raise 'high'"
        )
    steps = int(np.ceil(np.log2((high - low) / resolution)))
    bar = _progress(steps, f"{kind} threshold", progress)
    while high - low > resolution:
        middle = 0.5 * (low + high)
        if fires(response(middle)):
            high = middle
        else:
            low = middle
        bar.update(1)
    bar.close()
    return high


def fi_curve(
    model,
    amplitudes,
    *,
    duration: float = 1.0,
    backend: str = "spice",
    preset: str = "accurate",
    progress: bool = False,
):
    """Firing rate against step current: a DataFrame indexed by ``current_density`` [A/m^2]
    with ``rate_hz`` (1/last ISI) and ``spike_count``."""
    import pandas as pd

    amplitudes = np.asarray(amplitudes, dtype=float)
    bar = _progress(amplitudes.size, "f-I curve", progress)
    rows = []
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
