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

import numpy as np

from devicekit.analyses import effective_timeout
from devicekit.crossings import spike_times
from devicekit.errors import InvalidInput, SimulationError
from devicekit.expr import evaluate, lambdify, to_text

__all__ = ["NativeResult", "integrate"]


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
    membrane,
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

    def rhs(t, y):
        if deadline is not None and time.monotonic() > deadline:
            raise _TimedOut(t)
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
    try:
        t_out, y_out, spikes, nfev = _segments(
            edges, samples, y0, rhs, crossing, clamp, method, rtol, atol, max_step, threshold
        )
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


def _segments(edges, samples, y, rhs, crossing, clamp, method, rtol, atol, max_step, threshold):
    """Integrate piecewise between stimulus breakpoints; samples, spikes and evaluations."""
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

        try:
            solution = segment(None if clamp else crossing)
        except ValueError:
            # scipy's event root finder can fail on LSODA's dense output when the trace only
            # touches the threshold; integrate without it and take crossings from the samples
            solution = segment(None)
            if not clamp and solution.success:
                spikes.extend(spike_times(solution.t, solution.y[0], threshold))
        if not solution.success:
            raise SimulationError(
                f"native integration failed at t = {solution.t[-1]:g} s: {solution.message}"
            )
        nfev += solution.nfev
        keep = np.isin(solution.t, wanted)
        t_out.append(solution.t[keep])
        y_out.append(solution.y[:, keep])
        if solution.t_events is not None:
            spikes.extend(solution.t_events[0])
        y = solution.y[:, -1]
    return t_out, y_out, spikes, nfev


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
