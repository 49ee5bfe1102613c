"""What a transient says about a device, by its kind: an excitable membrane's spikes and rest
(:func:`devicekit.spikes.summarize`), or a memristor's conductance range and I-V loop area."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from devicekit.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.models.membrane import Membrane

__all__ = ["MemristorSummary", "memristor_summary"]


@dataclass(frozen=True)
class MemristorSummary:
    """A memristor under a periodic voltage clamp.

    Attributes
    ----------
    g_min, g_max : float
        Smallest and largest normalised conductance g/g0 (its state) over the run [-].
    loop_area : float or None
        The area enclosed by the I-V curve over the last full period, |closed integral of
        I dV| [W] (V times A): zero for a resistor, the memristor's hysteresis otherwise.
        None under a clamp that is not periodic.
    period : float or None
        The period the loop was taken over [s].
    state : str
        The column of the state that is g/g0.
    """

    g_min: float
    g_max: float
    loop_area: float | None
    period: float | None
    state: str

    def as_dict(self) -> dict:
        return {
            "g_over_g0_min": self.g_min,
            "g_over_g0_max": self.g_max,
            "loop_area_W": self.loop_area,
            "period_s": self.period,
        }


def memristor_summary(frame: pd.DataFrame, model: Membrane) -> MemristorSummary:
    """Conductance range of a memristor's transient under a voltage clamp, and the area of its
    I-V loop over the last period when the clamp is periodic (a sine)."""
    clamps = [s for s in model.stimuli if s.is_clamp]
    if not clamps or "clamp_current" not in frame:
        raise InvalidInput(
            f"{model.name} is a memristor: drive it with a voltage clamp, such as "
            "--clamp sine:1.5V:19.1Hz, to see its conductance range and I-V loop"
        )
    states = [c for c in frame.columns if c not in ("v", "clamp_current", "stimulus")]
    if not states:
        raise InvalidInput(f"{model.name} has no internal state to report as g/g0")
    x = frame[states[0]].to_numpy(dtype=float)
    if not hasattr(clamps[0], "frequency"):  # a level or steps: no loop to enclose
        return MemristorSummary(float(x.min()), float(x.max()), None, None, states[0])
    period = 1.0 / clamps[0].frequency
    t = frame.index.to_numpy(dtype=float)
    if t[-1] - t[0] < period:
        raise InvalidInput(
            f"the run of {t[-1] * 1e3:g} ms is shorter than one period of the clamp "
            f"({period * 1e3:g} ms); give a longer --tstop"
        )
    # exactly the last period, on a uniform grid of 20 000 intervals: I interpolated linearly
    # between the samples, V the clamp's own sine, so the loop closes exactly
    grid = np.linspace(t[-1] - period, t[-1], 20_001)
    i = np.interp(grid, t, frame["clamp_current"].to_numpy(dtype=float))
    v = clamps[0].value(grid)
    area = float(abs(np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(v))))
    return MemristorSummary(float(x.min()), float(x.max()), area, period, states[0])
