"""Analyses that :func:`devicekit.simulate` runs: operating point, DC sweep and transient.

A transient's accuracy is chosen by a named preset. A preset is a fraction of the model's own
fastest relevant time constant (:meth:`~devicekit.models.membrane.Membrane.time_scale`), rounded
to one significant digit, so that a device of milliseconds is not stepped in microseconds, and a
relative tolerance. Each was measured against a tight scipy reference on hh-squid at 7, 10 and
20 uA/cm^2 (bench/bench_spice.py, results in bench/README.md), whose time scale is 0.111 ms:

============  ========  ===============  ======  =============================================
preset        fraction  hh-squid's step  reltol  largest spike-time error over 1 s (7/10/20)
============  ========  ===============  ======  =============================================
accurate      0.09      10 us            1e-4    default: 0.0003 / 0.0014 / 0.0037 ms
balanced      0.18      20 us            1e-4    0.015 / 0.012 / 0.010 ms, about twice as fast
fast          0.36      40 us            1e-3    0.032 / 0.011 / 0.009 ms, about four times as fast
============  ========  ===============  ======  =============================================

At reltol 1e-3 the error is set by Newton's tolerance and hardly depends on the step between 10
and 40 us; at 1e-4 it is set by the step. ``max_step`` and ``reltol`` given explicitly override
the preset. The frontier of every built-in is in bench/README.md.

The ``adaptive`` preset is for the ``vacask`` backend: a variable step and a variable order
(Adams-Moulton up to order 5, VACASK's ``tran_method="am"``), local truncation error held to
reltol 4e-9 of each unknown, steps of at most 9 time scales (1 ms for hh-squid). On hh-squid
over 1 s it keeps every spike within 0.0045 / 0.0019 / 0.0008 ms (7 / 10 / 20 uA/cm^2) in about
16,000 steps, in less time than NEURON's CVODE takes for 0.001 ms (bench/README.md). Order 6
takes fewer steps but fails on Morris-Lecar ("timestep too small": the higher Adams orders are
less stable). ngspice's variable step does not hold an HH spike train at any tolerance (its
Gear method stays at order 2), so the preset is refused there.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from devicekit.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MAX_DC_POINTS",
    "MAX_STEPS",
    "PRESETS",
    "VARIABLE_STEP_PRESETS",
    "Analysis",
    "DCSweep",
    "Op",
    "Transient",
    "check_timeout",
    "preset_step",
    "time_limit",
]

#: the largest tstop / max_step a transient may ask for (a run of 1e8 steps takes hours)
MAX_STEPS = 1e8
#: the most voltages a DC sweep may have
MAX_DC_POINTS = 1_000_000

#: preset name -> (largest step as a fraction of the model's time scale, reltol)
PRESETS: dict[str, tuple[float, float]] = {
    "accurate": (0.09, 1e-4),
    "balanced": (0.18, 1e-4),
    "fast": (0.36, 1e-3),
    "adaptive": (9.0, 4e-9),
}
#: the presets whose steps are chosen by the simulator's error control (the vacask backend)
VARIABLE_STEP_PRESETS = ("adaptive",)


def preset_step(preset: str, time_scale: float) -> float:
    """A preset's largest step [s] for a model of this time scale [s], rounded to one
    significant digit (hh-squid's 0.111 ms gives 10, 20 and 40 us)."""
    fraction = PRESETS[preset][0]
    return float(f"{fraction * time_scale:.0e}")


@dataclass(frozen=True)
class Op:
    """DC operating point (the stimuli at t = 0; rest when they are 0 then)."""

    kind = "op"


@dataclass(frozen=True)
class DCSweep:
    """Steady-state I-V: sweep a voltage clamp from ``start`` to ``stop`` [V] in ``step``.

    Every gate sits at its steady state at each voltage (a DC analysis). ``points`` adds exact
    voltages to the sweep (for example the 0/0 points of a model)."""

    start: float
    stop: float
    step: float
    points: tuple[float, ...] = ()
    kind = "dc"

    def __post_init__(self):
        if not (np.isfinite(self.step) and self.step > 0):
            raise InvalidInput(f"DC sweep step = {self.step!r} V must be > 0")
        if not self.stop > self.start:
            raise InvalidInput(
                f"DC sweep stop = {self.stop!r} V must exceed start = {self.start!r}"
            )
        for name in ("start", "stop"):
            if not np.isfinite(getattr(self, name)):
                raise InvalidInput(f"DC sweep {name} = {getattr(self, name)!r} V must be finite")
        points = (self.stop - self.start) / self.step
        if points > MAX_DC_POINTS:
            raise InvalidInput(
                f"DC sweep from {self.start!r} to {self.stop!r} V in steps of {self.step!r} V "
                f"has {points:.3g} points, more than the limit of {MAX_DC_POINTS:,}; use a "
                "larger step"
            )

    def voltages(self) -> np.ndarray:
        """The sweep voltages: start + k * step, each rounded to 12 significant digits (so that
        -0.1 + 8 * 0.005 is -0.06, not -0.060000000000000005), plus ``points``, sorted."""
        n = int(np.floor((self.stop - self.start) / self.step + 1e-9))
        grid = [float(f"{self.start + self.step * k:.12g}") for k in range(n + 1)]
        return np.union1d(grid, np.asarray(self.points, dtype=float))


@dataclass(frozen=True)
class Transient:
    """Transient analysis from rest to ``tstop`` [s].

    Parameters
    ----------
    tstop : float
        End time [s].
    preset : str
        ``accurate`` (default), ``balanced`` or ``fast``: a fraction of the model's fastest
        time constant as the largest step, and a tolerance; or ``adaptive`` (the vacask
        backend: variable step and order). See the module docstring.
    max_step, reltol : float, optional
        Override the preset's largest internal step [s] and relative tolerance.
    sample : float, optional
        Output interval [s] for the native backend (SPICE returns its own time points).
    """

    tstop: float
    preset: str = "accurate"
    max_step: float | None = None
    reltol: float | None = None
    sample: float | None = None
    kind = "tran"

    def __post_init__(self):
        if not (np.isfinite(self.tstop) and self.tstop > 0):
            raise InvalidInput(f"tstop = {self.tstop!r} s must be > 0, for example 0.2 (200 ms)")
        if self.preset not in PRESETS:
            raise InvalidInput(
                f"transient preset {self.preset!r} is unknown; choose one of {', '.join(PRESETS)}"
            )
        if self.max_step is not None and not (self.max_step > 0 and self.max_step <= self.tstop):
            raise InvalidInput(f"max_step = {self.max_step!r} s must be in (0, tstop]")
        if self.reltol is not None and not (1e-9 <= self.reltol <= 1e-2):
            raise InvalidInput(f"reltol = {self.reltol!r} must be between 1e-9 and 1e-2")
        if self.sample is not None and not (np.isfinite(self.sample) and self.sample > 0):
            raise InvalidInput(f"sample = {self.sample!r} s must be > 0")
        for step in (self.max_step, self.sample):
            if step is not None:
                self._check_steps(step)

    def _check_steps(self, step: float) -> None:
        if self.tstop / step > MAX_STEPS:
            raise InvalidInput(
                f"tstop = {self.tstop:g} s at steps of {step:g} s is {self.tstop / step:.3g} "
                f"steps, more than the limit of {MAX_STEPS:.0e}; shorten tstop or give a "
                "larger max_step"
            )

    @property
    def variable_step(self) -> bool:
        """Whether the simulator's error control chooses the steps (the ``adaptive`` preset)."""
        return self.preset in VARIABLE_STEP_PRESETS

    def settings(self, time_scale: float, *, variable_step: bool = False) -> tuple[float, float]:
        """(max step [s], reltol) for a model of this time scale [s] (its fastest relevant
        time constant), after applying overrides; the step is at most tstop. A simulator that
        cannot run the ``adaptive`` preset calls this without ``variable_step`` and gets an
        error that names the backend that can."""
        if self.variable_step and not variable_step:
            raise InvalidInput(
                f"preset {self.preset!r} (variable step and order) runs in VACASK: give "
                "backend='vacask' (--backend vacask), or choose accurate, balanced or fast "
                "for ngspice"
            )
        _, reltol = PRESETS[self.preset]
        step = self.max_step or min(preset_step(self.preset, time_scale), self.tstop)
        self._check_steps(step)
        return (step, self.reltol or reltol)


#: any analysis: an operating point, a DC sweep or a transient
Analysis: TypeAlias = Op | DCSweep | Transient


def check_timeout(timeout: object) -> None:
    """A timeout is None (no limit) or a positive number of seconds."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise InvalidInput(
            f"timeout = {timeout!r} must be a positive number of seconds (or None for no limit)"
        )


_TIME_LIMIT: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "devicekit_time_limit", default=None
)


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Within this block, every simulation run that is given no timeout of its own stops after
    ``seconds`` of wall-clock time with :class:`~devicekit.errors.SimulationError` (used by the
    CLI's ``--timeout`` for commands that run many simulations: ``fit --verify``, ``demo``)."""
    check_timeout(seconds)
    token = _TIME_LIMIT.set(seconds)
    try:
        yield
    finally:
        _TIME_LIMIT.reset(token)


def effective_timeout(timeout: float | None) -> float | None:
    """``timeout`` if given, else the limit of an enclosing :func:`time_limit` block."""
    check_timeout(timeout)
    return _TIME_LIMIT.get() if timeout is None else timeout
