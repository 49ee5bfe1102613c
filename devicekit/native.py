"""Native (numpy/scipy) simulation of a membrane: the reference that SPICE is checked against.

The membrane's own equations (:meth:`~devicekit.models.membrane.Membrane.equations`) are
integrated with :func:`scipy.integrate.solve_ivp`, piecewise between the stimulus breakpoints so
that the integrator never steps across a corner. Spike times are located by solve_ivp's event
root-finding on the dense output, so they are as accurate as the integration itself.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from devicekit.analyses import effective_timeout
from devicekit.crossings import spike_times
from devicekit.electrochem.constants import CODATA
from devicekit.errors import InvalidInput, SimulationError
from devicekit.expr import evaluate, lambdify, to_text
from devicekit.models.pools import charge_pools

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.arraytypes import ArrayLike
    from devicekit.models.membrane import Membrane

__all__ = ["NativeResult", "check_pools", "clamped_pools", "integrate", "steady_state"]


@dataclass
class NativeResult:
    """Samples (a DataFrame indexed by time [s]) and event-located upward threshold crossings."""

    data: object  # pandas.DataFrame
    spike_times: np.ndarray
    threshold: float
    nfev: int


def _stimulus_functions(membrane, tstop):
    currents = [s for s in membrane.stimuli if not s.is_clamp]
    clamps = [s for s in membrane.stimuli if s.is_clamp]
    parts = [(s.waveform(tstop), 1.0 if s.per_area else 1.0 / membrane.area) for s in currents]

    def current_density(t: float) -> float:  # A/m^2
        return sum(f(t) * k for f, k in parts)

    if len(parts) == 1:
        f, k = parts[0]
        current_density = (lambda t: f(t)) if k == 1.0 else (lambda t: f(t) * k)
    return current_density, (clamps[0] if clamps else None)


def integrate(
    membrane: Membrane,
    tstop: float,
    *,
    sample_step: float | None = None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    method: str = "LSODA",
    threshold: float = 0.0,
    initial: dict | None = None,
    max_step: float = np.inf,
    timeout: float | None = None,
) -> NativeResult:
    """Integrate a membrane from its rest state (or ``initial``) to ``tstop`` [s].

    Parameters
    ----------
    membrane : Membrane
        The model with its stimuli.
    tstop : float
        End time [s].
    sample_step : float, optional
        Output sampling interval [s]; default tstop/20000.
    rtol, atol : float
        solve_ivp tolerances (states are V in volts and gates in [0, 1]). The test reference
        uses LSODA with rtol 1e-10, atol 1e-12.
    method : str
        solve_ivp method.
    threshold : float
        Voltage [V] whose upward crossings are reported as spike times (default 0 V).
    initial : dict, optional
        Initial state by name (``v`` and gate states); default: rest without stimulus.
    timeout : float, optional
        Wall-clock limit [s]; a longer integration stops with :class:`SimulationError`.

    Raises
    ------
    SimulationError
        When the integration fails, runs longer than ``timeout``, or an expression of the model
        cannot be evaluated (division by zero, overflow, a logarithm of a negative number),
        naming the expression and the state where it happened.
    """
    import pandas as pd

    if not (np.isfinite(tstop) and tstop > 0):
        raise InvalidInput(f"tstop = {tstop!r} s must be > 0")
    eq = membrane.equations()
    names = ["v", *eq.states]
    start = dict(membrane.resting_state())
    start.update(initial or {})
    y0 = np.array([start[n] for n in names], dtype=float)
    timeout = effective_timeout(timeout)
    expressions = {"the ionic current": eq.ionic_current}
    expressions.update({f"d{s}/dt": eq.derivatives[s] for s in eq.states})
    ionic = lambdify(eq.ionic_current, names)
    gate_rates = [lambdify(eq.derivatives[s], names) for s in eq.states]
    stimulus, clamp = _stimulus_functions(membrane, tstop)
    capacitance = membrane.capacitance
    deadline = None if timeout is None else time.monotonic() + timeout

    if clamp is None:

        def evaluate_rhs(t, y):
            y = y.tolist()
            dv = (stimulus(t) - ionic(*y)) / capacitance
            return [dv, *[f(*y) for f in gate_rates]]

    else:
        clamp_value = clamp.waveform(tstop)

        def evaluate_rhs(t, y):
            y = [clamp_value(t), *y.tolist()[1:]]
            return [0.0, *[f(*y) for f in gate_rates]]

    pools = [(names.index(p.name), p.name) for p in membrane.pools]

    def rhs(t, y):
        if deadline is not None and time.monotonic() > deadline:
            raise _TimedOut(t)
        for index, _ in pools:  # a trial step past an emptying (the event finds when)
            if not y[index] > 0:
                y = y.copy()
                y[index] = np.finfo(float).tiny
        try:
            return evaluate_rhs(t, y)
        except (ArithmeticError, ValueError) as error:  # ZeroDivision, Overflow, math domain
            raise _fault(error, t, dict(zip(names, y.tolist(), strict=True)), expressions) from None

        y0[0] = float(clamp.value(0.0))

    def crossing(t, y):
        return y[0] - threshold

    crossing.direction = 1.0
    edges = [0.0, *(b for s in membrane.stimuli for b in s.breakpoints(tstop)), tstop]
    edges = sorted(set(edges))
    sample_step = sample_step or tstop / 20000
    samples = np.linspace(0.0, tstop, round(tstop / sample_step) + 1)
    stops = [_pool_event(index) for index, _ in pools]
    try:
        t_out, y_out, spikes, nfev = _segments(
            edges, samples, y0, rhs, crossing, clamp, method, rtol, atol, max_step, threshold,
            stops,
        )  # fmt: skip
    except _Emptied as stop:
        raise _emptied(membrane, pools[stop.index][1], stop.t, 0.0) from None
    except _TimedOut as stop:
        raise SimulationError(
            f"the native integration took longer than its timeout of {timeout:g} s and was "
            f"stopped at t = {stop.t:g} s; give a larger timeout (--timeout) or a shorter tstop"
        ) from None
    t = np.concatenate(t_out)
    states = np.concatenate(y_out, axis=1)
    data = pd.DataFrame(dict(zip(names, states, strict=True)), index=pd.Index(t, name="time"))
    if clamp is not None:
        data["v"] = clamp.value(t)
        env = {n: data[n].to_numpy() for n in names}
        dvdt = np.gradient(data["v"].to_numpy(), t)
        data["clamp_current"] = membrane.area * (
            evaluate(eq.ionic_current, env) + capacitance * dvdt
        )
    else:
        data["stimulus"] = [stimulus(x) * membrane.area for x in t]
    return NativeResult(data, np.asarray(spikes), threshold, nfev)


def _pool_event(index: int):
    """A terminal event: pool ``index`` of the state vector reaches zero."""

    def emptied(t, y):
        return y[index]

    emptied.terminal, emptied.direction = True, -1.0
    return emptied


class _Emptied(Exception):
    def __init__(self, index: int, t: float):
        super().__init__(index, t)
        self.index, self.t = index, t


def _segments(edges, samples, y, rhs, crossing, clamp, method, rtol, atol, max_step, threshold,
              stops=()):  # fmt: skip
    """Integrate piecewise between stimulus breakpoints; samples, spikes and evaluations.
    ``stops`` are terminal events (a pool emptied), raised as :class:`_Emptied`."""
    from scipy.integrate import solve_ivp

    tstop = edges[-1]
    t_out, y_out, spikes, nfev = [], [], [], 0
    for a, b in itertools.pairwise(edges):
        last = b == tstop
        wanted = samples[(samples >= a) & ((samples <= b) if last else (samples < b))]
        t_eval = np.union1d(wanted, [b])  # b gives the state to restart the next segment from

        def segment(events, a=a, b=b, y=y, t_eval=t_eval):
            return solve_ivp(
                rhs,
                (a, b),
                y,
                method=method,
                rtol=rtol,
                atol=atol,
                t_eval=t_eval,
                events=events,
                max_step=max_step,
            )

        events = [*([] if clamp else [crossing]), *stops]
        try:
            solution = segment(events or None)
        except ValueError:
            # scipy's event root finder can fail on LSODA's dense output when the trace only
            # touches the threshold; integrate without it and take crossings from the samples
            events = list(stops)
            solution = segment(events or None)
            if not clamp and solution.success:
                spikes.extend(spike_times(solution.t, solution.y[0], threshold))
        if solution.status == 1:  # a terminal event: a pool emptied
            first = 0 if clamp or len(events) == len(stops) else 1
            for k, times in enumerate(solution.t_events[first:]):
                if len(times):
                    raise _Emptied(k, float(times[0]))
        if not solution.success:
            raise SimulationError(
                f"native integration failed at t = {solution.t[-1]:g} s: {solution.message}"
            )
        nfev += solution.nfev
        keep = np.isin(solution.t, wanted)
        t_out.append(solution.t[keep])
        y_out.append(solution.y[:, keep])
        if solution.t_events is not None and len(events) > len(stops):
            spikes.extend(solution.t_events[0])
        y = solution.y[:, -1]
    return t_out, y_out, spikes, nfev


def _emptied(membrane, pool: str, t: float, value: float) -> SimulationError:
    side = "inside" if pool.endswith("_in") else "outside"
    return SimulationError(
        f"model {membrane.name!r}: pool {pool} (the {side} concentration of "
        f"{pool.rsplit('_', 1)[0]}) fell to {value:.4g} mol/m^3 at t = {t:.6g} s; a "
        "concentration must stay > 0 (its Nernst battery is undefined there). The currents "
        "empty it faster than it is refilled: give the pool a larger volume, a relaxation "
        "(tau and bath), or smaller currents"
    )


def check_pools(membrane: Membrane, frame: pd.DataFrame) -> None:
    """Refuse a result in which a pool reached zero or below (or NaN), naming the first time."""
    for pool in membrane.pools:
        if pool.name not in frame:
            continue
        values = frame[pool.name].to_numpy()
        bad = ~(values > 0)
        if bad.any():
            k = int(np.argmax(bad))
            raise _emptied(membrane, pool.name, float(frame.index[k]), float(values[k]))


_FARADAY = CODATA.faraday


class _TimedOut(Exception):
    def __init__(self, t: float):
        super().__init__(t)
        self.t = t


def _fault(error: Exception, t: float, state: dict, expressions: dict) -> SimulationError:
    """The SimulationError for an arithmetic fault: which expression, at which state."""
    culprit = "the model's equations"
    with np.errstate(all="ignore"):
        for label, expression in expressions.items():
            try:
                lambdify(expression, list(state))(*state.values())
            except (ArithmeticError, ValueError):
                text = to_text(expression)
                text = text if len(text) <= 120 else text[:117] + "..."
                culprit = f"{label}, {text}"
                break
    where = ", ".join(f"{k} = {v:.6g}" for k, v in state.items())
    return SimulationError(
        f"the native integration cannot evaluate {culprit} at t = {t:g} s ({where}): "
        f"{type(error).__name__}: {error}; check the model's parameters"
    )


def steady_state(membrane: Membrane, *, tolerance: float = 1e-9) -> dict[str, float]:
    """The steady state of a membrane with ion pools, from its initial values: V, the gates
    and the pools where every derivative vanishes, found by Newton's method (scipy's ``root``).

    When every current is carried by ions in inside pools without relaxation (a pump-leak
    cell, :func:`~devicekit.models.pools.charge_pools`), they conserve the charge they hold
    with the membrane capacitor, so the steady states form a family; the one reached from the
    initial values has ``C A (V - V0) = F sum z Vol (c - c0)`` over those pools, and that
    equation replaces dV/dt = 0. Under a voltage clamp V is its value at t = 0.

    Returns
    -------
    dict
        ``v`` [V] and every state (pools in mol/m^3), as :meth:`Membrane.resting_state` does.

    Raises
    ------
    SimulationError
        When Newton's method does not converge to residuals below ``tolerance`` (relative).
    """
    from scipy.optimize import root

    eq = membrane.equations()
    names = ["v", *eq.states]
    start = membrane.resting_state()
    y0 = np.array([start[n] for n in names], dtype=float)
    conserved = charge_pools(membrane)
    clamps = [s for s in membrane.stimuli if s.is_clamp]
    if clamps:
        y0[0] = float(clamps[0].value(0.0))
    area = membrane.area
    charge = None
    if conserved:
        weights = np.zeros(len(names))
        weights[0] = membrane.capacitance * area
        for pool in conserved:
            weights[names.index(pool.name)] = -_FARADAY * pool.valence * pool.volume
        charge = (weights, float(weights @ y0), membrane.capacitance * area * 0.1)
    ionic = lambdify(eq.ionic_current, names)
    rates = [lambdify(eq.derivatives[s], names) for s in eq.states]
    scale = np.maximum(np.abs(y0), 1e-3)

    def residual(x):
        y = x * scale
        values = y.tolist()
        dv = -ionic(*values) / membrane.capacitance
        if clamps:  # V held by the clamp (at its t = 0 value)
            dv = (values[0] - float(clamps[0].value(0.0))) * 1e3
        out = [dv * 1e-3, *[f(*values) / s for f, s in zip(rates, scale[1:], strict=True)]]
        if charge is not None:
            weights, total, unit = charge
            out[0] = (float(weights @ y) - total) / unit
        return out

    with np.errstate(all="ignore"):
        solution = root(residual, y0 / scale, method="hybr", options={"xtol": 1e-15})
        y = solution.x * scale
        worst = float(np.max(np.abs(residual(solution.x))))
    if not np.all(np.isfinite(y)) or worst > tolerance:
        raise SimulationError(
            f"model {membrane.name!r}: no steady state found from the initial values (largest "
            f"scaled residual {worst:.3g}: {solution.message}); run a long transient instead"
        )
    return dict(zip(names, y.tolist(), strict=True))


def clamped_pools(membrane: Membrane, voltages: ArrayLike) -> dict[str, np.ndarray]:
    """Each pool's steady state under a DC voltage clamp at each voltage (the gates at their
    steady states there): where its ion's currents and pumps balance its relaxation, found by
    Newton's method from the pools' initial values, one voltage after another.

    Raises
    ------
    SimulationError
        When a voltage has no such steady state (a pool would empty, or Newton fails).
    """
    from scipy.optimize import root

    eq = membrane.equations()
    pools = [p.name for p in membrane.pools]
    gates = [s for s in eq.states if s not in pools]
    names = ["v", *gates, *pools]
    rates = [lambdify(eq.derivatives[p], names) for p in pools]
    scale = np.array([p.initial for p in membrane.pools], dtype=float)
    out = {p: np.empty(len(voltages)) for p in pools}
    guess = scale.copy()
    for i, v in enumerate(np.asarray(voltages, dtype=float)):
        fixed = [float(v), *(float(evaluate(eq.steady_states[g], {"v": v})) for g in gates)]

        def residual(x, fixed=fixed):
            c = (x * scale).tolist()
            return [f(*fixed, *c) / s for f, s in zip(rates, scale, strict=True)]

        with np.errstate(all="ignore"):
            solution = root(residual, guess / scale, method="hybr", options={"xtol": 1e-14})
        c = solution.x * scale
        with np.errstate(all="ignore"):
            worst = float(np.max(np.abs(residual(solution.x))))
        if not (worst < 1e-9 and np.all(c > 0) and np.all(np.isfinite(c))):
            raise SimulationError(
                f"model {membrane.name!r}: under a DC clamp at {v * 1e3:.4g} mV its pools "
                f"{', '.join(pools)} have no positive steady state ({solution.message}); a "
                "pool without relaxation settles only where its ion's currents balance"
            )
        guess = c
        for name, value in zip(pools, c, strict=True):
            out[name][i] = value
    return out
