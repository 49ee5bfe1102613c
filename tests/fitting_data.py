"""Synthetic data for the round-trip fits: known parameters plus 1% Gaussian noise (sigma = 1%
of the clean signal's range), with fixed seeds."""

from __future__ import annotations

import numpy as np


def noisy(clean, seed: int):
    rng = np.random.default_rng(seed)
    return clean + rng.normal(0.0, 0.01 * np.ptp(clean), np.shape(clean))
