"""Voltage-clamp families with several gates per step (HH's sodium conductance, m^3 h).

Each step's conductance is the gates' own solution from their values at the holding potential:

.. math:: g(t) = g_\\max \\prod_j \\left[x_{j,\\infty} - (x_{j,\\infty} - x_{j,0})
          e^{-t/\\tau_j}\\right]^{p_j}

with x_inf and tau of every gate free per step and g_max shared by all steps (fitted when not
given). The starting values x_0 must be given: they fix the scale of each gate, which the
product alone leaves open (m -> lambda m with g_max -> g_max / lambda^3 is the same curve).
Hodgkin and Huxley took m_0 near 0 and measured h_0 with prepulses (J. Physiol. 116, 497,
1952); a model's own steady states at the holding potential serve as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from devicekit.errors import DataFormatError, InvalidInput
from devicekit.fit.base import FitModel, ParameterSpec
from devicekit.fit.core import fit

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.arraytypes import FloatArray
    from devicekit.fit.result import FitResult

__all__ = ["clamp_steps", "fit_gate_family"]

#: factors applied to each gate's guessed tau, and alternative x_inf, in the multistart
_TAU_FACTORS = (1 / 3, 3.0)


def clamp_steps(
    traces: pd.DataFrame, time: str, voltage: str, conductance: str, who: str
) -> tuple[list[tuple[float, FloatArray, FloatArray]], float, FloatArray, FloatArray]:
    """A family of clamp steps laid end to end for one fit: ``(steps, span, x, y)`` with
    ``steps`` the (level [V], t, g) of each step by level, step k's times shifted by k * span
    (1.1 times the longest trace), so that a figure of the fit shows the steps side by side."""
    for column in (time, voltage, conductance):
        if column not in traces:
            raise DataFormatError(
                f"{who}: the traces need column {column!r}; they have {list(traces.columns)}"
            )
    steps = []
    for level, trace in traces.groupby(voltage, sort=True):
        trace = trace.sort_values(time)
        steps.append(
            (float(level), trace[time].to_numpy(float), trace[conductance].to_numpy(float))
        )
    if not steps:
        raise DataFormatError(f"{who}: the traces are empty")
    span = 1.1 * max(float(t.max()) for _, t, _ in steps)
    xs = np.concatenate([k * span + t for k, (_, t, _) in enumerate(steps)])
    ys = np.concatenate([g for _, _, g in steps])
    return steps, span, xs, ys


def fit_gate_family(
    data: pd.DataFrame,
    gates: dict[str, int],
    g_max: float | None,
    start: dict[str, float],
    time: str,
    voltage: str,
    conductance: str,
    fixed: dict[str, float] | None = None,
) -> tuple[dict[float, FitResult], pd.DataFrame, FitResult, float | None]:
    """The joint fit behind ``fit_hh_kinetics(..., gates=...)``: (steps, table, result)."""
    import pandas as pd

    if not gates or any(not (isinstance(p, int) and 1 <= p <= 8) for p in gates.values()):
        raise InvalidInput(f"gates = {gates!r}: give each gate's power, 1 to 8 ({{'m': 3}})")
    missing = [name for name in gates if name not in (start or {})]
    if missing:
        raise InvalidInput(
            f"give the gates' values at the holding potential, start={{...}}, for {missing}: "
            "they fix each gate's scale (HH: m0 near 0, h0 about 0.6 from prepulses), for "
            "example start={'m': 0.05, 'h': 0.6}"
        )
    steps, span, xs, ys = clamp_steps(data, time, voltage, conductance, "fit_hh_kinetics")
    specs, guess = [], {}
    peak = max(float(np.max(g)) for _, _, g in steps)
    if g_max is None:
        specs.append(ParameterSpec("g_max", "S/m2", 0.0, np.inf, description="maximal g"))
        guess["g_max"] = 2.0 * peak
    for k, (_, t, g) in enumerate(steps):
        t_peak = max(float(t[int(np.argmax(g))]), float(t[1] - t[0]) if t.size > 1 else 1e-4)
        decays = g[-1] < 0.5 * np.max(g)
        for name in gates:
            rising = start[name] < 0.5
            specs += [
                ParameterSpec(f"{name}_inf@{k}", "1", 0.0, 1.0, description=f"{name}_inf"),
                ParameterSpec(f"tau_{name}@{k}", "s", 1e-7, 10.0, "ms", 1e3, f"tau_{name}"),
            ]
            guess[f"{name}_inf@{k}"] = 0.8 if rising else (0.05 if decays else start[name])
            guess[f"tau_{name}@{k}"] = t_peak / 3 if rising else max(t_peak, float(t.max()) / 5)
        guess.update(_best_start(gates, start, t, g, guess.get("g_max", g_max), k, guess))

    def function(x, values):
        k = np.clip(np.floor(x / span).astype(int), 0, len(steps) - 1)
        local = x - k * span
        out = np.full(x.shape, values.get("g_max", g_max))
        for name, power in gates.items():
            x_inf = np.array([values[f"{name}_inf@{i}"] for i in range(len(steps))])[k]
            tau = np.array([values[f"tau_{name}@{i}"] for i in range(len(steps))])[k]
            out = out * (x_inf - (x_inf - start[name]) * np.exp(-local / tau)) ** power
        return out

    model = FitModel(
        "hh-gates",
        "time",
        "conductance",
        tuple(specs),
        None,
        lambda x, y, _: dict(guess),
        f"{len(steps)} clamp steps, gates {gates}, g_max "
        + ("fitted" if g_max is None else "given"),
        function=function,
    )
    result = fit(model, (xs, ys), fixed=fixed, max_evaluations=20000)
    rows = []
    for k, (level, _, _) in enumerate(steps):
        row = {"voltage": level}
        for name in gates:
            x_inf, tau = result.values[f"{name}_inf@{k}"], result.values[f"tau_{name}@{k}"]
            se_x, se_tau = result.stderr[f"{name}_inf@{k}"], result.stderr[f"tau_{name}@{k}"]
            alpha, beta = x_inf / tau, (1 - x_inf) / tau
            row.update(
                {
                    f"{name}_inf": x_inf,
                    f"{name}_inf_stderr": se_x,
                    f"tau_{name}": tau,
                    f"tau_{name}_stderr": se_tau,
                    f"alpha_{name}": alpha,
                    f"alpha_{name}_stderr": np.hypot(se_x / tau, alpha * se_tau / tau),
                    f"beta_{name}": beta,
                    f"beta_{name}_stderr": np.hypot(se_x / tau, beta * se_tau / tau),
                }
            )
        rows.append(row)
    table = pd.DataFrame(rows).set_index("voltage")
    fitted_g_max = result.values.get("g_max", g_max)
    return {level: result for level, _, _ in steps}, table, result, fitted_g_max


def _step_curve(gates: dict, start: dict, t, g_max: float, p):
    out = np.full(t.shape, g_max)
    for i, (name, power) in enumerate(gates.items()):
        x_inf, tau = p[2 * i], p[2 * i + 1]
        out = out * (x_inf - (x_inf - start[name]) * np.exp(-t / tau)) ** power
    return out


def _best_start(gates: dict, start: dict, t, g, g_max: float, k: int, guess: dict) -> dict:
    """The best of a small grid of starts for step k alone (each gate's tau at 1/3 and 3 times
    its guess), each polished by a
    bounded least-squares fit of that step with g_max held. A product of relaxations has
    local minima (which gate is fast), so one start can end in the wrong one: in Hodgkin and
    Huxley's 6 mV step it left the residual 9% above the optimum."""
    from itertools import product

    from scipy.optimize import least_squares

    names = list(gates)
    choices = []
    for name in names:
        x0, tau0 = guess[f"{name}_inf@{k}"], guess[f"tau_{name}@{k}"]
        options = [(x0, tau0 * f) for f in _TAU_FACTORS]
        choices.append(options)
    low = np.tile([0.0, 1e-7], len(names))
    high = np.tile([1.0, 10.0], len(names))
    scale = np.tile([0.1, max(float(np.max(t)), 1e-6) / 10], len(names))
    best, best_rss = None, np.inf
    for combo in product(*choices):
        p0 = np.clip(np.array([v for pair in combo for v in pair]), low, high)
        fitted = least_squares(lambda p: _step_curve(gates, start, t, g_max, p) - g, p0,
                               bounds=(low, high), x_scale=scale, max_nfev=400)  # fmt: skip
        rss = float(np.sum(fitted.fun**2))
        if rss < best_rss:
            best, best_rss = fitted.x, rss
    out = {}
    for i, name in enumerate(names):  # a start on a bound would leave lmfit no covariance
        out[f"{name}_inf@{k}"] = float(np.clip(best[2 * i], 1e-4, 1 - 1e-4))
        out[f"tau_{name}@{k}"] = float(np.clip(best[2 * i + 1], 1e-6, 1.0))
    return out
