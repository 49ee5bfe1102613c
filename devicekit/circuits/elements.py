"""Circuit elements: resistors, capacitors and sources, placed between named nodes of a
:class:`~devicekit.circuits.Circuit`.

Sources take a waveform of :mod:`devicekit.models.stimuli` (``DC``, ``Pulse``, ``StepTrain``,
``Sine``) whose amplitude is the source's own value in SI: volts for a
:class:`VoltageSource`, amperes for a :class:`CurrentSource` (a current source placed on
``("0", "a")`` drives its current from ground into node ``a``, as in SPICE).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from devicekit.errors import InvalidInput
from devicekit.models.parameters import quantity
from devicekit.models.stimuli import DC, Pulse, Sine, StepTrain

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ELEMENTS", "Capacitor", "CurrentSource", "Resistor", "VoltageSource"]

_WAVEFORMS = (DC, Pulse, Sine, StepTrain)


def _positive(owner: str, name: str, value) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (math.isfinite(value) and value > 0)
    ):
        raise InvalidInput(f"{owner} {name} = {value!r} must be a finite number > 0")


@dataclass(frozen=True)
class Resistor:
    """A resistor [Ohm] between two nodes (a gap junction is one: 1/R its conductance)."""

    resistance: float = field(metadata=quantity("resistance", low=0.0, doc="resistance"))
    kind = "resistor"
    pins = ("p", "n")

    def __post_init__(self):
        _positive("resistor", "resistance", self.resistance)

    def spice(self, name: str, nodes: Sequence[str], tstop: float) -> str:
        return f"R{name} {nodes[0]} {nodes[1]} {self.resistance!r}"


@dataclass(frozen=True)
class Capacitor:
    """A capacitor [F] between two nodes."""

    capacitance: float = field(metadata=quantity("capacitance", low=0.0, doc="capacitance"))
    kind = "capacitor"
    pins = ("p", "n")

    def __post_init__(self):
        _positive("capacitor", "capacitance", self.capacitance)

    def spice(self, name: str, nodes: Sequence[str], tstop: float) -> str:
        return f"C{name} {nodes[0]} {nodes[1]} {self.capacitance!r}"


def _check_waveform(owner: str, source) -> None:
    """Refuse what is no waveform; a source's values are its own (V or A), never per area."""
    if not isinstance(source.waveform, _WAVEFORMS):
        raise InvalidInput(
            f"a {owner} takes a waveform: DC(value), Pulse(...), StepTrain(...) or Sine(...), "
            f"not {type(source.waveform).__name__}"
        )
    if source.waveform.per_area:
        object.__setattr__(source, "waveform", dataclasses.replace(source.waveform, per_area=False))


@dataclass(frozen=True)
class VoltageSource:
    """An independent voltage source [V]: V(nodes[0]) - V(nodes[1]) = waveform(t)."""

    waveform: object
    kind = "vsource"
    pins = ("p", "n")

    def __post_init__(self):
        _check_waveform("voltage source", self)

    def spice(self, name: str, nodes: Sequence[str], tstop: float) -> str:
        return f"V{name} {nodes[0]} {nodes[1]} {self.waveform.spice(1.0, tstop)}"


@dataclass(frozen=True)
class CurrentSource:
    """An independent current source [A], driving its current from nodes[0] through itself
    into nodes[1]."""

    waveform: object
    kind = "isource"
    pins = ("p", "n")

    def __post_init__(self):
        _check_waveform("current source", self)

    def spice(self, name: str, nodes: Sequence[str], tstop: float) -> str:
        return f"I{name} {nodes[0]} {nodes[1]} {self.waveform.spice(1.0, tstop)}"


#: element kind -> class (for circuit cards)
ELEMENTS = {c.kind: c for c in (Resistor, Capacitor, VoltageSource, CurrentSource)}
