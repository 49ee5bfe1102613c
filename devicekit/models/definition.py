"""The one parametric definition of a device, which every backend prints.

:func:`define` turns a membrane compartment into a :class:`Definition`: its pins, its parameters
(with unit, kind, bounds and whether they are per area, read from the dataclass field metadata),
its internal states with their steady states (from which the model's rest follows,
:meth:`~devicekit.models.membrane.Membrane.resting_state`), and its equations as expression
trees over *parameter symbols*, states and the membrane voltage ``v``. Values are bound
separately:

* :meth:`Definition.bind` substitutes the values and folds constants, for the numpy backend;
* the SPICE and Verilog-A printers print the same trees with the parameters as ``params:`` and
  ``parameter real``, so an exported library can be re-parametrised per instance.

Parameter symbols of a membrane (SI units):

=================  ==========  =====================================================
``area``           m2          membrane area
``c_m``            F/m2        specific capacitance
``temp_k``         K           temperature (Q10 factors, GHK thermal voltage)
``g_<ch>``         S/m2        maximal conductance of channel ``<ch>``
``p_<ch>``         m/s         permeability of GHK channel ``<ch>``
``e_<ch>``         V           battery of channel ``<ch>`` when its card gives one
``cin_<ch>``       mol/m3      inside concentration of a GHK channel's ion (no pool)
``q10_<ch>``       1           Q10 of the gate rates of channel ``<ch>``
``tref_<ch>``      K           temperature at which those rates are given
``vol_<pool>``     m3          volume of ion pool ``<pool>`` (``k_out``)
``c0_<pool>``      mol/m3      its initial concentration
``tau_<pool>``     s           its relaxation time constant (when it relaxes) ...
``bath_<pool>``    mol/m3      ... towards this value
``imax_<pump>``    A/m2        maximal current of pump ``<pump>`` (``na_k_pump``)
``km<ion>_<pump>`` mol/m3      its half-saturation constants (``kmna_na_k_pump``)
=================  ==========  =====================================================

Derived quantities (``phi_<ch>``, the Q10 factor; ``vt``, the thermal voltage; and the battery
``e_<ch>`` of a channel given by its ion, the Nernst potential (vt/z) ln(c_out/c_in) of its
solutions) are expressions of the parameters, evaluated once per instance (a ``.param`` in
SPICE), so that the temperature parameter reaches every battery and Q10 factor. A battery of an
ion with a pool moves: it is an expression of the pool states (:attr:`Definition.moving`), a
B-source in SPICE, a variable in Verilog-A.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.electrochem.constants import thermal_voltage
from devicekit.errors import InvalidInput, ModelCardError
from devicekit.expr import Expr, Num, Sym, evaluate, fold, ln, substitute, symbols, to_text
from devicekit.models.channels import Channel, GHKChannel, HHChannel
from devicekit.models.ions import get_ion
from devicekit.models.parameters import describe
from devicekit.models.pools import pool_equations, pump_currents
from devicekit.units import KINDS

if TYPE_CHECKING:
    from devicekit.models.membrane import Membrane

__all__ = ["ChannelTerms", "Definition", "GateRates", "MembraneEquations", "Parameter", "define"]

V = Sym("v")


@dataclass(frozen=True)
class MembraneEquations:
    """The equations of a membrane, per unit area, as expressions of ``v`` and the states.

    Attributes
    ----------
    states : list of str
        Names of the gate states (``na_m``), in order.
    derivatives : dict
        ``d state / dt`` [1/s] by state name.
    ionic_current : Expr
        Total channel current density [A/m^2], outward positive.
    channel_currents : dict
        Current density of each channel [A/m^2] by channel name.
    batteries : dict
        Battery E [V] of each channel, by channel name (already numbers in the expressions).
    gate_states : dict
        ``(channel, gate) -> state name`` for the dynamic gates.
    """

    states: list[str]
    derivatives: dict[str, Expr]
    steady_states: dict[str, Expr]
    ionic_current: Expr
    channel_currents: dict[str, Expr]
    batteries: dict[str, float]
    gate_states: dict[tuple[str, str], str]
    #: channel -> its battery as an expression of the pool states, for batteries that move
    moving: dict[str, Expr] = field(default_factory=dict)


@dataclass(frozen=True)
class Parameter:
    """One bound parameter of a definition: its symbol, value and description."""

    name: str
    value: float
    kind: str
    per_area: bool = False
    low: float = -math.inf
    high: float = math.inf
    doc: str = ""
    #: the model path that sets it (``k.conductance``), for ``--set`` and sweeps
    path: str = ""

    @property
    def unit(self) -> str:
        return KINDS[self.kind][0]


@dataclass(frozen=True)
class GateRates:
    """The two voltage-dependent functions of a dynamic gate, Q10 factor included:
    ``alpha_beta`` (dx/dt = first (1 - x) - second x) or ``inf_tau`` (dx/dt = (first - x) /
    second). Printers that put rates on nodes of their own read them from here."""

    form: str
    first: Expr
    second: Expr

    def derivative(self, x: Expr) -> Expr:
        if self.form == "alpha_beta":
            return self.first * (1.0 - x) - self.second * x
        return (self.first - x) / self.second


@dataclass(frozen=True)
class ChannelTerms:
    """A channel's current density [A/m^2] (outward) and the parameter of its battery."""

    current: Expr
    battery: str
    kind: str
    #: the channel's gates as (state name, power, dynamic, gate name)
    gates: tuple[tuple[str, int, bool, str], ...] = ()


