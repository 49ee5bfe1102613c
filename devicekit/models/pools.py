"""Ion pools and pumps: the concentrations behind the batteries, as states of the model.

A :class:`Pool` is the concentration [mol/m^3] of one ion on one side of a membrane, in a
volume that is given, or a shell of ``depth`` under the membrane's area. Every channel that
carries the ion, and every pump that moves it, feeds the pool:

.. math::

    \\frac{d[X]_\\mathrm{in}}{dt} = -\\frac{A\\, I_X}{z_X F\\, \\mathrm{Vol}_\\mathrm{in}}
    - \\frac{[X]_\\mathrm{in} - [X]_\\mathrm{bath}}{\\tau}

with ``I_X`` the outward current density of ion X [A/m^2] and ``A`` the membrane area; an
outside pool has the opposite sign and its own volume (the periaxonal space of Frankenhaeuser
and Hodgkin, J. Physiol. 131, 341, 1956). The relaxation term is there only when the pool has a
``tau`` (a buffer, or diffusion to a bath). A side without a pool is a fixed bath.

A channel with an ``ion`` and no explicit ``reversal`` takes its battery from the concentrations,
``E = (kT / z e) ln([X]_out / [X]_in)``, a pool's state where there is one; a channel whose card
gives ``reversal`` keeps that fixed battery, but its current still feeds the pool of its ion.

:class:`Pump` kinds (current densities outward positive):

* ``na-k-pump``: the Na/K-ATPase, 3 Na+ out and 2 K+ in per cycle, so one net charge out:
  ``I_p = I_max [Na]_in^3 / ([Na]_in^3 + K_Na^3) * [K]_out^2 / ([K]_out^2 + K_K^2)``. Its Na+
  current is ``3 I_p`` and its K+ current ``-2 I_p``. The Hill exponents are the numbers of
  binding sites, and the 3:2 stoichiometry is that of Post and Jolly (Biochim. Biophys. Acta
  25, 118, 1957) and Garay and Garrahan (J. Physiol. 231, 297, 1973);
* ``calcium-pump``: the plasma-membrane Ca-ATPase as a Michaelis-Menten current carried by
  Ca2+ out of the cell, ``I = I_max [Ca]_in / ([Ca]_in + K_m)`` (as in the Ca pump of Destexhe,
  Babloyantz and Sejnowski, Biophys. J. 65, 1538, 1993);
* ``buffer``: a first-order buffer that returns the inside pool of ``ion`` to ``resting`` with
  time constant ``tau``, ``d[X]/dt = -([X] - resting) / tau``; it carries no current (the
  "decay" of Traub's and Destexhe's Ca models).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from devicekit.electrochem.constants import CODATA
from devicekit.errors import ModelCardError
from devicekit.expr import Expr, Num, Sym
from devicekit.models.ions import get_ion
from devicekit.models.parameters import quantity

if TYPE_CHECKING:
    from devicekit.models.definition import ChannelTerms, Parameter
    from devicekit.models.membrane import Membrane

#: (ion, side) -> the expression of a pool's concentration state
Pooled: TypeAlias = "dict[tuple[str, str], Expr]"

__all__ = [
    "PUMP_KINDS",
    "SIDES",
    "Pool",
    "Pump",
    "pool_equations",
    "pump_currents",
    "resolve_pools",
]

SIDES = ("inside", "outside")
#: pump kind -> (ions it moves, required half-saturation constants)
PUMP_KINDS = {
    "na-k-pump": (("Na", "K"), ("km_na", "km_k")),
    "calcium-pump": (("Ca",), ("km_ca",)),
    "buffer": ((), ()),
}


def _positive(owner: str, name: str, value: float | None, unit: str) -> None:
    if value is not None and not (np.isfinite(value) and value > 0):
        raise ModelCardError(f"{owner}: {name} = {value!r} {unit} must be finite and > 0")


@dataclass(frozen=True)
class Pool:
    """The concentration of one ion on one side of the membrane, as a state.

    Parameters
    ----------
    ion : str
        Ion symbol (``K``).
    side : str
        ``inside`` or ``outside``.
    volume : float, optional
        Volume [m^3]; or give ``depth``. In a membrane it is always set (``pool.volume``).
    depth : float, optional
        Depth [m] of a shell under the membrane: volume = depth * area, recomputed whenever
        the membrane is made (so that it follows the area; it wins over a volume).
    initial : float, optional
        Concentration at the start [mol/m^3]; default the membrane's solution on that side.
    tau : float, optional
        Time constant [s] of a relaxation to ``bath``; none by default (the amount is then
        changed only by currents).
    bath : float, optional
        The value relaxed to [mol/m^3] (with ``tau``); default ``initial``.
    """

    ion: str
    side: str = "inside"
    volume: float | None = field(
        default=None, metadata=quantity("volume", low=0.0, doc="volume of the pool")
    )
    depth: float | None = field(
        default=None, metadata=quantity("length", low=0.0, doc="shell depth (volume = depth*area)")
    )
    initial: float | None = field(
        default=None, metadata=quantity("concentration", low=0.0, doc="initial concentration")
    )
    tau: float | None = field(
        default=None, metadata=quantity("time", low=0.0, doc="relaxation time constant")
    )
    bath: float | None = field(
        default=None, metadata=quantity("concentration", low=0.0, doc="value relaxed to")
    )

    def __post_init__(self) -> None:
        get_ion(self.ion)
        where = f"pool {self.ion} {self.side}"
        if self.side not in SIDES:
            raise ModelCardError(f"{where}: side must be 'inside' or 'outside'")
        if self.volume is None and self.depth is None:
            raise ModelCardError(
                f"{where}: give its volume (for example '4.19pL') or the depth of a shell under "
                "the membrane (for example '30nm'; volume = depth * area)"
            )
        _positive(where, "volume", self.volume, "m^3")
        _positive(where, "depth", self.depth, "m")
        _positive(where, "initial", self.initial, "mol/m^3")
        _positive(where, "tau", self.tau, "s")
        _positive(where, "bath", self.bath, "mol/m^3")
        if self.bath is not None and self.tau is None:
            raise ModelCardError(f"{where}: a bath value needs tau, the time constant towards it")

    @property
    def name(self) -> str:
        """The state's name and result column: ``K_out``, ``Na_in``."""
        return f"{self.ion}_{'in' if self.side == 'inside' else 'out'}"

    @property
    def valence(self) -> int:
        return get_ion(self.ion).valence


