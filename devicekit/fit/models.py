"""Fit models: each is one expression of the swept voltage ``v`` with named parameters.

The same expression gives the numpy prediction, the ngspice check
(:meth:`devicekit.fit.FitResult.verify_in_spice`) and the fitted model card, as everywhere in
devicekit. Every model carries bounds for its parameters and a data-driven initial guess, in the
manner of lmfit's models.

=============  ===========================================================  ==================
name           function                                                     parameters
=============  ===========================================================  ==================
ohmic          ``I = g (v - E)``                                             g [S], E [V]
ghk            GHK current of one ion through area A: ``I = A * P z F ...``  P [m/s]
boltzmann      ``y = 1 / (1 + exp(-(v - v_half) / slope))``                 v_half, slope [V]
boltzmann-iv   ``I = g_max (v - E) / (1 + exp(-(v - v_half) / slope))``      g_max [S], E,
                                                                              v_half, slope [V]
sigmoid        ``y = low + (high - low) / (1 + exp(-(v - v_mid) / width))``   low, high, v_mid,
                                                                              width
=============  ===========================================================  ==================

The ``sigmoid`` is the 4-parameter description of an iontronic memristor's steady-state
conductance g_inf(V) (about 1% RMS on the digitised g_inf(V) of Kamsma et al., Phys. Rev. Lett.
130, 268401 (2023), in measurements/). Reversal-potential
shifts and Hodgkin-Huxley voltage-clamp kinetics are fitted by their own routines in
:mod:`devicekit.fit.routines`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from devicekit.analyses import DCSweep
from devicekit.electrochem import ghk_current_density
from devicekit.electrochem.constants import thermal_voltage
from devicekit.electrochem.ghk import ghk_current_expr
from devicekit.electrochem.nernst import nernst_potential
from devicekit.errors import InvalidInput
from devicekit.expr import Sym, exp
from devicekit.fit.base import FitModel, ParameterSpec, named_channel
from devicekit.fit.bistable import bistable_oect
from devicekit.fit.curves import boltzmann, boltzmann_iv
from devicekit.fit.oect import oect
from devicekit.fit.spice import evaluate_expression_in_spice
from devicekit.models.builtin import conical_memristor, memristor_from_sigmoid
from devicekit.models.channels import (
    Environment,
    GHKChannel,
    OhmicChannel,
    steady_state_current,
)
from devicekit.models.ions import get_ion
from devicekit.models.iontronic import ConicalChannel, ConicalRate
from devicekit.models.membrane import Membrane
from devicekit.simulation import as_membrane, simulate

__all__ = ["FIT_MODELS", "FitModel", "ParameterSpec", "get_fit_model"]

V = Sym("v")


def _ohmic_guess(x, y, _):
    slope, intercept = np.polyfit(x, y, 1)
    reversal = -intercept / slope if slope != 0 else 0.0
    return {"g": max(abs(slope), 1e-300), "E": float(np.clip(reversal, -1.0, 1.0))}


def _ohmic():
    return FitModel(
        "ohmic",
        "voltage",
        "current",
        (
            ParameterSpec("g", "S", 0.0, np.inf, "nS", 1e9, "conductance"),
            ParameterSpec("E", "V", -1.0, 1.0, "mV", 1e3, "reversal potential"),
        ),
        lambda g, E: g * (V - E),
        _ohmic_guess,
        "ohmic I-V: a conductance in series with a battery, I = g (V - E)",
        device=_ohmic_device,
    )


def _ohmic_device(values: dict, reference: str):
    """A pore of the fitted conductance and battery: one ohmic channel across 1 m^2 (so its
    conductance density in S/m^2 is the device's conductance in S) and 1 aF."""
    channel = OhmicChannel("pore", values["g"], reversal_potential=values["E"])
    return Membrane(
        "fitted-ohmic", 1e-18, 1.0, (channel,), 293.15,
        description="fitted ohmic device: a conductance in series with a battery",
        reference=reference,
    )  # fmt: skip


def _ghk(
    ion: str | None = None,
    c_in: float | None = None,
    c_out: float | None = None,
    *,
    ions: dict | None = None,
    temperature: float = 310.15,
    area: float,
):
    """GHK I-V of one ion (``ion``, ``c_in``, ``c_out``: fit P) or of several
    (``ions={"K": (c_in, c_out), "Na": (...)}``: fit P of the first and the ratios of the
    others to it), at ``temperature`` [K] (default 310.15 K, 37 degC, as everywhere in
    devicekit). Each ion's current is written in series-battery form, zero at its own Nernst
    potential, with exprel at V = 0 (as devicekit.models.channels.GHKChannel)."""
    if ions is None:
        if ion is None or c_in is None or c_out is None:
            raise InvalidInput("ghk fit: give ion, c_in and c_out, or ions={ion: (c_in, c_out)}")
        ions = {ion: (c_in, c_out)}
    names = list(ions)
    reference = reference_ion = names[0]
    vt = thermal_voltage(temperature)

    def one(symbol, weight):
        # the channels' own GHK formula, at unit permeability (P multiplies the total)
        z = get_ion(symbol).valence
        inside, outside = ions[symbol]
        e = nernst_potential(inside, outside, z, temperature)
        return (weight * area) * ghk_current_expr(V, e, inside, z, vt, 1.0)

    def build(P, **ratios):
        total = one(reference, 1.0)
        for symbol in names[1:]:
            total = total + one(symbol, ratios[f"ratio_{symbol}"])
        return P * total

    def guess(x, y, _):

        inside, outside = ions[reference]
        z = get_ion(reference).valence
        unit = area * ghk_current_density(x, 1.0, inside, outside, z, temperature)
        start = {"P": max(abs(float(np.dot(unit, y) / np.dot(unit, unit))), 1e-300)}
        start.update({f"ratio_{symbol}": 0.1 for symbol in names[1:]})
        return start

    parameters = (
        ParameterSpec("P", "m/s", 0.0, np.inf, "cm/s", 100.0, f"permeability to {reference}"),
        *(
            ParameterSpec(
                f"ratio_{symbol}", "1", 0.0, 1e3, description=f"P_{symbol} / P_{reference}"
            )
            for symbol in names[1:]
        ),
    )
    listing = ", ".join(f"{k} {ci:g}/{co:g}" for k, (ci, co) in ions.items())
    return FitModel(
        "ghk",
        "voltage",
        "current",
        parameters,
        build,
        guess,
        f"GHK current of {listing} mol/m^3 (in/out), {temperature:g} K, area {area:g} m^2",
        device=lambda values, reference: Membrane(
            "fitted-ghk",
            0.01,
            area,
            tuple(
                GHKChannel(
                    symbol.lower(),
                    symbol,
                    values["P"] * (1.0 if symbol == reference_ion else values[f"ratio_{symbol}"]),
                )
                for symbol in names
            ),
            temperature,
            inside={symbol: ions[symbol][0] for symbol in names},
            outside={symbol: ions[symbol][1] for symbol in names},
            description=f"fitted GHK membrane: {listing} mol/m^3 (in/out)",
            reference=reference,
        ),
    )


def _sigmoid_guess(x, y, _):
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    low, high = float(ys[0]), float(ys[-1])
    middle = 0.5 * (low + high)
    v_mid = float(xs[np.argmin(np.abs(ys - middle))])
    width = float((xs[-1] - xs[0]) / 8) or 0.1
    return {"low": low, "high": high, "v_mid": v_mid, "width": width}


def _sigmoid():
    return FitModel(
        "sigmoid",
        "voltage",
        "conductance_ratio",
        (
            ParameterSpec("low", "y", -np.inf, np.inf, description="value far below v_mid"),
            ParameterSpec("high", "y", -np.inf, np.inf, description="value far above v_mid"),
            ParameterSpec("v_mid", "V", -10.0, 10.0, "mV", 1e3, "midpoint voltage"),
            ParameterSpec("width", "V", 1e-4, 10.0, "mV", 1e3, "voltage width"),
        ),
        lambda low, high, v_mid, width: low + (high - low) / (1.0 + exp(-(V - v_mid) / width)),
        _sigmoid_guess,
        "4-parameter sigmoid: the steady-state conductance g_inf(V) of an iontronic memristor",
        device=lambda values, reference: dataclasses.replace(
            memristor_from_sigmoid(values), reference=reference
        ),
    )


def _channel_iv(channel="hh-squid:k", area: float = 1e-4):
    """Steady-state I-V of an HH channel (every gate at x_inf), fitting its maximal
    conductance and battery; in ngspice it is the compiled channel under a DC sweep."""

    base, temperature = named_channel(channel)
    env = Environment(temperature)

    def with_values(values):
        return dataclasses.replace(
            base, conductance=values["g_max"], reversal_potential=values["E"]
        )

    def function(v, values):
        return area * steady_state_current(with_values(values), env, v)

    def spice_check(values, v):

        membrane = as_membrane(with_values(values), area=area, temperature=temperature)
        points = tuple(float(x) for x in v)
        sweep = DCSweep(min(points), max(points) + 1e-3, 1.0, points=points)
        frame = simulate(membrane, sweep)
        return np.interp(v, frame.index.to_numpy(), frame["current"].to_numpy())

    def guess(x, y, _):
        return {
            "g_max": float(getattr(base, "conductance", 1.0)),
            "E": float(base.reversal_potential or 0.0),
        }

    return FitModel(
        "channel-iv",
        "voltage",
        "current",
        (
            ParameterSpec("g_max", "S/m2", 0.0, np.inf, "mS/cm2", 0.1, "maximal conductance"),
            ParameterSpec("E", "V", -1.0, 1.0, "mV", 1e3, "reversal potential"),
        ),
        None,
        guess,
        f"steady-state I-V of channel {base.name} (area {area:g} m^2)",
        function=function,
        spice_check=spice_check,
        device=lambda values, reference: dataclasses.replace(
            as_membrane(with_values(values), area=area, temperature=temperature),
            name=f"fitted-{base.name}",
            description=f"fitted channel {base.name}: steady-state I-V",
            reference=reference,
        ),
    )


def _conical(nodes: int = 32):
    """Kamsma's steady-state conductance g_inf(V)/g0 of a conical channel with free swing
    Delta_g, Peclet number per volt and radius ratio R_t/R_b (bounded to stay physical)."""
    published = ConicalChannel()

    def function(v, values):
        return ConicalRate(
            values["delta_g"], values["peclet_per_volt"], values["radius_ratio"], nodes
        )(v)

    def guess(x, y, _):
        # g_inf/g0 = 1 + Delta_g * I(V; Pe, R_t/R_b) is linear in Delta_g: scan Pe and the
        # radius ratio on a grid, solve for the best Delta_g at each point in closed form, and
        # start from the best of them (the published parameters fit real devices poorly)
        best, start = np.inf, None
        for peclet in (-300, -100, -30, -10, -3, -1, 1, 3, 10, 30, 100, 300):  # within bounds
            for ratio in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9):
                shape = ConicalRate(1.0, float(peclet), ratio, nodes)(x) - 1.0
                denominator = float(np.dot(shape, shape))
                if denominator == 0:
                    continue
                delta = float(np.dot(shape, y - 1.0) / denominator)
                rss = float(np.sum((1.0 + delta * shape - y) ** 2))
                if rss < best and abs(delta) < 50:
                    best, start = (
                        rss,
                        {"delta_g": delta, "peclet_per_volt": float(peclet), "radius_ratio": ratio},
                    )
        if start is None:
            start = {
                "delta_g": published.delta_g,
                "peclet_per_volt": published.peclet_per_volt,
                "radius_ratio": published.tip_radius / published.base_radius,
            }
        return start

    def spice_check(values, v):

        rate = ConicalRate(
            values["delta_g"], values["peclet_per_volt"], values["radius_ratio"], nodes
        )
        return evaluate_expression_in_spice(rate.expr(), v)

    return FitModel(
        "conical",
        "voltage",
        "conductance_ratio",
        (
            ParameterSpec("delta_g", "1", -50.0, 50.0, description="conductance swing"),
            # |Pe| <= 300/V keeps exp(Pe V R_t/R_b) finite over the +-2 V of device data
            ParameterSpec("peclet_per_volt", "1/V", -300.0, 300.0, description="Pe / V"),
            ParameterSpec("radius_ratio", "1", 0.01, 0.99, description="R_t / R_b"),
        ),
        None,
        guess,
        "conical fluidic memristor g_inf(V)/g0 (Kamsma et al. 2023), free Delta_g, Pe and R_t/R_b",
        function=function,
        spice_check=spice_check,
        device=lambda values, reference: _conical_device(values, reference, nodes),
    )


