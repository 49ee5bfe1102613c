"""The ``bistable-oect`` fit model: a hysteretic OECT transfer curve, both sweep directions at
once, from the free energy of the channel's doping (Bongartz et al., Nat. Commun. 15, 6819,
2024).

The doped fraction psi of the channel has a free energy per site with the entropy of mixing
and an enthalpic interaction, G(psi) = (1/a) [kT (psi ln psi + (1 - psi) ln(1 - psi)) + p psi^2
+ q psi + r], and the gate sets its chemical potential, mu(psi) = dG/dpsi = -e (V_G - V_0). In
volts that is the gate voltage of each doping,

.. math:: V_G(\\psi) = V_0 - \\beta \\ln\\frac{\\psi}{1 - \\psi} - \\gamma (\\psi - 1/2),
          \\qquad \\beta = \\frac{kT}{e a}, \\quad \\gamma = \\frac{2 p}{e a}

(q and r only shift V_0 and G). When gamma < -4 beta (p < -2 kT, an attraction between doped
sites) V_G(psi) folds: two stable branches, psi above psi_+ and below psi_-, where
psi (1 - psi) = -beta / gamma, and the device is bistable between V_G(psi_-) and V_G(psi_+).
Sweeping the gate, psi follows its branch until the branch ends and then jumps: quasi-statically,
as Bongartz et al. analyse it. The drain current at the fixed drain voltage is
I_D = I_off + (I_on - I_off) psi (their normalised current is psi). devicekit's choices: the
constant part of mu is V_0 (their q and shift), and beta, gamma are fitted in volts; with the
temperature, a = kT/(e beta) and p = a e gamma / 2 compare with their fit (a = 0.0148, and their
h_dd, h_uu, h_du follow from p and q).

A real channel does not switch at once: devicekit's choice is that its regions switch at V_0
spread normally (``spread``, the standard deviation), which turns the jumps into the measured
smooth transitions. On a branch psi depends on V_G - V_0 alone, so each branch is tabulated once
from the explicit V_G(psi) and averaged over the Gaussian on a grid of 241 points, the cell
holding the jump split between the branches (second order: 1e-4 from an adaptive quadrature).

The ngspice check runs the same gate sweep as a transient of the state s = logit(psi), which
relaxes along ds/dt = r (V_G(s) - V_gate): stable on the branches, running away across the
fold, so the loop forms by itself, in ``SPICE_REGIONS`` regions at the spread's quantiles.
"""

from __future__ import annotations

from dataclasses import replace
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from devicekit.electrochem.constants import thermal_voltage
from devicekit.errors import DataFormatError
from devicekit.fit.base import FitModel, ParameterSpec
from devicekit.spice.compiler import num
from devicekit.spice.engine import engine

if TYPE_CHECKING:
    from devicekit.arraytypes import ArrayLike, FloatArray

__all__ = ["bistable_oect", "branch_doping", "switching_voltages"]


def gate_voltage(psi, v0, beta, gamma):
    """V_G(psi) [V] of the equilibrium doping psi."""
    psi = np.asarray(psi, dtype=float)
    return v0 - beta * (np.log(psi) - np.log1p(-psi)) - gamma * (psi - 0.5)


def folds(beta, gamma):
    """(psi_-, psi_+), the ends of the two stable branches, or None without bistability."""
    if not gamma < -4.0 * beta:
        return None
    root = np.sqrt(1.0 + 4.0 * beta / gamma)
    return 0.5 * (1.0 - root), 0.5 * (1.0 + root)


def switching_voltages(v0: float, beta: float, gamma: float) -> tuple[float, float] | None:
    """(down, up): the gate voltage where the forward sweep leaves the doped branch, and where
    the backward sweep leaves the undoped one; None without bistability."""
    ends = folds(beta, gamma)
    if ends is None:
        return None
    low, high = ends
    return float(gate_voltage(high, v0, beta, gamma)), float(gate_voltage(low, v0, beta, gamma))