@dataclass(frozen=True)
class Definition:
    """Pins, parameters, states and equations of a device, over parameter symbols."""

    name: str
    pins: tuple[str, ...]
    parameters: dict[str, Parameter]
    derived: dict[str, Expr]
    states: tuple[str, ...]
    derivatives: dict[str, Expr]
    rates: dict[str, GateRates]
    steady_states: dict[str, Expr]
    algebraic: dict[str, Expr]
    channels: dict[str, ChannelTerms]
    capacitance: Expr
    #: the area the densities are multiplied by: the ``area`` symbol, or 1 for a device in its
    #: own units (whose values are already in S, F and A)
    area: Expr = field(default_factory=lambda: Num(1.0))
    #: batteries that move: ``e_<ch>`` -> its Nernst expression of the pool states
    moving: dict[str, Expr] = field(default_factory=dict)
    #: pump current densities [A/m^2], outward, by pump name (``na_k_pump``)
    pumps: dict[str, Expr] = field(default_factory=dict)
    #: the pool states (``K_out``), a subset of ``states``
    pools: tuple[str, ...] = ()
    ionic_current: Expr = field(init=False)

    def __post_init__(self) -> None:
        total: Expr | None = None
        for term in (*(t.current for t in self.channels.values()), *self.pumps.values()):
            total = term if total is None else total + term
        if total is None:
            raise ModelCardError(f"membrane {self.name!r} has no channels")
        object.__setattr__(self, "ionic_current", total)

    def values(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """Parameter values (with ``overrides`` by symbol) and the derived quantities."""
        values = {name: p.value for name, p in self.parameters.items()}
        for name, value in (overrides or {}).items():
            if name not in values:
                raise ModelCardError(
                    f"{name!r} is not a parameter of {self.name!r}; its parameters are "
                    f"{', '.join(values)}"
                )
            values[name] = float(value)
        with np.errstate(all="ignore"):
            for name, expression in self.derived.items():
                values[name] = float(evaluate(expression, values))
                if not math.isfinite(values[name]):
                    raise InvalidInput(
                        f"{self.name}: {name} = {to_text(expression)} is {values[name]} with "
                        + ", ".join(f"{k} = {values[k]:g}" for k in sorted(symbols(expression)))
                        + "; choose parameter values within the model's range"
                    )
        return values

    def bound(self, expression: Expr, numbers: Mapping[str, Expr]) -> Expr:
        """``expression`` with the instantaneous gates written out and the parameters
        replaced by ``numbers`` (symbol -> Num), constants folded."""
        expression = substitute(substitute(expression, self.moving), self.algebraic)
        return fold(substitute(expression, numbers))

    def _battery(self, symbol: str, numbers: Mapping[str, Num]) -> float:
        """A battery's value, a moving one at the pools' initial concentrations."""
        if symbol not in self.moving:
            return numbers[symbol].value
        start = {pool: self.bound(self.steady_states[pool], numbers) for pool in self.pools}
        return float(evaluate(self.bound(Sym(symbol), {**numbers, **start}), {}))

    def bind(self, overrides: Mapping[str, float] | None = None) -> MembraneEquations:
        """The equations with every parameter replaced by its value, constants folded."""
        numbers = {k: Num(v) for k, v in self.values(overrides).items()}

        def bound(expression: Expr) -> Expr:
            return self.bound(expression, numbers)

        currents = {ch: bound(t.current) for ch, t in self.channels.items()}
        return MembraneEquations(
            states=list(self.states),
            derivatives={s: bound(d) for s, d in self.derivatives.items()},
            steady_states={s: bound(x) for s, x in self.steady_states.items()},
            ionic_current=bound(self.ionic_current),
            channel_currents=currents,
            batteries={ch: self._battery(t.battery, numbers) for ch, t in self.channels.items()},
            moving={
                ch: bound(Sym(t.battery))
                for ch, t in self.channels.items()
                if t.battery in self.moving
            },
            gate_states={
                (ch, gate): state
                for ch, terms in self.channels.items()
                for state, _, dynamic, gate in terms.gates
                if dynamic
            },
        )


#: the absolute kind of each per-area kind, for devices in their own units
ABSOLUTE_KINDS = {
    "conductance_density": "conductance",
    "capacitance_density": "capacitance",
    "current_density": "current",
}


def _parameter(
    owner: Any,
    attribute: str,
    symbol: str,
    path: str,
    value: float | None = None,
    per_area: bool = True,
) -> Parameter:
    """The parameter of field ``attribute`` of ``owner``, described by its metadata; in a
    device in its own units (``per_area`` False) per-area kinds become absolute (S, F, A)."""
    described = describe(owner, attribute)
    if described is None:
        raise TypeError(f"{type(owner).__name__}.{attribute} has no quantity metadata")
    value = getattr(owner, attribute) if value is None else value
    kind = described.kind_of(owner)
    if described.per_area and not per_area:
        kind = ABSOLUTE_KINDS.get(kind, kind)
    return Parameter(
        symbol,
        float(value),
        kind,
        described.per_area and per_area,
        described.low,
        described.high,
        described.doc,
        path,
    )


def define(membrane: Membrane) -> Definition:
    """The parametric definition of a membrane compartment."""
    env = membrane.environment
    absolute = not membrane.per_area
    params: dict[str, Parameter] = {}
    if not absolute:
        params["area"] = _parameter(membrane, "area", "area", "area")
    params["c_m"] = _parameter(membrane, "capacitance", "c_m", "capacitance", None, not absolute)
    params["temp_k"] = _parameter(membrane, "temperature", "temp_k", "temperature")
    derived: dict[str, Expr] = {}
    states: list[str] = []
    derivatives: dict[str, Expr] = {}
    rates: dict[str, GateRates] = {}
    steady: dict[str, Expr] = {}
    algebraic: dict[str, Expr] = {}
    channels: dict[str, ChannelTerms] = {}
    moving: dict[str, Expr] = {}
    pooled: dict[tuple[str, str], Expr] = {(p.ion, p.side): Sym(p.name) for p in membrane.pools}
    gamma = membrane.activity_coefficients()
    for channel in membrane.channels:
        ch = channel.name.lower()
        battery = f"e_{ch}"
        size = "p" if channel.kind == "ghk" else "g"
        attribute = "permeability" if channel.kind == "ghk" else "conductance"
        params[f"{size}_{ch}"] = _parameter(
            channel, attribute, f"{size}_{ch}", f"{channel.name}.{attribute}", None, not absolute
        )
        if channel.reversal_potential is not None:
            params[battery] = _parameter(
                channel,
                "reversal_potential",
                battery,
                f"{channel.name}.reversal_potential",
                channel.battery(env),
            )
        else:  # the Nernst potential, of the temperature parameter and the concentrations
            channel.battery(env)  # refuses a missing concentration, naming it
            derived.setdefault("vt", thermal_voltage(Sym("temp_k")))
            ion = channel.ion
            if ion is None:  # a channel has its reversal potential or its ion
                raise ModelCardError(f"channel {channel.name}: give its reversal or its ion")
            c_in = pooled.get((ion, "inside"), Num(env.concentration(ion, "inside")))
            c_out = pooled.get((ion, "outside"), Num(env.concentration(ion, "outside")))
            if (ion, "inside") in gamma:  # activities a = gamma c
                c_in, c_out = gamma[(ion, "inside")] * c_in, gamma[(ion, "outside")] * c_out
            nernst = Sym("vt") / float(get_ion(ion).valence) * ln(c_out / c_in)
            (moving if (ion, "inside") in pooled or (ion, "outside") in pooled else derived)[
                battery
            ] = nernst
        if isinstance(channel, GHKChannel):
            symbolic = _ghk_symbols(membrane, channel, ch, params, derived)
            if (channel.ion, "inside") in pooled:
                del params[f"cin_{ch}"]
                symbolic["c_in"] = pooled[(channel.ion, "inside")]
            if (channel.ion, "inside") in gamma:
                symbolic["c_in"] = gamma[(channel.ion, "inside")] * symbolic["c_in"]
            current = channel.current(env, V, Sym(battery), {}, **symbolic)
            channels[channel.name] = ChannelTerms(current, battery, channel.kind)
            continue
        g = f"g_{ch}"
        phi = _phi(channel, ch, params, derived, membrane.temperature)
        gates: list[tuple[str, int, bool, str]] = []
        names: dict[str, Expr] = {}
        for gate in channel.gates:
            state = f"{channel.name}_{gate.name}"
            names[gate.name] = Sym(state)
            gates.append((state, gate.power, not gate.instantaneous, gate.name))
            if gate.instantaneous:
                algebraic[state] = gate.rate("inf").expr(V)
                continue
            states.append(state)
            if gate.alpha is not None:
                first, second = gate.alpha.expr(V), gate.rate("beta").expr(V)
                if phi is not None:
                    first, second = phi * first, phi * second
                rates[state] = GateRates("alpha_beta", first, second)
            else:
                second = gate.rate("tau").expr(V)
                rates[state] = GateRates(
                    "inf_tau", gate.rate("inf").expr(V), second if phi is None else second / phi
                )
            derivatives[state] = rates[state].derivative(Sym(state))
            steady[state] = gate.steady_state(V)
        current = channel.current(env, V, Sym(battery), names, size=Sym(g))
        channels[channel.name] = ChannelTerms(current, battery, channel.kind, tuple(gates))
    pumps = pump_currents(membrane, pooled, params, _parameter)
    for pool, derivative, start in pool_equations(
        membrane, channels, pooled, pumps, params, _parameter, absolute
    ):
        states.append(pool)
        derivatives[pool] = derivative
        steady[pool] = start
    return Definition(
        name=membrane.name,
        pins=("vm", "ref"),
        parameters=params,
        derived=derived,
        states=tuple(states),
        derivatives=derivatives,
        rates=rates,
        steady_states=steady,
        algebraic=algebraic,
        channels=channels,
        capacitance=Sym("c_m"),
        area=Num(1.0) if absolute else Sym("area"),
        moving=moving,
        pumps=pumps,
        pools=tuple(p.name for p in membrane.pools),
    )


def _phi(
    channel: Channel,
    ch: str,
    params: dict[str, Parameter],
    derived: dict[str, Expr],
    temperature: float,
) -> Expr | None:
    """The Q10 factor phi = q10 ** ((T - T_ref) / 10 K), or None when the rates do not scale."""
    if not isinstance(channel, HHChannel) or channel.q10_temperature is None or channel.q10 == 1.0:
        return None
    channel.phi(temperature)  # refuses a factor that overflows, naming the temperature
    params[f"q10_{ch}"] = _parameter(channel, "q10", f"q10_{ch}", f"{channel.name}.q10")
    params[f"tref_{ch}"] = _parameter(
        channel, "q10_temperature", f"tref_{ch}", f"{channel.name}.q10_temperature"
    )
    derived[f"phi_{ch}"] = Sym(f"q10_{ch}") ** ((Sym("temp_k") - Sym(f"tref_{ch}")) / 10.0)
    return Sym(f"phi_{ch}")


def _ghk_symbols(
    membrane: Membrane,
    channel: GHKChannel,
    ch: str,
    params: dict[str, Parameter],
    derived: dict[str, Expr],
) -> dict[str, Expr]:
    """Parameters of a GHK channel: permeability, the inside concentration of its ion, and the
    thermal voltage, shared by all GHK channels."""
    p, cin = f"p_{ch}", f"cin_{ch}"
    params[cin] = Parameter(
        cin,
        float(membrane.environment.concentration(channel.ion, "inside")),
        "concentration",
        low=0.0,
        doc=f"inside concentration of {channel.ion}",
        path=f"inside.{channel.ion}",
    )
    derived.setdefault("vt", thermal_voltage(Sym("temp_k")))
    return {"size": Sym(p), "c_in": Sym(cin), "thermal": Sym("vt")}