def _conical_device(values: dict, reference: str, nodes: int):
    """The conical memristor with the fitted g_inf(V)/g0 (published g0 and tau)."""
    rate = ConicalRate(values["delta_g"], values["peclet_per_volt"], values["radius_ratio"], nodes)
    base = conical_memristor()
    channel = base.channels[0]
    gate = dataclasses.replace(channel.gates[0], inf=rate)
    return dataclasses.replace(
        base,
        name="fitted-conical",
        channels=(dataclasses.replace(channel, gates=(gate,)),),
        description="conical memristor with the fitted Kamsma g_inf(V)",
        reference=reference,
    )


FIT_MODELS = {
    "conical": _conical,
    "channel-iv": _channel_iv,
    "ohmic": _ohmic,
    "boltzmann": boltzmann,
    "boltzmann-iv": boltzmann_iv,
    "oect": oect,
    "bistable-oect": bistable_oect,
    "sigmoid": _sigmoid,
    "ghk": _ghk,
}


def get_fit_model(name: str, **options: Any) -> FitModel:
    """A fit model by name; ``ghk`` needs ``temperature``, ``area`` and either ``ion``,
    ``c_in``, ``c_out`` or ``ions``; ``channel-iv`` takes ``channel`` and ``area``."""
    if isinstance(name, FitModel):
        return name
    if name not in FIT_MODELS:
        raise InvalidInput(f"fit model {name!r} is unknown; choose one of {', '.join(FIT_MODELS)}")
    try:
        return FIT_MODELS[name](**options)
    except TypeError as error:
        raise InvalidInput(f"fit model {name!r}: {error}") from None
