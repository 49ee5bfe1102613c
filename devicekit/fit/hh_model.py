"""``devicekit.fit_hh_model``: the rate forms of a whole Hodgkin-Huxley channel, fitted to every
voltage-clamp step at once.

Hodgkin and Huxley fitted each step on its own and then drew rate curves through the per-step
values (:func:`devicekit.fit_hh_kinetics`). Fitting the rate-form parameters of every gate to
all steps together is the modern alternative: each step's conductance is the channel's own
solution under the clamp, every gate relaxing from its steady state at the holding potential,

.. math:: g(t) = g_\\max \\prod_k \\left[x_{k,\\infty}(V) + (x_{k,\\infty}(V_h) - x_{k,\\infty}(V))
          e^{-t/\\tau_k(V)}\\right]^{p_k}

which is exact for a voltage step, so no ODE is integrated in the loop. ``verify_in_spice()``
reruns the clamp protocol on the compiled channel in ngspice and reads its gate states.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from devicekit.analyses import Transient
from devicekit.errors import InvalidInput
from devicekit.expr import evaluate
from devicekit.fit.base import FitModel, ParameterSpec, named_channel
from devicekit.fit.core import fit
from devicekit.fit.gates import clamp_steps
from devicekit.models.channels import HHChannel
from devicekit.models.kinetics import ROLE_KINDS
from devicekit.models.stimuli import VoltageClamp
from devicekit.simulation import as_membrane, simulate
from devicekit.units import KINDS

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.fit.result import FitResult

__all__ = ["fit_hh_model"]

#: rate-form fields fitted, by form (an exp rate's midpoint is held: it only rescales A)
FREE_FIELDS = {
    "exp": ("amplitude", "scale"),
    "sigmoid": ("amplitude", "midpoint", "scale"),
    "exp_linear": ("amplitude", "midpoint", "scale"),
}


def fit_hh_model(
    traces: pd.DataFrame,
    channel: str | HHChannel,
    *,
    holding: float,
    g_max: float | None = None,
    temperature: float | None = None,
    fixed: dict | None = None,
    time: str = "time",
    voltage: str = "voltage",
    conductance: str = "conductance",
    max_evaluations: int = 20000,
) -> FitResult:
    """Fit the rate forms of every gate of an HH channel to a family of clamp steps.

    Parameters
    ----------
    traces : pandas.DataFrame
        Long format, as :func:`devicekit.fit_hh_kinetics` takes it: ``time`` [s] from each
        step, ``voltage`` (the step's level) [V] and ``conductance`` [S/m^2] (or the units of
        ``g_max``).
    channel : HHChannel or str
        The channel whose rate forms start the fit (``"hh-squid:na"`` names a built-in's).
    holding : float
        Holding potential before every step [V]: the gates start at their steady state there.
    g_max : float, optional
        Held at this value when given; fitted when None.
    temperature : float, optional
        [K], for the channel's Q10 factor; default the model's (``hh-squid``: 6.3 degC).
    fixed : dict, optional
        Parameters held at given values, by name (``m.beta.scale``, ``g_max``).
    max_evaluations : int
        Evaluations of the closed form before the fit gives up (each is cheap: no ODE).

    Returns
    -------
    FitResult
        Parameters named ``<gate>.<alpha|beta|inf|tau>.<field>`` and ``g_max``; x of the
        result is the time of each step laid end to end (step k from k times the longest
        trace), so that its figure shows the steps side by side. ``fitted_channel(values)``
        on the model returns the channel with those values.
    """
    base, temperature = named_channel(channel, HHChannel, temperature)
    steps, span, xs, ys = clamp_steps(traces, time, voltage, conductance, "fit_hh_model")
    levels = np.array([v for v, _, _ in steps])
    phi = base.phi(temperature)
    specs, start = [], {}
    if g_max is None:
        specs.append(ParameterSpec("g_max", "S/m2", 0.0, np.inf, description="maximal g"))
    start["g_max"] = float(base.conductance if g_max is None else g_max)
    for gate in base.gates:
        for role in ("alpha", "beta", "inf", "tau"):
            rate = getattr(gate, role)
            if rate is None:
                continue
            if rate.form not in FREE_FIELDS:
                raise InvalidInput(
                    f"{gate.name}.{role} is a {rate.form!r} rate; fit_hh_model fits the standard "
                    f"forms {', '.join(FREE_FIELDS)}"
                )
            for name in FREE_FIELDS[rate.form]:
                path = f"{gate.name}.{role}.{name}"
                unit = KINDS[ROLE_KINDS[role]][0] if name == "amplitude" else "V"
                low = 0.0 if name == "amplitude" else -np.inf
                specs.append(ParameterSpec(path, unit, low, np.inf, description=f"{path}"))
                start[path] = float(getattr(rate, name))

    def with_values(values) -> HHChannel:
        gates = []
        for gate in base.gates:
            changes = {}
            for role in ("alpha", "beta", "inf", "tau"):
                rate = getattr(gate, role)
                if rate is None:
                    continue
                fields = {
                    name: values.get(f"{gate.name}.{role}.{name}", getattr(rate, name))
                    for name in FREE_FIELDS[rate.form]
                }
                changes[role] = replace(rate, **fields)
            gates.append(replace(gate, **changes))
        return replace(base, conductance=values.get("g_max", start["g_max"]), gates=tuple(gates))

    def function(x, values):
        fitted = with_values(values)
        k = np.clip(np.floor(x / span).astype(int), 0, len(steps) - 1)
        local = x - k * span
        out = np.full(x.shape, fitted.conductance)
        for gate in fitted.gates:
            x0 = _steady(gate, holding)
            x_inf = _steady(gate, levels)
            tau = _tau(gate, levels, phi)
            value = x_inf[k] + (x0 - x_inf[k]) * np.exp(-local / tau[k])
            out = out * value**gate.power
        return out

    def spice_check(values, x):
        return _clamped_in_spice(with_values(values), holding, levels, span, x, temperature)

    model = FitModel(
        f"hh-model:{base.name}",
        "time",
        "conductance",
        tuple(specs),
        None,
        lambda x, y, _: dict(start),
        f"the rate forms of channel {base.name} against {len(steps)} clamp steps at once",
        function=function,
        spice_check=spice_check,
    )
    held = dict(fixed or {})
    if g_max is not None:
        held.pop("g_max", None)
    result = fit(model, (xs, ys), fixed=held, max_evaluations=max_evaluations)
    result.fitted_channel = with_values(result.values)
    return result


def _steady(gate, v):
    return np.asarray(evaluate(gate.steady_state(), {"v": np.asarray(v, dtype=float)}))


def _tau(gate, v, phi: float):
    return np.asarray(evaluate(gate.time_constant(phi=phi), {"v": np.asarray(v, dtype=float)}))


def _clamped_in_spice(channel, holding, levels, span, x, temperature):
    """Each step as a voltage clamp of the compiled channel (1 cm^2, from the holding
    potential's steady state) in ngspice; g = g_max prod(x^p) from its gate-state columns."""
    out = np.empty_like(x)
    k_of = np.clip(np.floor(x / span).astype(int), 0, len(levels) - 1)
    membrane = as_membrane(channel, area=1e-4, temperature=temperature)
    for k, level in enumerate(levels):
        chosen = k_of == k
        local = x[chosen] - k * span
        clamp = VoltageClamp(holding, times=(0.0,), levels=(float(level),), edge=1e-9)
        tstop = float(local.max())
        frame = simulate(membrane.with_stimuli(clamp),
                         Transient(tstop, max_step=tstop / 4000, reltol=1e-6))  # fmt: skip
        g = np.full(frame.index.size, channel.conductance)
        for gate in channel.gates:
            g = g * frame[f"{channel.name}_{gate.name}"].to_numpy() ** gate.power
        out[chosen] = np.interp(local, frame.index.to_numpy(), g)
    return out
