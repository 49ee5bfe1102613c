"""Fitting routines that are more than one curve: permeability ratios from reversal-potential
shifts, and Hodgkin-Huxley voltage-clamp kinetics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from devicekit.analyses import Op
from devicekit.electrochem import ghk_voltage
from devicekit.errors import DataFormatError, InvalidInput
from devicekit.expr import Num, Sym, exp
from devicekit.fit.core import fit
from devicekit.fit.gates import fit_gate_family
from devicekit.fit.models import FitModel, ParameterSpec
from devicekit.fit.result import FitResult
from devicekit.models.channels import GHKChannel
from devicekit.models.ions import get_ion
from devicekit.models.kinetics import RateFunction, rate_expression
from devicekit.models.membrane import Membrane
from devicekit.simulation import simulate
from devicekit.spice.compiler import num
from devicekit.spice.engine import engine

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.arraytypes import ArrayLike

__all__ = ["KineticsResult", "fit_hh_kinetics", "fit_permeability_ratios"]


# ----------------------------------------------------------------------------- reversal
def fit_permeability_ratios(
    reversal_potentials: ArrayLike,
    inside: dict,
    outside: list[dict],
    *,
    reference: str = "K",
    temperature: float = 310.15,
    fixed: dict | None = None,
) -> FitResult:
    """Permeability ratios P_X/P_reference from reversal potentials measured under ion
    substitution, through the GHK voltage equation. ``fixed={"ratio_Cl": 0.45}`` holds ratios
    at given values.

    Parameters
    ----------
    reversal_potentials : array_like
        Measured reversal (zero-current) potential of each condition [V].
    inside : dict
        Inside concentrations by ion [mol/m^3], the same in every condition.
    outside : list of dict
        Outside concentrations by ion [mol/m^3], one dict per condition.
    reference : str
        The ion whose permeability is 1.
    temperature : float
        [K].

    Returns
    -------
    FitResult
        Parameters ``ratio_<ion>`` (dimensionless), one per ion other than the reference;
        ``x`` is the condition index. ``verify_in_spice`` builds, for each condition, a
        membrane of GHK channels with the fitted permeabilities and reads its zero-current
        potential from an ngspice operating point.
    """

    e = np.asarray(reversal_potentials, dtype=float)
    ions = sorted(inside)
    if reference not in ions:
        raise InvalidInput(f"reference ion {reference!r} is not among {ions}")
    if len(outside) != e.size:
        raise DataFormatError(f"{e.size} reversal potentials but {len(outside)} conditions")
    for k, condition in enumerate(outside):
        if sorted(condition) != ions:
            raise DataFormatError(
                f"condition {k} gives outside ions {sorted(condition)}; "
                f"every condition needs {ions}"
            )
    others = [ion for ion in ions if ion != reference]
    z = np.array([get_ion(ion).valence for ion in ions], dtype=float)
    c_in = np.array([inside[ion] for ion in ions])
    c_out = np.array([[condition[ion] for ion in ions] for condition in outside])

    def permeabilities(values):
        return np.array([1.0 if ion == reference else values[f"ratio_{ion}"] for ion in ions])

    def function(index, values):
        p = permeabilities(values)
        rows = c_out[np.asarray(index, dtype=int)]
        return np.array([ghk_voltage(p, c_in, row, z, temperature) for row in rows])

    def spice_check(values, index):
        import dataclasses

        p = permeabilities(values) * 1e-6  # absolute scale does not move the zero
        channels = tuple(
            GHKChannel(ion.lower(), ion, float(pk)) for ion, pk in zip(ions, p, strict=True)
        )
        base = Membrane("reversal", 0.01, 1e-4, channels, temperature, inside, outside[0])
        out = []
        for i in np.asarray(index, dtype=int):
            membrane = dataclasses.replace(base, outside=outside[i])
            out.append(simulate(membrane, Op()).iloc[0]["v"])
        return np.array(out)

    def guess(x, y, _):
        return {f"ratio_{ion}": 0.1 for ion in others}

    model = FitModel(
        "permeability-ratios",
        "condition",
        "reversal_potential",
        tuple(
            ParameterSpec(f"ratio_{ion}", "1", 0.0, 1e3, description=f"P_{ion} / P_{reference}")
            for ion in others
        ),
        None,
        guess,
        f"permeability ratios relative to {reference} from reversal potentials (GHK, "
        f"{temperature:g} K)",
        function=function,
        spice_check=spice_check,
    )
    return fit(model, (np.arange(e.size, dtype=float), e), fixed=fixed)


# ----------------------------------------------------------------------------- kinetics
@dataclass
class KineticsResult:
    """HH voltage-clamp kinetics: one fit per clamp step, and the rates derived from them.

    Attributes
    ----------
    steps : dict
        Clamp voltage [V] -> FitResult of that trace (parameters g_inf [S/m^2 or S],
        tau [s]).
    table : pandas.DataFrame
        Per clamp voltage: g_inf, tau, x_inf = (g_inf/g_max)^(1/p), alpha = x_inf/tau and
        beta = (1 - x_inf)/tau [1/s], each with its standard error.
    power : int
        The gate power p.
    """

    steps: dict
    table: object
    power: int
    g_max: float

    def fit_rate(
        self, which: str, form: str, *, fixed: dict[str, float] | None = None, **initial: float
    ) -> FitResult:
        """Fit a rate-function form (``exp``, ``sigmoid``, ``exp_linear``) to alpha(V) or
        beta(V); returns a FitResult whose parameters are amplitude [1/s], midpoint and
        scale [V].

        ``fixed={"scale": -0.018}`` holds parameters at the given values [SI]. An ``exp``
        rate has two free parameters, not three (``A exp((V - V0)/s)`` is the same curve for
        every V0 with ``A`` rescaled), so its midpoint is held at the mean clamp voltage,
        rounded to 1 mV, unless ``fixed`` gives it; the amplitude is then the rate there.
        """

        v = self.table.index.to_numpy()
        y = self.table[which].to_numpy()
        fixed = dict(fixed or {})
        if form == "exp" and "midpoint" not in fixed:
            fixed["midpoint"] = round(float(np.mean(v)), 3)

        def build(amplitude, midpoint, scale):
            return _rate_expression(form, amplitude, midpoint, scale)

        def guess(x, yy, _):
            start = {
                "amplitude": float(np.max(yy)),
                "midpoint": float(np.median(x)),
                "scale": 0.01 if form != "exp" else -0.02,
            }
            if form == "exp":  # a straight line of ln(rate) against V
                positive = yy > 0
                if positive.sum() >= 2:
                    slope, intercept = np.polyfit(x[positive], np.log(yy[positive]), 1)
                    if slope != 0:
                        start["scale"] = float(np.clip(1.0 / slope, -0.5, 0.5))
                    start["amplitude"] = float(np.exp(intercept + slope * fixed["midpoint"]))
            start.update(initial)
            return start

        RateFunction(form)  # validates the form name
        model = FitModel(
            f"{which}-{form}",
            "voltage",
            which,
            (
                ParameterSpec("amplitude", "1/s", 0.0, np.inf),
                ParameterSpec("midpoint", "V", -0.5, 0.5, "mV", 1e3),
                ParameterSpec("scale", "V", -0.5, 0.5, "mV", 1e3),
            ),
            build,
            guess,
            f"{which}(V) as a {form} rate",
        )
        return fit(model, (v, y), fixed=fixed)


def _rate_expression(form, amplitude, midpoint, scale):
    if form not in ("exp", "sigmoid", "exp_linear"):
        raise InvalidInput(f"rate form {form!r}: choose exp, sigmoid or exp_linear")
    return rate_expression(form, amplitude, midpoint, scale)


def _trace_model(power: int, g0: float, g_max: float) -> FitModel:
    """g(t) = [g_inf^(1/p) - (g_inf^(1/p) - g0^(1/p)) exp(-t/tau)]^p (HH 1952, eq. 10-11)."""

    t = Sym("v")  # the independent variable, here time [s]
    root0 = g0 ** (1.0 / power)

    def build(g_inf, tau):
        root = g_inf ** Num(1.0 / power)
        return (root - (root - root0) * exp(-t / tau)) ** Num(float(power))

    def guess(x, y, _):
        final = float(np.mean(y[-max(3, y.size // 10) :]))
        target = g0 + (1 - np.exp(-1)) * (final - g0)
        crossing = np.nonzero((y - target) * np.sign(final - g0) >= 0)[0]
        tau = (
            float(x[crossing[0]]) if crossing.size and x[crossing[0]] > 0 else float(np.ptp(x)) / 5
        )
        return {"g_inf": max(final, 1e-12 * g_max), "tau": max(tau, 1e-6)}

    def spice_check(values, times):
        return _trace_in_spice(power, g0, g_max, values["g_inf"], values["tau"], times)

    return FitModel(
        "hh-trace",
        "time",
        "conductance",
        (
            ParameterSpec("g_inf", "S/m2", 0.0, 10 * g_max, description="steady-state conductance"),
            ParameterSpec("tau", "s", 1e-7, 10.0, "ms", 1e3, "time constant"),
        ),
        build,
        guess,
        f"conductance relaxing with a gate of power {power}",
        spice_check=spice_check,
    )


def _trace_in_spice(power, g0, g_max, g_inf, tau, times):
    """The gate ODE dx/dt = (x_inf - x)/tau on a 1 F state node in ngspice, from x0, with
    g = g_max x^p; read at the given times."""

    x0, x_inf = (g0 / g_max) ** (1.0 / power), (g_inf / g_max) ** (1.0 / power)
    tstop = float(np.max(times))
    step = min(tau, tstop) / 2000
    product = "*".join(["V(x)"] * power)
    netlist = (
        "\n".join(
            [
                "* devicekit: HH gate relaxation of a fitted voltage-clamp step",
                "cx x 0 1",
                f"bx 0 x I = ({num(x_inf)} - V(x)) / {num(tau)}",
                f"bg g 0 V = {num(g_max)} * {product}",
                f".ic v(x)={num(x0)}",
                ".options reltol=1e-9 abstol=1e-18 vntol=1e-15",
                ".save v(g)",
                f".tran {num(step)} {num(tstop)} 0 {num(step)} uic",
                ".end",
            ]
        )
        + "\n"
    )
    run = engine().run(netlist, ["time", "v(g)"], expect_until=tstop)
    return np.interp(times, run.vectors["time"], run.vectors["v(g)"])


def fit_hh_kinetics(
    data: pd.DataFrame,
    *,
    power: int | None = None,
    g_max: float | None = None,
    g0: float | None = None,
    gates: dict | None = None,
    start: dict | None = None,
    fixed: dict | None = None,
    voltage: str = "voltage",
    time: str = "time",
    conductance: str = "conductance",
) -> KineticsResult:
    """Fit Hodgkin-Huxley voltage-clamp conductance traces, one clamp step at a time.

    Each trace g(t) after a step to voltage V is fitted as
    ``g = [g_inf^(1/p) - (g_inf^(1/p) - g0^(1/p)) exp(-t/tau)]^p`` (Hodgkin and Huxley 1952,
    J. Physiol. 117, 500), giving g_inf(V) and tau(V), and from them
    ``x_inf = (g_inf/g_max)^(1/p)``, ``alpha = x_inf/tau``, ``beta = (1 - x_inf)/tau``.

    Parameters
    ----------
    data : pandas.DataFrame
        Long format: columns ``time`` [s] (from the step), ``voltage`` (clamp level) [V] and
        ``conductance``.
    power : int
        Gate power p (4 for HH's potassium n).
    g_max : float
        Maximal conductance, in the units of the data.
    g0 : float, optional
        Conductance at the start of each step; default: each trace's first sample.
    gates : dict, optional
        Several gates per step, by name and power (``{"m": 3, "h": 1}`` for HH's sodium):
        every step is fitted with x_inf and tau of each gate, jointly with ``g_max`` (fitted
        when None; :mod:`devicekit.fit.gates`). The table then has ``<gate>_inf``,
        ``tau_<gate>``, ``alpha_<gate>``, ``beta_<gate>`` and their ``_stderr``.
    start : dict, optional
        With ``gates``: each gate's value at the holding potential (``{"m": 0.05, "h": 0.6}``),
        which fixes its scale.
    fixed : dict, optional
        Parameters held in every step's fit: ``g_inf`` or ``tau`` for one gate; ``g_max`` or
        ``<gate>_inf@<step>``, ``tau_<gate>@<step>`` with ``gates``.
    """
    import pandas as pd

    if gates is not None:
        if power is not None:
            raise InvalidInput("give power (one gate) or gates (several), not both")
        steps, table, joint, fitted = fit_gate_family(
            data, dict(gates), g_max, start, time, voltage, conductance, fixed
        )
        result = KineticsResult(steps, table, sum(gates.values()), fitted)
        result.joint = joint
        return result
    if power is None or g_max is None:
        raise InvalidInput("give power and g_max for one gate (or gates={...} for several)")

    for column in (time, voltage, conductance):
        if column not in data:
            raise DataFormatError(
                f"kinetics data needs column {column!r}; it has {list(data.columns)}"
            )
    if not (isinstance(power, int) and 1 <= power <= 8):
        raise InvalidInput(f"power = {power!r} must be an integer from 1 to 8")
    steps, rows = {}, []
    for level, trace in data.groupby(voltage, sort=True):
        trace = trace.sort_values(time)
        start = float(trace[conductance].iloc[0]) if g0 is None else g0
        result = fit(
            _trace_model(power, start, g_max),
            (trace[time].to_numpy(), trace[conductance].to_numpy()),
            fixed=fixed,
        )
        steps[float(level)] = result
        g_inf, tau = result.values["g_inf"], result.values["tau"]
        se_g, se_tau = result.stderr["g_inf"], result.stderr["tau"]
        x_inf = (g_inf / g_max) ** (1.0 / power)
        se_x = x_inf / (power * g_inf) * se_g if g_inf > 0 else np.nan
        alpha, beta = x_inf / tau, (1 - x_inf) / tau
        rows.append(
            {
                "voltage": float(level),
                "g_inf": g_inf,
                "g_inf_stderr": se_g,
                "tau": tau,
                "tau_stderr": se_tau,
                "x_inf": x_inf,
                "x_inf_stderr": se_x,
                "alpha": alpha,
                "beta": beta,
                "alpha_stderr": alpha * np.hypot(se_x / x_inf, se_tau / tau),
                "beta_stderr": beta * np.hypot(se_x / max(1 - x_inf, 1e-300), se_tau / tau),
            }
        )
    table = pd.DataFrame(rows).set_index("voltage")
    return KineticsResult(steps, table, power, g_max)
