"""Boltzmann curves: an activation (or inactivation) curve of a normalised quantity, and a
peak I-V, the activation times the driving force."""

from __future__ import annotations

import numpy as np

from devicekit.expr import Sym, exp
from devicekit.fit.base import FitModel, ParameterSpec
from devicekit.models.channels import HHChannel
from devicekit.models.kinetics import Gate, RateFunction
from devicekit.models.membrane import Membrane

__all__ = ["boltzmann", "boltzmann_iv"]

V = Sym("v")


def _boltzmann_guess(x, y, _):
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    half = xs[np.argmin(np.abs(ys - 0.5))]
    rising = ys[-1] > ys[0]
    span = (xs[-1] - xs[0]) / 10 or 0.01
    return {"v_half": float(half), "slope": float(span if rising else -span)}


def boltzmann() -> FitModel:
    return FitModel(
        "boltzmann",
        "voltage",
        "open_probability",
        (
            ParameterSpec("v_half", "V", -1.0, 1.0, "mV", 1e3, "half-activation voltage"),
            ParameterSpec(
                "slope",
                "V",
                -1.0,
                1.0,
                "mV",
                1e3,
                "slope factor (> 0 activation, < 0 inactivation)",
            ),
        ),
        lambda v_half, slope: 1.0 / (1.0 + exp(-(V - v_half) / slope)),
        _boltzmann_guess,
        "Boltzmann activation (slope > 0) or inactivation (slope < 0) curve",
        device=_boltzmann_device,
    )


def _boltzmann_device(values: dict, reference: str):
    """The fitted curve as a device: a channel of 1 S maximal conductance (on 1 m^2) whose
    instantaneous gate is the Boltzmann curve, so its conductance in S is the fitted
    open probability; battery 0 V."""
    gate = Gate("p", 1, inf=RateFunction("sigmoid", 1.0, values["v_half"], values["slope"]))
    channel = HHChannel("g", 1.0, (gate,), reversal_potential=0.0)
    return Membrane(
        "fitted-boltzmann", 1e-18, 1.0, (channel,), 293.15,
        description="fitted Boltzmann curve as the open probability of a 1 S channel",
        reference=reference,
    )  # fmt: skip


def _boltzmann_iv_guess(x, y, _):
    """The reversal potential where the current changes sign above the activation (else the
    largest voltage), the chord conductance there, and the activation from I / (V - E)."""
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    sign = np.nonzero(np.diff(np.sign(ys)) != 0)[0]
    reversal = float(xs[sign[-1]] if sign.size else xs[-1] + 0.01)
    far = np.abs(xs - reversal) > 0.005
    chord = np.where(far, ys / np.where(far, xs - reversal, 1.0), 0.0)
    g_max = float(np.max(np.abs(chord))) or 1e-12
    open_fraction = np.clip(chord / g_max, 0.0, 1.0)
    half = float(xs[np.argmin(np.abs(open_fraction - 0.5))])
    rising = open_fraction[-1] >= open_fraction[0]
    span = (xs[-1] - xs[0]) / 10 or 0.01
    return {"g_max": g_max, "E": reversal, "v_half": half, "slope": span if rising else -span}


def boltzmann_iv() -> FitModel:
    return FitModel(
        "boltzmann-iv",
        "voltage",
        "current",
        (
            ParameterSpec("g_max", "S", 0.0, np.inf, "nS", 1e9, "maximal conductance"),
            ParameterSpec("E", "V", -1.0, 1.0, "mV", 1e3, "reversal potential"),
            ParameterSpec("v_half", "V", -1.0, 1.0, "mV", 1e3, "half-activation voltage"),
            ParameterSpec("slope", "V", -1.0, 1.0, "mV", 1e3, "slope factor (> 0 activation)"),
        ),
        lambda g_max, E, v_half, slope: g_max * (V - E) / (1.0 + exp(-(V - v_half) / slope)),
        _boltzmann_iv_guess,
        "peak I-V: Boltzmann activation times the driving force, I = g_max (V - E) / "
        "(1 + exp(-(V - v_half)/slope))",
        device=_boltzmann_iv_device,
    )


def _boltzmann_iv_device(values: dict, reference: str):
    """A channel of the fitted maximal conductance (on 1 m^2, so S/m^2 are S) whose
    instantaneous gate is the Boltzmann activation, in series with the fitted battery."""
    gate = Gate("p", 1, inf=RateFunction("sigmoid", 1.0, values["v_half"], values["slope"]))
    channel = HHChannel("g", values["g_max"], (gate,), reversal_potential=values["E"])
    return Membrane(
        "fitted-boltzmann-iv", 1e-18, 1.0, (channel,), 293.15,
        description="fitted peak I-V: a Boltzmann-activated conductance with its battery",
        reference=reference,
    )  # fmt: skip