@dataclass(frozen=True)
class Pump:
    """An ion pump or buffer (see the module docstring for the kinds and their forms).

    Parameters
    ----------
    kind : str
        ``na-k-pump``, ``calcium-pump`` or ``buffer``.
    max_current : float, optional
        I_max [A/m^2] (per area; [A] in a device in its own units) of a pump.
    km_na, km_k, km_ca : float, optional
        Half-saturation concentrations [mol/m^3]: Na+ inside and K+ outside for the Na/K pump,
        Ca2+ inside for the calcium pump.
    ion, tau, resting : optional
        A buffer's ion, time constant [s] and resting concentration [mol/m^3].
    """

    kind: str
    max_current: float | None = field(
        default=None,
        metadata=quantity("current_density", per_area=True, low=0.0, doc="maximal current"),
    )
    km_na: float | None = field(
        default=None, metadata=quantity("concentration", low=0.0, doc="half-saturation [Na]_in")
    )
    km_k: float | None = field(
        default=None, metadata=quantity("concentration", low=0.0, doc="half-saturation [K]_out")
    )
    km_ca: float | None = field(
        default=None, metadata=quantity("concentration", low=0.0, doc="half-saturation [Ca]_in")
    )
    ion: str | None = None
    tau: float | None = field(
        default=None, metadata=quantity("time", low=0.0, doc="buffer time constant")
    )
    resting: float | None = field(
        default=None, metadata=quantity("concentration", low=0.0, doc="buffer resting value")
    )

    def __post_init__(self) -> None:
        if self.kind not in PUMP_KINDS:
            raise ModelCardError(
                f"pump kind {self.kind!r} is unknown; choose one of {', '.join(PUMP_KINDS)}"
            )
        constants = PUMP_KINDS[self.kind][1]
        if self.kind == "buffer":
            missing = [k for k in ("ion", "tau", "resting") if getattr(self, k) is None]
            wrong = [k for k in ("max_current", "km_na", "km_k", "km_ca") if getattr(self, k)]
        else:
            missing = [k for k in ("max_current", *constants) if getattr(self, k) is None]
            wrong = [
                k
                for k in ("km_na", "km_k", "km_ca", "ion", "tau", "resting")
                if k not in constants and getattr(self, k) is not None
            ]
        if missing:
            raise ModelCardError(f"{self.kind}: give {', '.join(missing)}")
        if wrong:
            raise ModelCardError(f"{self.kind}: {', '.join(wrong)} do not apply to this kind")
        if self.ion is not None:
            get_ion(self.ion)
        for name, unit in (
            ("km_na", "mol/m^3"),
            ("km_k", "mol/m^3"),
            ("km_ca", "mol/m^3"),
            ("tau", "s"),
            ("resting", "mol/m^3"),
        ):
            _positive(self.kind, name, getattr(self, name), unit)
        if self.max_current is not None and not (
            np.isfinite(self.max_current) and self.max_current >= 0
        ):
            raise ModelCardError(
                f"{self.kind}: max_current = {self.max_current!r} must be finite and >= 0"
            )

    @property
    def ions(self) -> tuple[str, ...]:
        """The ions the pump moves."""
        return (self._buffered(),) if self.kind == "buffer" else PUMP_KINDS[self.kind][0]

    @property
    def name(self) -> str:
        """``na_k_pump``, ``calcium_pump`` or ``buffer_<ion>``: its parameters' suffix."""
        if self.kind == "buffer":
            return f"buffer_{self._buffered().lower()}"
        return self.kind.replace("-", "_")

    def _buffered(self) -> str:
        """A buffer's ion, which it must have (checked when it was made)."""
        if self.ion is None:
            raise ModelCardError(f"a {self.kind} needs its ion")
        return self.ion