def _solve(v, lo, hi, v0, beta, gamma):
    """psi in (lo, hi) with V_G(psi) = v, where V_G decreases: bisection, all points at once."""
    lo, hi = np.full(v.shape, lo), np.full(v.shape, hi)
    for _ in range(56):  # 2^-56 of the bracket: below double precision
        mid = 0.5 * (lo + hi)
        above = gate_voltage(mid, v0, beta, gamma) > v  # psi too small
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def branch_doping(
    v: ArrayLike, forward: ArrayLike, v0: float, beta: float, gamma: float
) -> FloatArray:
    """psi at gate voltages ``v`` on a sweep's branch: ``forward`` (increasing V_G, from the
    doped state) or backward, quasi-statically."""
    v = np.asarray(v, dtype=float)
    forward = np.asarray(forward, dtype=bool)
    tiny = 1e-15
    ends = folds(beta, gamma)
    if ends is None:
        return _solve(v, tiny, 1 - tiny, v0, beta, gamma)
    low, high = ends
    up_end = gate_voltage(high, v0, beta, gamma)  # the doped branch exists for V <= this
    down_end = gate_voltage(low, v0, beta, gamma)  # the undoped branch for V >= this
    doped = _solve(v, high, 1 - tiny, v0, beta, gamma)
    undoped = _solve(v, tiny, low, v0, beta, gamma)
    on_doped = np.where(forward, v <= up_end, v < down_end)
    return np.where(on_doped, doped, undoped)


#: the spread of V_0 over the channel, natively: a Gaussian on a fine grid (+-6 standard
#: deviations, 241 points), so that the mean of the regions' jumps is a smooth curve
_SPREAD_GRID = np.linspace(-6.0, 6.0, 241)
_SPREAD_DENSITY = np.exp(-0.5 * _SPREAD_GRID**2) / np.exp(-0.5 * _SPREAD_GRID**2).sum()
#: and in ngspice: this many regions, each of equal weight, at the Gaussian's quantiles
SPICE_REGIONS = 48


def _branch(s_low: float, s_high: float, beta: float, gamma: float):
    """(V_G, psi) along a branch, psi = 1/(1 + exp(-s)) for s in [s_low, s_high], ordered by
    increasing V_G: the inverse function tabulated from the explicit V_G(psi), densest where
    psi changes (|s| < 12) and exact at the fold (psi_- or psi_+ is an end of the table)."""
    core = np.linspace(max(s_low, -12.0), min(s_high, 12.0), 2001)
    s = np.unique(np.concatenate([np.linspace(s_low, s_high, 3001), core]))
    psi = 0.5 * (1.0 + np.tanh(0.5 * s))
    v = gate_voltage(np.clip(psi, 1e-300, 1.0 - 1e-16), 0.0, beta, gamma)
    return v[::-1], psi[::-1]


def _logit(psi: float) -> float:
    return float(np.log(psi) - np.log1p(-psi))


def mean_doping(v, forward, values):
    """psi averaged over the channel's regions, whose V_0 spreads normally with standard
    deviation ``spread`` around ``v0`` (each region switches on its own branch). On a branch
    psi depends on V_G - V_0 alone, so one table of each branch serves every region."""
    v = np.asarray(v, dtype=float)
    forward = np.asarray(forward, dtype=bool)
    beta, gamma = values["beta"], values["gamma"]
    x = v[..., None] - values["v0"] - values["spread"] * _SPREAD_GRID  # V_G - V_0 per region
    # psi reaches the last double before 1 (or 0) where V_G - V_0 = -+ beta * 37
    reach = min((float(np.max(np.abs(x))) + abs(gamma)) / beta + 40.0, 745.0)
    ends = folds(beta, gamma)
    if ends is None:
        table_v, table_psi = _branch(-reach, reach, beta, gamma)
        psi = np.interp(x, table_v, table_psi)
    else:
        low, high = ends
        doped_v, doped_psi = _branch(_logit(high), reach, beta, gamma)
        undoped_v, undoped_psi = _branch(-reach, _logit(low), beta, gamma)
        # a region is on the doped branch where x is below its end (forward: the doped
        # branch's fold; backward: the undoped one's), i.e. above a u* on the grid; the grid
        # cell holding u* counts by the fraction of it on each side, which turns the jump's
        # first-order error into a second-order one (0.3% to 1e-5 at a 0.05 sigma grid)
        end = np.where(forward, doped_v[-1], undoped_v[0])[..., None]
        step = _SPREAD_GRID[1] - _SPREAD_GRID[0]
        if values["spread"] > 0:
            u_star = (v[..., None] - values["v0"] - end) / values["spread"]
            on_doped = np.clip((_SPREAD_GRID - u_star) / step + 0.5, 0.0, 1.0)
        else:
            on_doped = (x <= end).astype(float)
        doped = np.interp(x, doped_v, doped_psi)
        psi = doped * on_doped + np.interp(x, undoped_v, undoped_psi) * (1.0 - on_doped)
    return psi @ _SPREAD_DENSITY


