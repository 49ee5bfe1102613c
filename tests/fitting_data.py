"""Synthetic data for the round-trip fits: known parameters plus 1% Gaussian noise (sigma = 1%
of the clean signal's range), with fixed seeds."""

from __future__ import annotations

import numpy as np


def noisy(clean, seed: int):
    rng = np.random.default_rng(seed)
    return clean + rng.normal(0.0, 0.01 * np.ptp(clean), np.shape(clean))


def rate_values(channel) -> dict:
    """The rate-form parameters fit_hh_model fits, by path (``m.alpha.amplitude``), at a
    channel's own values."""
    from devicekit.fit.hh_model import FREE_FIELDS

    values = {}
    for gate in channel.gates:
        for role in ("alpha", "beta"):
            rate = getattr(gate, role)
            for field in FREE_FIELDS[rate.form]:
                values[f"{gate.name}.{role}.{field}"] = getattr(rate, field)
    return values