def resolve_pools(membrane: Membrane) -> tuple[Pool, ...]:
    """The membrane's pools with their volumes and initial values filled in, after checking
    that each belongs (an ion that something moves, a volume, a start value) and that every
    pump's ions have a pool."""
    pools, seen = [], set()
    carried = {c.ion for c in membrane.channels if getattr(c, "ion", None)}
    carried |= {ion for pump in membrane.pumps for ion in pump.ions}
    gate_nodes = {f"{c.name}_{g.name}".lower() for c in membrane.channels for g in c.gates}
    for pool in membrane.pools:
        if not isinstance(pool, Pool):
            raise ModelCardError(f"pools must be devicekit Pool objects, not {pool!r}")
        where = f"model {membrane.name!r}: pool {pool.name}"
        if pool.name in seen:
            raise ModelCardError(f"{where} is given twice; give one pool per ion and side")
        seen.add(pool.name)
        if pool.name.lower() in gate_nodes:
            raise ModelCardError(f"{where} has the name of a gate state; rename the channel")
        if pool.ion not in carried:
            raise ModelCardError(
                f"{where}: no channel or pump carries {pool.ion}, so nothing would change it; "
                f"give a channel ion = {pool.ion!r}, or remove the pool"
            )
        volume = pool.volume
        if pool.depth is not None:
            if not membrane.per_area:
                raise ModelCardError(
                    f"{where}: a device in its own units has no area, so a shell depth gives "
                    "no volume; give the pool's volume"
                )
            volume = pool.depth * membrane.area  # a shell follows the area (sweeps of it)
        initial = pool.initial
        if initial is None:
            solution = getattr(membrane, pool.side)
            if pool.ion not in solution:
                raise ModelCardError(
                    f"{where}: give its initial concentration (initial = '140mM'), or the "
                    f"{pool.side} concentration of {pool.ion} in the membrane's solution"
                )
            initial = solution[pool.ion]
        pools.append(replace(pool, volume=volume, initial=initial))
    named = {p.name for p in pools}
    kinds = [p.name for p in membrane.pumps]
    if len(set(kinds)) != len(kinds):
        raise ModelCardError(f"model {membrane.name!r}: pumps {kinds} repeat; give each once")
    for pump in membrane.pumps:
        for ion in pump.ions:
            sides = ("in",) if pump.kind == "buffer" else ("in", "out")
            if not any(f"{ion}_{s}" in named for s in sides):
                raise ModelCardError(
                    f"model {membrane.name!r}: the {pump.kind} moves {ion}, which has no pool; "
                    f"add a pool of {ion} (ion = {ion!r}, side = 'inside'), or remove the pump"
                )
    return tuple(pools)


