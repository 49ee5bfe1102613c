"""Stimuli: current injections and voltage clamps.

Every stimulus gives its waveform three ways from the same numbers: :meth:`value` (numpy),
:meth:`breakpoints` (where the native integrator must stop and restart) and :meth:`spice` (an
ngspice source specification). Edges are linear ramps of duration ``edge`` (default 1 us) in all
three, so the native reference and ngspice integrate exactly the same input.

Current amplitudes are per membrane area [A/m^2] when ``per_area`` is true (the default; the
compiler multiplies by the membrane area), else absolute [A]. Positive current is injected into
the cell (depolarising). A :class:`VoltageClamp` holds the membrane voltage [V] instead.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np

from devicekit.arraytypes import ArrayLike, FloatArray
from devicekit.errors import InvalidInput
from devicekit.models.parameters import both, card, quantity

__all__ = [
    "DC",
    "STIMULUS_KINDS",
    "Pulse",
    "Sine",
    "SineClamp",
    "StepTrain",
    "Stimulus",
    "VoltageClamp",
]

DEFAULT_EDGE = 1e-6


def _current_kind(stimulus: Any) -> str:
    return "current_density" if stimulus.per_area else "current"


#: a current is per area or absolute by its unit (read from cards in this order)
_CURRENT_UNITS = {"current_density": {"per_area": True}, "current": {"per_area": False}}


def _current(default: Any = dataclasses.MISSING) -> Any:
    return field(
        default=default,
        metadata=both(
            quantity(_current_kind, doc="injected current"), card(alternatives=_CURRENT_UNITS)
        ),
    )


def _per_area(default: bool = True) -> Any:
    """Whether the currents are per area: cards tell it by their unit."""
    return field(default=default, metadata=card(skip=True))


def _time(default: Any = dataclasses.MISSING) -> Any:
    return field(default=default, metadata=quantity("time", low=0.0))


def _voltage(default: Any = dataclasses.MISSING) -> Any:
    return field(default=default, metadata=quantity("voltage"))


_FREQUENCY = quantity("frequency", low=0.0, doc="frequency")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidInput(message)


def check_finite(stimulus: Stimulus) -> None:
    """Refuse a stimulus any of whose numbers (amplitude, times, levels...) is NaN or infinite:
    nothing downstream could give a right answer with it."""
    for item in dataclasses.fields(stimulus):
        value = getattr(stimulus, item.name)
        values = value if isinstance(value, (tuple, list)) else (value,)
        for number in values:
            number_like = isinstance(number, (int, float)) and not isinstance(number, bool)
            if number_like and not np.isfinite(number):
                raise InvalidInput(
                    f"{stimulus.kind} stimulus {item.name} = {number!r} must be a finite number"
                )


def _fmt(x: float) -> str:
    return repr(float(x))


def _pwl_points(
    times: Sequence[float], levels: Sequence[float], edge: float, initial: float
) -> list[tuple[float, float]]:
    """Corner points of a piecewise-constant waveform with ramps of length ``edge``."""
    points = [(0.0, initial)]
    previous = initial
    for t, level in zip(times, levels, strict=True):
        points.append((t, previous))
        points.append((t + edge, level))
        previous = level
    return points


def _interp(points: Sequence[tuple[float, float]], t: ArrayLike) -> FloatArray:
    tp = [float(p[0]) for p in points]
    vp = [float(p[1]) for p in points]
    result: FloatArray = np.interp(np.asarray(t, dtype=float), tp, vp)
    return result


def _scalar_interp(points: Sequence[tuple[float, float]]) -> Callable[[float], float]:
    """A fast scalar t -> value for piecewise-linear corner points (for ODE right-hand sides)."""
    import bisect

    tp = [float(p[0]) for p in points]
    vp = [float(p[1]) for p in points]

    def waveform(t: float) -> float:
        i = bisect.bisect_right(tp, t)
        if i == 0:
            return vp[0]
        if i == len(tp):
            return vp[-1]
        t0, t1 = tp[i - 1], tp[i]
        return vp[i - 1] + (vp[i] - vp[i - 1]) * (t - t0) / (t1 - t0)

    return waveform


class _Piecewise:
    """A waveform given by its corner points (piecewise linear): value, breakpoints and the
    scalar waveform all come from :meth:`_corners`."""

    def _corners(self, tstop: float) -> list[tuple[float, float]]:
        raise NotImplementedError

    def value(self, t: ArrayLike) -> FloatArray:
        t = np.asarray(t, dtype=float)
        return _interp(self._corners(float(np.max(t)) if t.size else 0.0), t)

    def breakpoints(self, tstop: float) -> list[float]:
        return sorted({p[0] for p in self._corners(tstop) if 0 < p[0] < tstop})

    def waveform(self, tstop: float) -> Callable[[float], float]:
        return _scalar_interp(self._corners(tstop))


@dataclass(frozen=True)
class DC:
    """A constant current, present also in the operating point."""

    amplitude: float = _current()
    per_area: bool = _per_area()
    kind = "dc"
    is_clamp = False

    def value(self, t: ArrayLike) -> FloatArray:
        return np.full_like(np.asarray(t, dtype=float), self.amplitude)

    def breakpoints(self, tstop: float) -> list[float]:
        return []

    def waveform(self, tstop: float) -> Callable[[float], float]:
        amplitude = float(self.amplitude)
        return lambda t: amplitude

    def spice(self, scale: float, tstop: float) -> str:
        return f"DC {_fmt(self.amplitude * scale)}"


@dataclass(frozen=True)
class Pulse(_Piecewise):
    """A current step or pulse train from 0: on at ``delay`` for ``width`` (None: until the end),
    repeating every ``period`` (None: once). ``Pulse(10uA/cm2)`` is a step from rest at t = 0."""

    amplitude: float = _current()
    delay: float = _time(0.0)
    width: float | None = _time(None)
    period: float | None = _time(None)
    edge: float = _time(DEFAULT_EDGE)
    per_area: bool = _per_area()
    kind = "pulse"
    is_clamp = False

    def __post_init__(self) -> None:
        _check(self.delay >= 0, f"pulse delay = {self.delay!r} s must be >= 0")
        _check(self.edge > 0, f"pulse edge = {self.edge!r} s must be > 0")
        if self.width is not None:
            _check(self.width > 0, f"pulse width = {self.width!r} s must be > 0")
        if self.period is not None:
            _check(
                self.width is not None and self.period > self.width + 2 * self.edge,
                f"pulse period = {self.period!r} s must exceed its width plus two edges",
            )

    def _corners(self, tstop: float) -> list[tuple[float, float]]:
        width = tstop + 1.0 if self.width is None else self.width
        starts = [self.delay]
        if self.period is not None:
            starts = list(np.arange(self.delay, tstop, self.period))
        points = [(0.0, 0.0)]
        for s in starts:
            points += [
                (s, 0.0),
                (s + self.edge, self.amplitude),
                (s + self.edge + width, self.amplitude),
                (s + 2 * self.edge + width, 0.0),
            ]
        return points

    def spice(self, scale: float, tstop: float) -> str:
        width = 2 * tstop + 1.0 if self.width is None else self.width
        period = 4 * tstop + 2.0 if self.period is None else self.period
        return (
            f"PULSE(0 {_fmt(self.amplitude * scale)} {_fmt(self.delay)} {_fmt(self.edge)} "
            f"{_fmt(self.edge)} {_fmt(width)} {_fmt(period)})"
        )


@dataclass(frozen=True)
class StepTrain(_Piecewise):
    """Piecewise-constant current: ``amplitudes[i]`` from ``times[i]`` on, 0 before ``times[0]``."""

    times: tuple[float, ...] = _time()
    amplitudes: tuple[float, ...] = _current()
    edge: float = _time(DEFAULT_EDGE)
    per_area: bool = _per_area()
    kind = "steps"
    is_clamp = False

    def __post_init__(self) -> None:
        _check(
            len(self.times) == len(self.amplitudes) and len(self.times) > 0,
            "a step train needs as many times as amplitudes, at least one",
        )
        gaps = np.diff(np.asarray(self.times, dtype=float))
        _check(
            self.times[0] >= 0 and bool(np.all(gaps > self.edge)),
            f"step times {self.times} must start at >= 0 and increase by more than the edge",
        )

    def _corners(self, tstop: float = 0.0) -> list[tuple[float, float]]:
        return _pwl_points(self.times, self.amplitudes, self.edge, 0.0)

    def spice(self, scale: float, tstop: float) -> str:
        pts = " ".join(f"{_fmt(t)} {_fmt(v * scale)}" for t, v in self._corners())
        return f"PWL({pts})"


@dataclass(frozen=True)
class Sine:
    """``offset + amplitude sin(2 pi f (t - delay))`` for t >= delay, ``offset`` before."""

    amplitude: float = _current()
    # a field without a default after one with: mypy cannot see that _current() gives none
    frequency: float = field(metadata=_FREQUENCY)  # type: ignore[misc]
    offset: float = _current(0.0)
    delay: float = _time(0.0)
    per_area: bool = _per_area()
    kind = "sine"
    is_clamp = False

    def __post_init__(self) -> None:
        _check(self.frequency > 0, f"sine frequency = {self.frequency!r} Hz must be > 0")

    def value(self, t: ArrayLike) -> FloatArray:
        t = np.asarray(t, dtype=float)
        phase = 2 * np.pi * self.frequency * np.maximum(t - self.delay, 0.0)
        return self.offset + self.amplitude * np.sin(phase)

    def breakpoints(self, tstop: float) -> list[float]:
        return [self.delay] if 0 < self.delay < tstop else []

    def waveform(self, tstop: float) -> Callable[[float], float]:
        omega, a, b, d = 2 * math.pi * self.frequency, self.offset, self.amplitude, self.delay
        return lambda t: a + b * math.sin(omega * max(t - d, 0.0))

    def spice(self, scale: float, tstop: float) -> str:
        return (
            f"SIN({_fmt(self.offset * scale)} {_fmt(self.amplitude * scale)} "
            f"{_fmt(self.frequency)} {_fmt(self.delay)})"
        )


@dataclass(frozen=True)
class VoltageClamp(_Piecewise):
    """Hold the membrane at ``holding`` [V], then at ``levels[i]`` from ``times[i]`` on."""

    holding: float = _voltage()
    times: tuple[float, ...] = _time(())
    levels: tuple[float, ...] = _voltage(())
    edge: float = _time(DEFAULT_EDGE)
    kind = "vclamp"
    is_clamp = True
    per_area = False

    def __post_init__(self) -> None:
        _check(len(self.times) == len(self.levels), "a clamp needs as many times as levels")
        _check(
            bool(np.all(np.isfinite([self.holding, *self.levels]))), "clamp levels must be finite"
        )

    def _corners(self, tstop: float = 0.0) -> list[tuple[float, float]]:
        return _pwl_points(self.times, self.levels, self.edge, self.holding)

    def spice(self, scale: float, tstop: float) -> str:
        if not self.times:
            return f"DC {_fmt(self.holding)}"
        pts = " ".join(f"{_fmt(t)} {_fmt(v)}" for t, v in self._corners())
        return f"PWL({pts})"


@dataclass(frozen=True)
class SineClamp:
    """Hold the membrane at ``offset + amplitude sin(2 pi f t)`` [V] (a memristor's
    fingerprint protocol)."""

    amplitude: float = _voltage()
    frequency: float = field(metadata=_FREQUENCY)  # type: ignore[misc]
    offset: float = _voltage(0.0)
    kind = "vsine"
    is_clamp = True
    per_area = False

    def __post_init__(self) -> None:
        _check(self.frequency > 0, f"sine clamp frequency = {self.frequency!r} Hz must be > 0")

    def value(self, t: ArrayLike) -> FloatArray:
        t = np.asarray(t, dtype=float)
        return self.offset + self.amplitude * np.sin(2 * np.pi * self.frequency * t)

    def breakpoints(self, tstop: float) -> list[float]:
        return []

    def waveform(self, tstop: float) -> Callable[[float], float]:
        omega, a, b = 2 * math.pi * self.frequency, self.offset, self.amplitude
        return lambda t: a + b * math.sin(omega * t)

    def spice(self, scale: float, tstop: float) -> str:
        return f"SIN({_fmt(self.offset)} {_fmt(self.amplitude)} {_fmt(self.frequency)})"


#: any stimulus
Stimulus: TypeAlias = DC | Pulse | StepTrain | Sine | VoltageClamp | SineClamp

STIMULUS_KINDS = {c.kind: c for c in (DC, Pulse, StepTrain, Sine, VoltageClamp, SineClamp)}