def _layout(data):
    """(gate voltages, forward flags) of a data set with a ``sweep`` column."""
    if "sweep" not in data or "gate_voltage" not in data:
        raise DataFormatError(
            "bistable-oect fits both directions of a transfer curve: the data need "
            "gate_voltage and the sweep direction (a [protocol] sweep = 'gate_voltage')"
        )
    return data["gate_voltage"].to_numpy(float), (data["sweep"] == "forward").to_numpy()


def bistable_oect(temperature: float = 293.0) -> FitModel:
    """The model; fitted to a DataFrame with ``gate_voltage``, ``drain_current`` and ``sweep``
    (the loader labels a protocol's sweep directions). x of the fit is the gate voltage of
    forward points and the gate voltage + 10 V of backward ones, so that the figure shows the
    two directions side by side."""

    def from_data(data):
        return _model(temperature), data.assign(sweep_position=sweep_positions(data))

    return replace(_model(temperature), from_data=from_data)


OFFSET = 10.0  # V: backward points sit at V_G + OFFSET on the fit's x axis


def _model(temperature):
    def function(x, values):
        backward = x > OFFSET / 2
        gate = np.where(backward, x - OFFSET, x)
        psi = mean_doping(gate, ~backward, values)
        return values["i_off"] + (values["i_on"] - values["i_off"]) * psi

    def guess(x, y, _):
        backward = x > OFFSET / 2
        gate = np.where(backward, x - OFFSET, x)
        on, off = float(y[np.argmax(np.abs(y))]), float(y[np.argmin(np.abs(y))])
        middle = 0.5 * (on + off)
        halves = [
            float(gate[chosen][np.argmin(np.abs(y[chosen] - middle))])
            for chosen in (~backward, backward)
            if chosen.any()
        ]
        v0 = float(np.mean(halves))
        # the branches' shape: the best of a coarse grid of beta and gamma / beta, from
        # gradual (no fold) to strongly folded, by the residual of the data
        best, start = np.inf, {}
        for beta in (0.02, 0.05, 0.1, 0.2, 0.4):
            for ratio in (-2.0, -4.5, -6.0, -8.0, -12.0):
                for spread in (0.03, 0.1, 0.2, 0.3):
                    trial = {"v0": v0, "beta": beta, "gamma": ratio * beta, "spread": spread,
                             "i_on": on, "i_off": off}  # fmt: skip
                    residual = float(np.sum((function(x, trial) - y) ** 2))
                    if residual < best:
                        best, start = residual, trial
        return start

    def spice_check(values, x):
        return loop_in_spice(values, x)

    return FitModel(
        "bistable-oect",
        "sweep_position",
        "drain_current",
        (
            ParameterSpec("v0", "V", -10.0, 10.0, "mV", 1e3, "gate voltage of half doping"),
            ParameterSpec("beta", "V", 1e-4, 10.0, "mV", 1e3, "kT/(e a): entropic scale"),
            ParameterSpec("gamma", "V", -50.0, 50.0, "mV", 1e3, "2p/(e a): interaction"),
            ParameterSpec("spread", "V", 1e-4, 5.0, "mV", 1e3, "spread of v0 over the channel"),
            ParameterSpec("i_on", "A", -np.inf, np.inf, description="current, fully doped"),
            ParameterSpec("i_off", "A", -np.inf, np.inf, description="current, undoped"),
        ),
        None,
        guess,
        "bistable OECT (Bongartz et al. 2024): quasi-static branches of the doping free energy",
        function=function,
        spice_check=spice_check,
        derived=lambda values, errors: _thermodynamics(values, errors, temperature),
    )


