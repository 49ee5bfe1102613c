"""What a sweep records of each simulation: named measures of the analysis result.

========================  ========  ==========================================================
measure                   analysis  value
========================  ========  ==========================================================
``spike_count``           tran      upward crossings of 0 V
``rate_hz``               tran      1 / last interspike interval [Hz] (0 without two spikes)
``first_spike_s``         tran      time of the first spike [s] (NaN without one)
``peak_v``                tran      largest membrane voltage [V]
``rest_v``                tran      voltage at t = 0 [V]
``v_final``               tran      voltage at the end [V]
``v``                     op        operating-point voltage [V]
``current_a``             op        steady current under a voltage clamp [A]
``iv``                    dc        one row per voltage: ``voltage`` [V], ``current`` [A]
========================  ========  ==========================================================

A measure can also be a function of the result DataFrame returning a dict of numbers (or a list
of such dicts for several rows); it must be importable by name for worker processes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.errors import InvalidInput
from devicekit.spikes import summarize

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pandas as pd

__all__ = ["DEFAULT_MEASURES", "MEASURES", "check_measures", "measure"]


def _summary(frame):

    return summarize(frame)


def _spikes(frame, name):
    s = _summary(frame)
    values = {
        "spike_count": s.count,
        "rate_hz": s.rate,
        "first_spike_s": math.nan if s.first_spike is None else s.first_spike,
        "peak_v": s.peak if s.peak is not None else float(np.max(frame["v"])),
        "rest_v": s.rest,
        "v_final": float(frame["v"].iloc[-1]),
    }
    return values[name]


MEASURES = {
    "spike_count": "tran",
    "rate_hz": "tran",
    "first_spike_s": "tran",
    "peak_v": "tran",
    "rest_v": "tran",
    "v_final": "tran",
    "v": "op",
    "current_a": "op",
    "iv": "dc",
}

DEFAULT_MEASURES = {
    "tran": ("spike_count", "rate_hz", "first_spike_s", "peak_v", "rest_v"),
    "op": ("v",),
    "dc": ("iv",),
}


def check_measures(
    measures: Sequence[str | Callable[[pd.DataFrame], Any]] | None, kind: str
) -> tuple[str | Callable[[pd.DataFrame], Any], ...]:
    """Validate ``measures`` for an analysis of ``kind`` (op, dc, tran); None -> defaults."""
    if measures is None:
        return DEFAULT_MEASURES[kind]
    if isinstance(measures, str) or callable(measures):
        measures = (measures,)
    measures = tuple(measures)
    if not measures:
        raise InvalidInput("give at least one measure, for example measures=['rate_hz']")
    for m in measures:
        if callable(m):
            continue
        if m not in MEASURES:
            raise InvalidInput(f"measure {m!r} is unknown; choose from {', '.join(MEASURES)}")
        if MEASURES[m] != kind:
            valid = [n for n, k in MEASURES.items() if k == kind]
            raise InvalidInput(
                f"measure {m!r} needs a {MEASURES[m]} analysis, not {kind}; for {kind} choose "
                f"from {', '.join(valid)}"
            )
    if "iv" in measures and len(measures) > 1:
        raise InvalidInput("'iv' gives one row per voltage; it cannot be combined with others")
    return measures


def measure(
    frame: pd.DataFrame, measures: Sequence[str | Callable[[pd.DataFrame], Any]]
) -> list[dict[str, Any]]:
    """The rows a point contributes: one dict, or one per voltage for ``iv``."""
    if measures == ("iv",):
        column = "current" if "current" in frame else "clamp_current"
        return [
            {"voltage": float(v), "current": float(i)}
            for v, i in zip(frame.index, frame[column], strict=True)
        ]
    row: dict = {}
    extra: list[dict] | None = None
    for m in measures:
        if callable(m):
            value = m(frame)
            if isinstance(value, list):
                extra = value
            else:
                row.update({str(k): v for k, v in value.items()})
        elif m == "v":
            row["v"] = float(frame["v"].iloc[0])
        elif m == "current_a":
            if "clamp_current" not in frame:
                raise InvalidInput("measure 'current_a' needs a voltage clamp on the model")
            row["current_a"] = float(frame["clamp_current"].iloc[0])
        else:
            row[m] = _spikes(frame, m)
    if extra is not None:
        return [{**row, **e} for e in extra]
    return [row]