def _concentration(membrane: Membrane, pooled: Pooled, ion: str, side: str) -> Expr:
    """A pool's state, or the fixed bath value."""
    if (ion, side) in pooled:
        return pooled[(ion, side)]
    return Num(membrane.environment.concentration(ion, side))


def pump_currents(
    membrane: Membrane,
    pooled: Pooled,
    params: dict[str, Parameter],
    parameter: Callable[..., Parameter],
) -> dict[str, Expr]:
    """The pumps' current densities [A/m^2], outward, by pump name, adding their parameters
    (``imax_<pump>``, ``kmna_<pump>``, ...) to ``params``; ``parameter`` makes a Parameter of a
    field (:func:`devicekit.models.definition._parameter`)."""
    currents = {}
    for pump in membrane.pumps:
        if pump.kind == "buffer":
            continue
        name = pump.name
        params[f"imax_{name}"] = parameter(
            pump, "max_current", f"imax_{name}", f"pumps.{name}.max_current", None,
            membrane.per_area,
        )  # fmt: skip
        for field_name in PUMP_KINDS[pump.kind][1]:
            symbol = f"{field_name.replace('_', '')}_{name}"
            params[symbol] = parameter(pump, field_name, symbol, f"pumps.{name}.{field_name}")
        imax = Sym(f"imax_{name}")
        if pump.kind == "na-k-pump":
            na = _concentration(membrane, pooled, "Na", "inside")
            k = _concentration(membrane, pooled, "K", "outside")
            km_na, km_k = Sym(f"kmna_{name}"), Sym(f"kmk_{name}")
            currents[name] = imax * (na**3 / (na**3 + km_na**3)) * (k**2 / (k**2 + km_k**2))
        else:
            ca = _concentration(membrane, pooled, "Ca", "inside")
            currents[name] = imax * (ca / (ca + Sym(f"kmca_{name}")))
    return currents


#: outward current of each ion per unit of a pump's current: 3 Na+ out, 2 K+ in per cycle
STOICHIOMETRY = {"na-k-pump": {"Na": 3.0, "K": -2.0}, "calcium-pump": {"Ca": 1.0}}


