"""A membrane compartment: a capacitance in parallel with channels (conductances in series with
Nernst batteries), driven by stimuli.

.. math:: C_m \\frac{dV}{dt} = \\frac{I_\\mathrm{stim}}{A} - \\sum_i I_i(V, x)

with the gate states x obeying their kinetics. :meth:`Membrane.equations` returns these equations
as expressions, which both the native integrator and the SPICE compiler use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from devicekit.arraytypes import ArrayLike, FloatArray
from devicekit.electrochem.activity import activity_coefficient, ionic_strength
from devicekit.errors import InvalidInput, ModelCardError, SimulationError, quote
from devicekit.expr import Sym, evaluate, fold, lambdify, to_text
from devicekit.expr import substitute as replace_symbols
from devicekit.models.channels import Channel, Environment, GHKChannel
from devicekit.models.definition import Definition, MembraneEquations, define
from devicekit.models.ions import get_ion
from devicekit.models.parameters import quantity
from devicekit.models.pools import Pool, Pump, resolve_pools
from devicekit.models.stimuli import Stimulus, check_finite
from devicekit.units import engineering

__all__ = ["Membrane", "MembraneEquations", "bisect_rising"]

V = Sym("v")


def _frozen(mapping: Mapping[str, float] | None) -> MappingProxyType[str, float]:
    return MappingProxyType(dict(mapping or {}))


#: activity models a membrane may ask for (debye-huckel-extended needs ion sizes: not here)
ACTIVITY_MODELS = ("ideal", "davies", "debye-huckel-limiting")

#: the kinds of compartment devicekit summarises differently
DEVICE_KINDS = ("membrane", "memristor")

#: the longest model name (it names SPICE subcircuits and files)
MAX_MODEL_NAME = 64
_MODEL_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.+-]{{0,{MAX_MODEL_NAME - 1}}}")


@dataclass(frozen=True)
class Membrane:
    """A single-compartment membrane.

    Parameters
    ----------
    name : str
        Model name (``hh-squid``).
    capacitance : float
        Specific capacitance C_m [F/m^2] (1 uF/cm^2 = 0.01 F/m^2).
    area : float
        Membrane area [m^2]; currents of the compiled circuit are densities times this area.
    channels : tuple
        :class:`~devicekit.models.channels.OhmicChannel`, ``GHKChannel`` or ``HHChannel``.
    temperature : float
        [K]; sets Nernst batteries and Q10 factors.
    inside, outside : Mapping[str, float]
        Concentrations by ion symbol [mol/m^3], for Nernst batteries and GHK channels.
    stimuli : tuple
        Default stimuli (see :mod:`devicekit.models.stimuli`); ``simulate`` can replace them.
    description, reference : str
        One line, and where the model and its numbers come from.
    pools : tuple of Pool
        Ion concentrations that are states (:mod:`devicekit.models.pools`); an ion and side
        without a pool is a fixed bath (``inside``, ``outside``).
    pumps : tuple of Pump
        Pumps and buffers that move ions between the pools.
    """

    name: str
    capacitance: float = field(
        metadata=quantity(
            "capacitance_density", per_area=True, low=0.0, doc="C_m (per area, or absolute)"
        )
    )
    area: float = field(metadata=quantity("area", low=0.0, doc="membrane area"))
    channels: tuple[Channel, ...] = ()
    temperature: float = field(
        default=310.15, metadata=quantity("temperature", low=0.0, doc="temperature")
    )
    inside: Mapping[str, float] = field(default_factory=dict)
    outside: Mapping[str, float] = field(default_factory=dict)
    stimuli: tuple[Stimulus, ...] = ()
    description: str = ""
    reference: str = ""
    #: what the compartment is to a user: an excitable ``membrane`` (summaries report spikes and
    #: rest) or a two-terminal ``memristor`` (conductance range and I-V loop area)
    device: str = "membrane"
    #: True: a membrane compartment, with values per area (S/m2, F/m2, A/m2) and an area.
    #: False: a device in its own units (S, F, A), such as a fluidic memristor; its area is 1.
    per_area: bool = True
    pools: tuple[Pool, ...] = ()
    pumps: tuple[Pump, ...] = ()
    #: activity coefficients of the Nernst batteries and GHK currents: ``ideal`` (1),
    #: ``davies`` or ``debye-huckel-limiting``, from each side's ionic strength at the start
    activity: str = "ideal"

    def __post_init__(self) -> None:
        if not self.per_area and self.area != 1.0:
            raise ModelCardError(
                f"model {self.name!r} is a device in its own units (S, F, A), which has no area; "
                f"area = {self.area!r} must be left at 1"
            )
        if self.device not in DEVICE_KINDS:
            raise ModelCardError(
                f"device kind {self.device!r} is unknown; choose one of {', '.join(DEVICE_KINDS)}"
            )
        if not isinstance(self.name, str) or not _MODEL_NAME.fullmatch(self.name):
            raise ModelCardError(
                f"model name {quote(self.name, 40)} must be 1 to {MAX_MODEL_NAME} letters, digits, "
                "'-', '_', '.' or '+', starting with a letter or digit, such as my-cell"
            )
        for key in ("description", "reference"):
            text = getattr(self, key)
            if not isinstance(text, str) or len(text) > 2000 or not text.isprintable():
                raise ModelCardError(
                    f"model {key} must be one line of printable text of at most 2000 characters "
                    "(no line breaks or control characters)"
                )
        object.__setattr__(self, "inside", _frozen(self.inside))
        object.__setattr__(self, "outside", _frozen(self.outside))
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "stimuli", tuple(self.stimuli))
        object.__setattr__(self, "pumps", tuple(self.pumps))
        object.__setattr__(self, "pools", tuple(self.pools))
        object.__setattr__(self, "pools", resolve_pools(self))
        for name, value, unit in (
            ("capacitance", self.capacitance, "F/m^2"),
            ("area", self.area, "m^2"),
            ("temperature", self.temperature, "K"),
        ):
            if not (np.isfinite(value) and value > 0):
                raise ModelCardError(f"membrane {name} = {value!r} {unit} must be finite and > 0")
        names = [c.name.lower() for c in self.channels]
        if len(set(names)) != len(names):
            raise ModelCardError(f"channel names {names} repeat (SPICE names ignore case)")
        for side in (self.inside, self.outside):
            for ion, c in side.items():
                if not (np.isfinite(c) and c > 0):
                    raise ModelCardError(f"concentration of {ion} = {c!r} mol/m^3 must be > 0")
        for stimulus in self.stimuli:
            check_finite(stimulus)
            if not self.per_area and stimulus.per_area:
                raise InvalidInput(
                    f"model {self.name!r} is a device in its own units, so its stimuli are "
                    "currents (0.05pA, per_area=False), not current densities"
                )
        if self.activity not in ACTIVITY_MODELS:
            raise ModelCardError(
                f"activity = {self.activity!r} is unknown; choose one of "
                f"{', '.join(ACTIVITY_MODELS)}"
            )
        if sum(s.is_clamp for s in self.stimuli) > 1:
            raise InvalidInput("a membrane can have at most one voltage clamp")

    def __getstate__(self) -> dict[str, Any]:
        # mappingproxy cannot be pickled; sweeps send membranes to worker processes
        state = {k: v for k, v in self.__dict__.items() if k != "_cache"}
        state["inside"], state["outside"] = dict(self.inside), dict(self.outside)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "inside", _frozen(self.inside))
        object.__setattr__(self, "outside", _frozen(self.outside))

    # ------------------------------------------------------------------ derived quantities
    @property
    def environment(self) -> Environment:
        """Temperature and concentrations at the start: the solutions, with each pool at its
        initial value."""
        inside, outside = dict(self.inside), dict(self.outside)
        for pool in self.pools:
            assert pool.initial is not None  # resolve_pools gives every pool its start
            (inside if pool.side == "inside" else outside)[pool.ion] = pool.initial
        return Environment(self.temperature, inside, outside)

    @property
    def total_capacitance(self) -> float:
        """The compartment's capacitance [F]: ``capacitance`` (F/m^2) times the area for a
        membrane, ``capacitance`` itself for a device in its own units."""
        return self.capacitance * self.area

    def activity_coefficients(self) -> dict[tuple[str, str], float]:
        """(ion, side) -> activity coefficient gamma, from the ionic strength of each side's
        solution at the start (the ions it lists, pools at their initial values) at the
        model's temperature; empty when the membrane is ``ideal``. Each Nernst battery is then
        (kT/ze) ln(gamma_out c_out / (gamma_in c_in)), and a GHK current uses gamma_in c_in.
        The coefficients stay at these values while pools move and in a temperature sweep."""
        if self.activity == "ideal":
            return {}
        env, out = self.environment, {}
        for side, solution in (("inside", env.inside), ("outside", env.outside)):
            ions = list(solution)
            if not ions:
                continue
            valences = [get_ion(ion).valence for ion in ions]
            strength = ionic_strength([solution[ion] for ion in ions], valences)
            for ion, z in zip(ions, valences, strict=True):
                gamma = activity_coefficient(self.activity, strength, z, self.temperature)
                out[(ion, side)] = float(gamma)
        return out

    def with_stimuli(self, *stimuli: Stimulus) -> Membrane:
        """A copy with these stimuli instead of the default ones. What does not depend on the
        stimuli (the equations, the rest, the time scale) is shared with it, worked out once
        for both."""
        copy = replace(self, stimuli=tuple(stimuli))
        copy.__dict__["_cache"] = self.__dict__.setdefault("_cache", {})
        return copy

    def _shared(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value worked out once for this model and every copy of it with other stimuli (a
        Membrane is immutable; a failed computation is not kept)."""
        cache = self.__dict__.setdefault("_cache", {})
        if name not in cache:
            cache[name] = compute()
        return cache[name]

    @property
    def _definition(self) -> Definition:
        found: Definition = self._shared("definition", lambda: define(self))
        return found

    def definition(self) -> Definition:
        """The parametric definition (:class:`~devicekit.models.definition.Definition`): the
        equations over parameter symbols, which every backend prints."""
        return self._definition

    @property
    def _equations(self) -> MembraneEquations:
        found: MembraneEquations = self._shared("equations", lambda: self._definition.bind())
        return found

    def equations(self) -> MembraneEquations:
        """The equations with the parameter values bound (numbers in the trees)."""
        return self._equations

    def time_scale(self) -> float:
        """The model's fastest relevant time constant [s], which sets the steps of the
        transient presets (:mod:`devicekit.analyses`): the shortest time constant of any gate
        (with its Q10 factor) between the most negative and the most positive battery, where a
        spike runs (+-100 mV around a single battery). hh-squid: 0.111 ms (tau_m at +50 mV);
        the iontronic neuron: 8.3 ms. A model without gates takes hh-squid's."""
        found: float = self._shared("time_scale", self._fastest_time_constant)
        return found

    def _fastest_time_constant(self) -> float:
        batteries = [b for b in self.equations().batteries.values() if np.isfinite(b)]
        low, high = (min(batteries), max(batteries)) if batteries else (-0.1, 0.05)
        if high - low < 1e-3:
            low, high = low - 0.1, high + 0.1
        grid = np.linspace(low, high, 401)
        fastest = np.inf
        for channel in self.channels:
            phi = channel.phi(self.temperature)
            for gate in channel.gates:
                if gate.instantaneous:
                    continue
                with np.errstate(all="ignore"):
                    tau = np.broadcast_to(evaluate(gate.time_constant(V, phi), {"v": grid}),
                                          grid.shape)  # fmt: skip
                tau = tau[np.isfinite(tau) & (tau > 0)]
                if tau.size:
                    fastest = min(fastest, float(tau.min()))
        return fastest if np.isfinite(fastest) else HH_TIME_SCALE

    def check_time_constants(self) -> None:
        """Refuse gates whose time constant is zero or negative anywhere between -200 and
        +200 mV and across the channels' batteries: a tau <= 0, or alpha + beta < 0 (such a
        state runs away, or needs infinitely many steps). Where a rate overflows, the time
        constant is not judged: that voltage may never be reached."""

        batteries = [b for b in self.equations().batteries.values() if np.isfinite(b)]
        grid = np.linspace(min([-0.2, *batteries]) - 0.1, max([0.2, *batteries]) + 0.1, 2001)
        for channel in self.channels:
            for gate in channel.gates:
                if gate.instantaneous:
                    continue
                with np.errstate(all="ignore"):
                    if gate.tau is not None:
                        value = evaluate(gate.tau.expr(V), {"v": grid})
                        what = "tau"
                    else:
                        rates = gate.rate("alpha").expr(V) + gate.rate("beta").expr(V)
                        value = evaluate(rates, {"v": grid})
                        what = "alpha + beta"
                value = np.broadcast_to(value, grid.shape)
                bad = np.isfinite(value) & ((value <= 0) if what == "tau" else (value < 0))
                if bad.any():
                    k = int(np.argmax(bad))
                    raise ModelCardError(
                        f"{channel.name}.{gate.name}: {what} is {value[k]:g} "
                        f"{'s' if what == 'tau' else '1/s'} at {grid[k] * 1e3:.1f} mV, so the "
                        "time constant is zero or negative there; it must be > 0 at every "
                        "voltage (check the gate's tau, or alpha and beta, which must not be "
                        "negative)"
                    )

    def resting_state(self) -> dict[str, float]:
        """Rest without stimulus: V where the steady-state ionic current is zero, with the gates
        at their steady state. The search spans the channels' batteries (a rest lies between
        the extreme reversal potentials), and picks the most negative stable root
        (dI/dV > 0). Computed once per model (a new dict each call)."""
        return dict(self._shared("rest", self._rest))

    def _rest(self) -> dict[str, float]:
        roots, low, high = self._stable_voltages(0.0, 0.01)
        if roots.size == 0:
            raise InvalidInput(
                f"membrane {self.name!r} has no stable resting potential between "
                f"{low * 1e3:.0f} and {high * 1e3:.0f} mV without stimulus"
            )
        return self._state_at(float(roots.min()), "rest")

    def held_state(self, current: float) -> dict[str, float]:
        """The steady state under a constant injected ``current`` [A] (into the cell): V where
        the steady-state ionic current equals it, the gates at their steady values there; of
        several stable ones, the nearest to rest, where SPICE's nodeset leads its operating
        point. ``held_state(0.0)`` is :meth:`resting_state`."""
        if current == 0.0:
            return self.resting_state()
        density = current / self.area if self.per_area else current
        roots, low, high = self._stable_voltages(density, 1.0)
        if roots.size == 0:
            raise SimulationError(
                f"{self.name!r} has no steady state under an injected {current:g} A between "
                f"{low:g} and {high:g} V; run a transient instead"
            )
        nearest = roots[np.argmin(np.abs(roots - self.resting_state()["v"]))]
        return self._state_at(float(nearest), "steady state")

    def _stable_voltages(self, density: float, margin: float) -> tuple[FloatArray, float, float]:
        """The voltages where the steady-state ionic current density rises through
        ``density`` (stable under current clamp), searched from ``margin`` [V] below the lowest
        battery (and -150 mV) to ``margin`` above the highest (and +100 mV) at 0.5 mV, then
        refined; and the bounds searched."""
        eq = self.equations()
        substitute = {s: eq.steady_states[s] for s in eq.states}

        def current(v: Any) -> Any:
            env = {"v": v, **{s: evaluate(substitute[s], {"v": v}) for s in eq.states}}
            return evaluate(eq.ionic_current, env) - density

        # the brackets hold a few points each step: nested closures over math beat numpy's
        # per-call cost there (a conical channel's 32-node quadrature: 0.2 ms against 4 ms)
        scalar = lambdify(fold(replace_symbols(eq.ionic_current, substitute)), ["v"])

        def refine(v: ArrayLike) -> FloatArray:
            v = np.asarray(v, dtype=float)
            out = np.empty(v.shape)
            for i, x in enumerate(v.flat):
                try:
                    out.flat[i] = scalar(float(x)) - density
                except (ArithmeticError, ValueError):  # inf or NaN, as numpy gives them
                    out.flat[i] = float(np.asarray(current(np.array([x])))[0])
            return out

        batteries = list(eq.batteries.values())
        low, high = min([-0.15, *batteries]) - margin, max([0.1, *batteries]) + margin
        # 0.5 mV resolution, at most 100 001 points (absurd batteries must not exhaust memory)
        grid = np.linspace(low, high, min(max(501, int((high - low) / 5e-4)), 100_001))
        with np.errstate(all="ignore"):  # inf and NaN where a model is undefined, not errors
            values = current(grid)
            crossing = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) <= 0)[0]
            # increasing through zero: stable under current clamp
            rising = crossing[values[crossing] < values[crossing + 1]]
            roots = bisect_rising(refine, grid[rising], grid[rising + 1])
        return roots, low, high

    def _state_at(self, v: float, what: str) -> dict[str, float]:
        """V and every gate at its steady state there; a gate that is not finite is an error."""
        eq, state = self.equations(), {"v": v}
        with np.errstate(all="ignore"):  # numpy arithmetic: inf and NaN, checked below
            for name, expression in ((n, eq.steady_states[n]) for n in eq.states):
                value = float(evaluate(expression, {"v": np.float64(v)}))
                if not np.isfinite(value):
                    text = to_text(expression)
                    raise SimulationError(
                        f"membrane {self.name!r}: the steady state of {name}, "
                        f"{text if len(text) <= 120 else text[:117] + '...'}, is {value} at "
                        f"its {what} (v = {v * 1e3:.4g} mV); check the gate's rate expressions"
                    )
                state[name] = value
        return state

    def summary(self) -> str:
        if self.per_area:
            parts = [f"C_m = {self.capacitance * 100:g} uF/cm2", f"area = {self.area * 1e4:g} cm2"]
        else:
            parts = [f"C = {engineering(self.capacitance, 'F')}"]
        parts.append(f"T = {self.temperature - 273.15:g} degC")
        batteries = self.equations().batteries
        for channel in self.channels:
            if isinstance(channel, GHKChannel):
                size = f"P = {channel.permeability * 100:g} cm/s"
            elif self.per_area:
                size = f"g = {channel.conductance * 0.1:g} mS/cm2"
            else:
                size = f"g = {engineering(channel.conductance, 'S')}"
            gates = " ".join(f"{gate.name}^{gate.power}" for gate in channel.gates)
            parts.append(
                f"{channel.name}: {channel.kind} {size} {gates} "
                f"E = {batteries[channel.name] * 1e3:.3f} mV".replace("  ", " ")
            )
        for pool in self.pools:
            assert pool.volume is not None and pool.initial is not None  # resolved pools
            text = f"pool {pool.name}: {pool.volume * 1e18:.6g} um3 from {pool.initial:g} mM"
            if pool.tau is not None:
                bath = pool.initial if pool.bath is None else pool.bath
                text += f", relaxing to {bath:g} mM in {pool.tau * 1e3:g} ms"
            parts.append(text)
        for pump in self.pumps:
            # a buffer has its tau and resting value, a pump its maximal current (checked)
            tau, resting, imax = pump.tau or 0.0, pump.resting or 0.0, pump.max_current or 0.0
            size = (
                f"tau = {tau * 1e3:g} ms to {resting:g} mM"
                if pump.kind == "buffer"
                else f"I_max = {imax * (100 if self.per_area else 1):g} "
                + ("uA/cm2" if self.per_area else "A")
            )
            parts.append(f"{pump.kind} {size}")
        return "; ".join(parts)


