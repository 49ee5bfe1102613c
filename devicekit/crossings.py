"""Threshold crossings of sampled traces (the spike times of a voltage trace)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from devicekit.errors import InvalidInput

if TYPE_CHECKING:
    from devicekit.arraytypes import ArrayLike, FloatArray

__all__ = ["spike_times"]


def spike_times(time: ArrayLike, voltage: ArrayLike, threshold: float = 0.0) -> FloatArray:
    """Upward crossings of ``threshold`` [V], linearly interpolated [s]."""
    t = np.asarray(time, dtype=float)
    v = np.asarray(voltage, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise InvalidInput("time and voltage must be 1-D arrays of the same length")
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])