def pool_equations(
    membrane: Membrane,
    channels: dict[str, ChannelTerms],
    pooled: Pooled,
    pumps: dict[str, Expr],
    params: dict[str, Parameter],
    parameter: Callable[..., Parameter],
    absolute: bool,
) -> list[tuple[str, Expr, Expr]]:
    """``(state, d state/dt, start)`` of each pool, adding its parameters to ``params``:
    ``vol_<pool>`` [m^3], ``c0_<pool>`` (its start) and, with a relaxation, ``tau_<pool>`` and
    ``bath_<pool>``. ``channels`` are the definition's channel terms by channel name, ``pumps``
    the pump current densities by pump name."""
    faraday = Num(CODATA.faraday)
    area = Num(1.0) if absolute else Sym("area")
    by_name = {c.name: c for c in membrane.channels}
    out: list[tuple[str, Expr, Expr]] = []
    for pool in membrane.pools:
        key = pool.name.lower()
        params[f"vol_{key}"] = parameter(pool, "volume", f"vol_{key}", f"pools.{pool.name}.volume")
        params[f"c0_{key}"] = parameter(pool, "initial", f"c0_{key}", f"pools.{pool.name}.initial")
        outward = None  # the outward current density of the pool's ion [A/m^2]
        for name, terms in channels.items():
            if getattr(by_name[name], "ion", None) == pool.ion:
                outward = terms.current if outward is None else outward + terms.current
        for pump in membrane.pumps:
            share = STOICHIOMETRY.get(pump.kind, {}).get(pool.ion)
            if share is not None:
                term = share * pumps[pump.name]
                outward = term if outward is None else outward + term
        c = Sym(pool.name)
        sign = -1.0 if pool.side == "inside" else 1.0
        derivative = None
        if outward is not None:
            scale = sign / pool.valence
            derivative = scale * area * outward / (faraday * Sym(f"vol_{key}"))
        relaxations = []
        if pool.tau is not None:
            params[f"tau_{key}"] = parameter(pool, "tau", f"tau_{key}", f"pools.{pool.name}.tau")
            bath = pool.initial if pool.bath is None else pool.bath
            params[f"bath_{key}"] = parameter(
                pool, "bath", f"bath_{key}", f"pools.{pool.name}.bath", bath
            )
            relaxations.append((Sym(f"tau_{key}"), Sym(f"bath_{key}")))
        for pump in membrane.pumps:
            if pump.kind == "buffer" and pump.ion == pool.ion and pool.side == "inside":
                name = pump.name
                params[f"tau_{name}"] = parameter(pump, "tau", f"tau_{name}", f"pumps.{name}.tau")
                params[f"rest_{name}"] = parameter(
                    pump, "resting", f"rest_{name}", f"pumps.{name}.resting"
                )
                relaxations.append((Sym(f"tau_{name}"), Sym(f"rest_{name}")))
        for tau, rest in relaxations:
            term = (rest - c) / tau
            derivative = term if derivative is None else derivative + term
        # a pool that nothing fills, drains or relaxes keeps its value
        out.append((pool.name, Num(0.0) if derivative is None else derivative, Sym(f"c0_{key}")))
    return out


def charge_pools(membrane: Membrane) -> tuple[Pool, ...]:
    """The inside pools that hold, with the membrane capacitor, a conserved charge: when every
    channel and pump carries an ion whose only pool is inside and does not relax (no tau, no
    buffer), and no voltage clamp feeds the membrane, ``C A V - F sum z Vol c`` over these
    pools is constant, so the steady states form a family (a SPICE .op is singular) and the
    initial values pick one. Empty otherwise: the steady state is an ordinary one."""
    if any(s.is_clamp for s in membrane.stimuli) or not membrane.pools:
        return ()
    buffered = {p.ion for p in membrane.pumps if p.kind == "buffer"}
    closed = {
        p.ion: p
        for p in membrane.pools
        if p.side == "inside" and p.tau is None and p.ion not in buffered
    }
    outside = {p.ion for p in membrane.pools if p.side == "outside"}
    carriers = [getattr(c, "ion", None) for c in membrane.channels]
    carriers += [ion for pump in membrane.pumps for ion in pump.ions]
    if any(ion not in closed or ion in outside for ion in carriers):
        return ()
    return tuple(closed[ion] for ion in dict.fromkeys(carriers) if ion is not None)
