"""Ion channels: each is a conductance in series with a Nernst battery.

Three kinds share one interface, so that the numpy evaluation, the native ODE reference and the
SPICE compiler all read the same equations:

* :class:`OhmicChannel`: ``I = g (V - E)``;
* :class:`GHKChannel`: the Goldman-Hodgkin-Katz current of one ion, zero at its Nernst potential;
* :class:`HHChannel`: ``I = g_max * prod(x_k ** p_k) * (V - E)`` with Hodgkin-Huxley gates.

Conductances are per membrane area (S/m^2), permeabilities in m/s, currents per area (A/m^2),
outward positive. The battery E is the channel's own ``reversal_potential`` when given, otherwise
the Nernst potential of its ``ion`` from the membrane's solutions and temperature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np

from devicekit.arraytypes import ArrayLike
from devicekit.electrochem.constants import thermal_voltage
from devicekit.electrochem.ghk import ghk_current_expr
from devicekit.electrochem.nernst import nernst_potential
from devicekit.errors import InvalidInput, ModelCardError
from devicekit.expr import Expr, Sym, evaluate
from devicekit.models.ions import get_ion
from devicekit.models.kinetics import Gate, check_identifier
from devicekit.models.parameters import both, card, quantity

__all__ = [
    "CHANNEL_KINDS",
    "Environment",
    "GHKChannel",
    "HHChannel",
    "OhmicChannel",
    "q10_factor",
    "steady_state_current",
]

V = Sym("v")
E = Sym("e")


@dataclass(frozen=True)
class Environment:
    """What a channel needs from its membrane: temperature [K] and the concentrations inside and
    outside [mol/m^3] by ion symbol."""

    temperature: float
    inside: Mapping[str, float] = field(default_factory=dict)
    outside: Mapping[str, float] = field(default_factory=dict)

    def concentration(self, ion: str, side: str) -> float:
        values = self.inside if side == "inside" else self.outside
        if ion not in values:
            raise ModelCardError(
                f"the {side} concentration of {ion} is needed (for its Nernst battery or GHK "
                f"current) but the membrane's solution gives only {sorted(values) or 'none'}; "
                f"add it to [membrane.{side}] or give the channel a reversal potential"
            )
        return values[ion]

    def nernst(self, ion: str) -> float:
        return float(
            nernst_potential(
                self.concentration(ion, "inside"),
                self.concentration(ion, "outside"),
                get_ion(ion).valence,
                self.temperature,
            )
        )


#: a channel's battery: in cards as ``reversal``
_REVERSAL = both(
    quantity("voltage", doc="battery; else the Nernst potential of ion"), card(key="reversal")
)


def q10_factor(q10: float, temperature: float, reference_temperature: float | None) -> float:
    """phi = q10 ** ((T - T_ref) / 10 K); 1 when no reference temperature is set."""
    if reference_temperature is None or q10 == 1.0:
        return 1.0
    exponent = (temperature - reference_temperature) / 10.0
    if exponent * np.log(q10) > 700:  # exp(709) is the largest double
        raise InvalidInput(
            f"temperature {temperature!r} K is {temperature - reference_temperature:g} K above "
            f"the Q10 reference {reference_temperature!r} K: the Q10 factor {q10}^{exponent:g} "
            "overflows; use a temperature within a few hundred K of the reference"
        )
    return float(q10**exponent)


def _check_name(name: str) -> None:
    check_identifier(name, "channel", "na, k or leak")


def _check_reversal(channel: OhmicChannel | HHChannel) -> None:
    if channel.reversal_potential is None and channel.ion is None:
        raise ModelCardError(
            f"channel {channel.name}: give its reversal potential (e.g. 50mV) or its ion (Na), "
            "whose Nernst potential then follows from the solutions"
        )
    if channel.reversal_potential is not None and not np.isfinite(channel.reversal_potential):
        raise ModelCardError(f"channel {channel.name}: reversal potential is not finite")


def _check_nonnegative(channel: Channel, attribute: str, unit: str) -> None:
    value = getattr(channel, attribute)
    if not (np.isfinite(value) and value >= 0):
        raise ModelCardError(
            f"channel {channel.name}: {attribute} = {value!r} {unit} must be finite and >= 0"
        )


class _Ungated:
    """A channel without gates: no state, and no temperature scaling of kinetics."""

    @property
    def gates(self) -> tuple[Gate, ...]:
        return ()

    def phi(self, temperature: float) -> float:
        return 1.0


@dataclass(frozen=True)
class OhmicChannel(_Ungated):
    """A leak: constant conductance g [S/m^2] in series with a battery E [V]."""

    name: str
    conductance: float = field(
        metadata=quantity("conductance_density", per_area=True, low=0.0, doc="maximal conductance")
    )
    reversal_potential: float | None = field(default=None, metadata=_REVERSAL)
    ion: str | None = None
    kind: str = field(default="ohmic", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_nonnegative(self, "conductance", "S/m^2")
        _check_reversal(self)

    def battery(self, env: Environment) -> float:
        """The series battery E [V]."""
        return _battery(self, env)

    def current(
        self,
        env: Environment,
        v: Expr = V,
        e: Expr = E,
        states: dict[str, Expr] | None = None,
        **symbolic: Expr,
    ) -> Expr:
        """Current density [A/m^2] as an expression of v and the battery e; ``size`` (a
        symbol) replaces the conductance's value in a parametric definition."""
        return symbolic.get("size", self.conductance) * (v - e)