#: hh-squid's fastest relevant time constant [s] (tau_m at +50 mV, 6.3 degC), the time scale
#: of a model without gates
HH_TIME_SCALE = 1.1108e-4


def bisect_rising(
    function: Callable[[FloatArray], FloatArray],
    low: ArrayLike,
    high: ArrayLike,
    xtol: float = 1e-15,
    rtol: float = 1e-15,
) -> FloatArray:
    """Zeros of a function that rises through zero in each bracket ``[low, high]``, all brackets
    at once, to ``xtol + rtol |x|``: the tolerances ``scipy.optimize.brentq`` was given here.

    The Illinois variant of regula falsi (Dowell and Jarratt, BIT 11, 168, 1971), vectorised
    over the brackets: the secant point of the bracket, and when the same end is kept twice
    its value is halved, so that both ends close in (superlinear, order 1.44); a secant point
    that is not strictly inside falls back to the bracket's middle. A 0.5 mV bracket of a
    membrane's current closes to 1e-15 in about 10 evaluations (bisection: 40), each one numpy
    evaluation of ``function`` for every bracket. It keeps ``scipy.optimize`` (0.3 s to import)
    out of every simulation's start-up, which a sweep's fresh worker processes would otherwise
    pay again and again.
    """
    low, high = np.array(low, dtype=float), np.array(high, dtype=float)
    if low.size == 0:
        return low
    tolerance = xtol + rtol * np.maximum(np.abs(low), np.abs(high))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        f_low = np.asarray(function(low), dtype=float) * np.ones_like(low)
        f_high = np.asarray(function(high), dtype=float) * np.ones_like(high)
        # NaN counts as above (the bracket shrinks left), by bisection while it lasts
        f_low = np.where(np.isnan(f_low), np.inf, f_low)
        f_high = np.where(np.isnan(f_high), np.inf, f_high)
        kept = np.zeros(low.shape)  # +1: the low end was kept last time, -1: the high end
        for _ in range(400):  # far more than bisection's 60 halvings of a double
            active = (high - low > tolerance) & (f_low < 0) & (f_high > 0)
            if not active.any():
                break
            secant = (low * f_high - high * f_low) / (f_high - f_low)
            middle = 0.5 * (low + high)
            inside = np.isfinite(secant) & (secant > low) & (secant < high)
            x = np.where(inside, secant, middle)
            x = np.where((x > low) & (x < high), x, middle)
            active &= (x > low) & (x < high)
            f = np.asarray(function(x), dtype=float) * np.ones_like(x)
            below = f < 0  # NaN counts as above: the bracket shrinks left
            exact = f == 0
            move_low = active & below
            move_high = active & ~below
            # Illinois: an end kept twice in a row has its value halved
            f_high = np.where(move_low & (kept < 0), 0.5 * f_high, f_high)
            f_low = np.where(move_high & (kept > 0), 0.5 * f_low, f_low)
            low = np.where(move_low | (active & exact), x, low)
            f_low = np.where(move_low, f, np.where(active & exact, -0.0, f_low))
            high = np.where(move_high, x, high)
            f_high = np.where(move_high, np.where(exact, 0.0, f), f_high)
            kept = np.where(move_low, -1.0, np.where(move_high, 1.0, kept))
            # a NaN above keeps the old bracket's shape: bisect it from now on
            f_high = np.where(move_high & ~np.isfinite(f), np.inf, f_high)
        # of the two ends, the one where the function is closer to zero
        return np.where(np.abs(function(low)) <= np.abs(function(high)), low, high)