def _thermodynamics(values: dict, errors: dict, temperature: float) -> dict:
    """Bongartz et al.'s a = kT/(e beta) and interaction p = kT gamma / (2 beta) [meV], for the
    comparison with their fit (a = 0.0148); standard errors from beta's and gamma's,
    correlation left out."""
    thermal = thermal_voltage(temperature)
    beta, gamma = values["beta"], values["gamma"]
    a = thermal / beta
    p = thermal * gamma / (2 * beta) * 1e3
    relative_beta = errors["beta"] / beta
    relative_p = float(np.hypot(errors["gamma"] / gamma, relative_beta)) if gamma else np.nan
    return {"a": (a, a * relative_beta, "1"), "p": (p, abs(p) * relative_p, "meV")}


def sweep_positions(data):
    """x of the fit for a data set: gate voltage, + OFFSET on the backward sweep."""
    v, forward = _layout(data)
    return np.where(forward, v, v + OFFSET)


def loop_in_spice(values: dict, x, rate: float = 1e5, period: float = 1.0) -> np.ndarray:
    """The gate swept up and back as a transient in ngspice (a triangle over ``period`` [s]):
    each of the ``SPICE_REGIONS`` regions of the channel (V_0 at the quantiles of the spread of
    :func:`mean_doping`, equal weights) has its doping state s = logit(psi) on a node,
    relaxing with ``rate`` [1/(V s)]; I_D is read where the sweep passes each point's gate
    voltage in its direction."""
    backward = x > OFFSET / 2
    gate = np.where(backward, x - OFFSET, x)
    low, high = float(gate.min()), float(gate.max())
    beta, gamma = values["beta"], values["gamma"]
    lines = [
        "* devicekit: bistable OECT, gate swept up and back",
        f"vg g 0 PWL(0 {num(low)} {num(period / 2)} {num(high)} {num(period)} {num(low)})",
    ]
    starts, psis = [], []
    quantiles = [NormalDist().inv_cdf((k + 0.5) / SPICE_REGIONS) for k in range(SPICE_REGIONS)]
    for i, node in enumerate(quantiles):
        v0 = values["v0"] + values["spread"] * float(node)
        psi0 = float(branch_doping(np.array([low]), np.array([True]), v0, beta, gamma)[0])
        starts.append(f"v(s{i})={num(np.log(psi0) - np.log1p(-psi0))}")
        psi = f"(1/(1 + exp(-V(s{i}))))"
        psis.append(psi)
        lines += [
            f"cs{i} s{i} 0 1",
            f"bs{i} 0 s{i} I = {num(rate)} * ({num(v0)} - {num(beta)} * V(s{i}) - "
            f"{num(gamma)} * ({psi} - 0.5) - V(g))",
        ]
    span = f"({num(values['i_on'])} - {num(values['i_off'])})"
    lines += [
        f"bid id 0 V = {num(values['i_off'])} + {span} * ({' + '.join(psis)}) / {SPICE_REGIONS}",
        *(".ic " + " ".join(starts[i : i + 6]) for i in range(0, len(starts), 6)),
        ".options reltol=1e-6",
        ".save v(g) v(id)",
        f".tran {num(period / 20000)} {num(period)} 0 {num(period / 20000)} uic",
        ".end",
    ]
    run = engine().run("\n".join(lines) + "\n", ["time", "v(g)", "v(id)"], expect_until=period)
    t, current, swept = run.vectors["time"], run.vectors["v(id)"], run.vectors["v(g)"]
    up = t <= period / 2
    out = np.empty_like(gate)
    out[~backward] = np.interp(gate[~backward], swept[up], current[up])
    order = np.argsort(swept[~up])
    out[backward] = np.interp(gate[backward], swept[~up][order], current[~up][order])
    return out