@dataclass(frozen=True)
class GHKChannel(_Ungated):
    """Goldman-Hodgkin-Katz current of one ion with permeability P [m/s].

    In series-battery form, with ``u = z F V / RT`` and the battery ``E`` (its Nernst potential):

    .. math:: I = P z F c_\\mathrm{in} \\frac{1 - e^{-z F (V - E)/RT}}{\\mathrm{exprel}(-u)}

    which equals the textbook form because ``c_out / c_in = exp(z F E / RT)``; it vanishes at
    V = E exactly and is finite at V = 0.
    """

    name: str
    ion: str
    permeability: float = field(
        metadata=quantity("permeability", per_area=True, low=0.0, doc="permeability P")
    )
    kind: str = field(default="ghk", init=False)
    reversal_potential: None = field(
        default=None, init=False, metadata=quantity("voltage", doc="the ion's Nernst potential")
    )

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_nonnegative(self, "permeability", "m/s")
        get_ion(self.ion)

    def battery(self, env: Environment) -> float:
        return env.nernst(self.ion)

    def current(
        self,
        env: Environment,
        v: Expr = V,
        e: Expr = E,
        states: dict[str, Expr] | None = None,
        **symbolic: Expr,
    ) -> Expr:
        """Current density [A/m^2] (:func:`~devicekit.electrochem.ghk.ghk_current_expr`);
        ``size``, ``thermal`` and ``c_in`` (symbols) replace the permeability, the thermal
        voltage and the inside concentration in a parametric definition."""
        return ghk_current_expr(
            v,
            e,
            symbolic.get("c_in", env.concentration(self.ion, "inside")),
            get_ion(self.ion).valence,
            symbolic.get("thermal", thermal_voltage(env.temperature)),
            symbolic.get("size", self.permeability),
        )


@dataclass(frozen=True)
class HHChannel:
    """Hodgkin-Huxley channel: ``I = g_max prod(x_k ** p_k) (V - E)``.

    Parameters
    ----------
    name : str
        Identifier (``na``, ``k``).
    conductance : float
        Maximal conductance g_max [S/m^2].
    gates : tuple of Gate
        The gating variables with their powers (``m**3 h``).
    reversal_potential : float, optional
        Battery E [V]; else the Nernst potential of ``ion``.
    ion : str, optional
        Ion symbol, for the Nernst battery.
    q10 : float
        Temperature coefficient of the gate rates (3 for HH).
    q10_temperature : float, optional
        Temperature at which the rates are given [K] (279.45 K = 6.3 degC for HH).
    """

    name: str
    conductance: float = field(
        metadata=quantity("conductance_density", per_area=True, low=0.0, doc="maximal conductance")
    )
    gates: tuple[Gate, ...] = field(default=(), metadata=card(nested="gate", many=True))
    reversal_potential: float | None = field(default=None, metadata=_REVERSAL)
    ion: str | None = None
    q10: float = field(
        default=1.0, metadata=quantity("dimensionless", low=0.0, doc="Q10 of the gate rates")
    )
    q10_temperature: float | None = field(
        default=None, metadata=quantity("temperature", low=0.0, doc="temperature of the rates")
    )
    kind: str = field(default="hh", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_nonnegative(self, "conductance", "S/m^2")
        _check_reversal(self)
        if not self.gates:
            raise ModelCardError(f"channel {self.name}: an HH channel needs at least one gate")
        names = [g.name for g in self.gates]
        if len(set(names)) != len(names):
            raise ModelCardError(f"channel {self.name}: gate names {names} repeat")
        if not (np.isfinite(self.q10) and self.q10 > 0):
            raise ModelCardError(f"channel {self.name}: q10 = {self.q10!r} must be > 0")

    def phi(self, temperature: float) -> float:
        return q10_factor(self.q10, temperature, self.q10_temperature)

    def open_fraction(self, states: dict[str, Expr], v: Expr = V) -> Expr:
        """prod(x ** p). An instantaneous gate without an entry in ``states`` is replaced by its
        steady state x_inf(v)."""
        product: Expr | None = None
        for gate in self.gates:
            x = states[gate.name] if gate.name in states else gate.steady_state(v)
            term = x if gate.power == 1 else x**gate.power
            product = term if product is None else product * term
        if product is None:  # an HH channel has gates (checked when it was made)
            raise ModelCardError(f"channel {self.name} has no gates")
        return product

    def battery(self, env: Environment) -> float:
        return _battery(self, env)

    def current(
        self,
        env: Environment,
        v: Expr = V,
        e: Expr = E,
        states: dict[str, Expr] | None = None,
        **symbolic: Expr,
    ) -> Expr:
        """``g prod(x_k ** p_k) (v - e)``; ``size`` (a symbol) replaces g's value."""
        if states is None:
            states = {g.name: Sym(g.name) for g in self.gates}
        return symbolic.get("size", self.conductance) * self.open_fraction(states, v) * (v - e)


def _battery(channel: OhmicChannel | HHChannel, env: Environment) -> float:
    if channel.reversal_potential is not None:
        return channel.reversal_potential
    if channel.ion is None:  # refused when the channel was made
        raise ModelCardError(f"channel {channel.name}: give its reversal potential or its ion")
    return env.nernst(channel.ion)


def steady_state_current(channel: Channel, env: Environment, v: ArrayLike) -> Any:
    """Steady-state I-V of a channel [A/m^2], every gate at x_inf(v), evaluated with numpy."""
    states = {g.name: g.steady_state() for g in channel.gates}
    expression = channel.current(env, V, E, states)
    return evaluate(expression, {"v": np.asarray(v, dtype=float), "e": channel.battery(env)})


#: any channel
Channel: TypeAlias = OhmicChannel | GHKChannel | HHChannel

CHANNEL_KINDS = {"ohmic": OhmicChannel, "ghk": GHKChannel, "hh": HHChannel}
