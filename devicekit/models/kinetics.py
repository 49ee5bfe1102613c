"""Voltage-dependent rate functions and Hodgkin-Huxley gates.

A :class:`RateFunction` is one of the standard forms (as in NeuroML's ``HHExpRate``,
``HHSigmoidRate`` and ``HHExpLinearRate``) or a free expression, and turns into an
:class:`~devicekit.expr.Expr` of the membrane voltage ``v`` [V] with an SI value (1/s for rates,
s for time constants, dimensionless for steady states). With ``x = (v - midpoint)/scale``:

* ``exp``: ``amplitude * exp(x)``
* ``sigmoid``: ``amplitude / (1 + exp(-x))``
* ``exp_linear``: ``amplitude * x / (1 - exp(-x))``, written ``amplitude / exprel(-x)`` so that
  it is exact at its removable 0/0 point ``v = midpoint`` (HH alpha_m at -40 mV, alpha_n at
  -55 mV)
* ``expression``: any whitelisted expression of ``v``, with units (``15ms/cosh((v-12mV)/34.8mV)``)

A :class:`Gate` has a power and either alpha/beta rates, or a steady state with a time constant,
or a steady state alone (an instantaneous gate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from devicekit.arraytypes import ArrayLike
from devicekit.errors import InvalidInput, ModelCardError, quote
from devicekit.expr import (
    Expr,
    ExprLike,
    Num,
    Sym,
    evaluate,
    exp,
    exprel,
    parse_expression,
    substitute,
)
from devicekit.models.parameters import both, card, quantity

__all__ = ["FORMS", "ROLE_KINDS", "Gate", "RateFunction", "rate_expression"]

FORMS = ("exp", "sigmoid", "exp_linear", "expression", "constant")
#: the quantity a rate function's amplitude holds, by its role in a gate
ROLE_KINDS = {"alpha": "frequency", "beta": "frequency", "tau": "time", "inf": "dimensionless"}
V = Sym("v")


@dataclass(frozen=True)
class RateFunction:
    """A function of the membrane voltage, in SI.

    Parameters
    ----------
    form : str
        One of :data:`FORMS`.
    amplitude : float
        Value scale in SI (1/s for a rate, s for a time constant, 1 for a steady state).
    midpoint : float
        Voltage where x = 0 [V].
    scale : float
        Voltage scale [V]; its sign sets the direction (beta_m of HH has scale -18 mV).
    expression : str, optional
        For ``form="expression"``: the text, parsed by whitelist (see :mod:`devicekit.expr`).
    """

    form: str
    #: its kind follows the rate's role in its gate (:data:`ROLE_KINDS`)
    amplitude: float = field(
        default=1.0, metadata=both(quantity("dimensionless", doc="amplitude"), card(role=True))
    )
    midpoint: float = field(default=0.0, metadata=quantity("voltage", doc="midpoint"))
    scale: float = field(default=1.0, metadata=quantity("voltage", doc="voltage scale"))
    expression: str | None = None

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise ModelCardError(
                f"rate form {self.form!r} is unknown; choose one of {', '.join(FORMS)}"
            )
        if self.form == "expression":
            if not self.expression:
                raise ModelCardError("a rate of form 'expression' needs an expression string")
            parse_expression(self.expression, {"v"}, where="rate expression")
        elif self.form != "constant" and not (np.isfinite(self.scale) and self.scale != 0):
            raise ModelCardError(f"rate scale = {self.scale!r} V must be finite and non-zero")
        for name in ("amplitude", "midpoint"):
            if not np.isfinite(getattr(self, name)):
                raise ModelCardError(f"rate {name} = {getattr(self, name)!r} is not finite")

    def expr(self, v: Expr = V) -> Expr:
        """The function as an expression of ``v`` [V], SI valued."""
        if self.form == "constant":
            return Num(self.amplitude)
        if self.form == "expression":
            parsed = parse_expression(str(self.expression), {"v"}, where="rate expression")
            return substitute(parsed, {"v": v})
        return rate_expression(self.form, self.amplitude, self.midpoint, self.scale, v)

    def __call__(self, v: ArrayLike) -> Any:
        """Evaluate with numpy at voltages ``v`` [V]."""
        return evaluate(self.expr(), {"v": np.asarray(v, dtype=float)})

    def describe(self) -> str:
        if self.form == "expression":
            return str(self.expression)
        if self.form == "constant":
            return f"{self.amplitude:g}"
        x = f"(v - {self.midpoint * 1e3:g} mV)/{self.scale * 1e3:g} mV"
        body = {
            "exp": f"exp({x})",
            "sigmoid": f"1/(1 + exp(-{x}))",
            "exp_linear": f"x/(1 - exp(-x)), x = {x}",
        }[self.form]
        return f"{self.amplitude:g} * {body}"


def rate_expression(
    form: str, amplitude: ExprLike, midpoint: ExprLike, scale: ExprLike, v: Expr = V
) -> Expr:
    """The standard rate forms, defined here once (for gates, and for the fits of rates,
    whose amplitude, midpoint and scale may be symbols): with ``x = (v - midpoint)/scale``,
    ``exp``: ``amplitude exp(x)``; ``sigmoid``: ``amplitude / (1 + exp(-x))``;
    ``exp_linear``: ``amplitude x / (1 - exp(-x)) = amplitude / exprel(-x)``, exact at x = 0."""
    x = (v - midpoint) / scale
    if form == "exp":
        return amplitude * exp(x)
    if form == "sigmoid":
        return amplitude / (1.0 + exp(-x))
    if form == "exp_linear":
        return amplitude / exprel(-x)
    raise ModelCardError(f"rate form {form!r}: choose exp, sigmoid or exp_linear")


#: channel and gate names become SPICE node names: ASCII identifiers of at most this length
#: (libngspice aborts the whole process on node names of a few hundred characters)
MAX_NAME_LENGTH = 32
_NAME = re.compile(rf"[A-Za-z_][A-Za-z0-9_]{{0,{MAX_NAME_LENGTH - 1}}}")


def check_identifier(name: object, what: str, example: str) -> None:
    """Refuse a channel or gate name that is not a short ASCII identifier."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown = quote(name, 40) if isinstance(name, str) else repr(name)
        raise ModelCardError(
            f"{what} name {shown} must be an ASCII identifier of 1 to {MAX_NAME_LENGTH} "
            f"letters, digits and underscores, starting with a letter, such as {example}"
        )


class Rate(Protocol):
    """What a gate needs of a rate: :class:`RateFunction`, or a device's own steady state such
    as :class:`devicekit.models.iontronic.ConicalRate`."""

    @property
    def form(self) -> str: ...

    def expr(self, v: Expr = V) -> Expr: ...

    def __call__(self, v: ArrayLike) -> Any: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Gate:
    """A gating variable x with ``dx/dt = phi (alpha (1 - x) - beta x)`` or
    ``dx/dt = phi (inf - x) / tau``, or ``x = inf(v)`` (instantaneous), entering the channel
    conductance as ``x**power``. ``phi`` is the Q10 factor of the channel."""

    name: str
    power: int = 1
    alpha: Rate | None = field(default=None, metadata=card(nested="rate"))
    beta: Rate | None = field(default=None, metadata=card(nested="rate"))
    inf: Rate | None = field(default=None, metadata=card(nested="rate"))
    tau: Rate | None = field(default=None, metadata=card(nested="rate"))

    def __post_init__(self) -> None:
        check_identifier(self.name, "gate", "m or h")
        if (
            isinstance(self.power, bool)
            or not isinstance(self.power, int)
            or not 1 <= self.power <= 8
        ):
            raise ModelCardError(f"gate {self.name}: power = {self.power!r} must be 1 to 8")
        rates = self.alpha is not None and self.beta is not None
        steady = self.inf is not None
        if rates == steady or (self.alpha is None) != (self.beta is None):
            raise ModelCardError(
                f"gate {self.name}: give either alpha and beta, or inf (with tau, or without it "
                "for an instantaneous gate)"
            )
        if self.tau is not None and self.inf is None:
            raise ModelCardError(f"gate {self.name}: tau needs inf")

    @property
    def instantaneous(self) -> bool:
        return self.inf is not None and self.tau is None

    def steady_state(self, v: Expr = V) -> Expr:
        """x_inf(v) = alpha/(alpha + beta) or inf(v)."""
        if self.inf is not None:
            return self.inf.expr(v)
        a, b = self.rate("alpha").expr(v), self.rate("beta").expr(v)
        return a / (a + b)

    def derivative(self, x: Expr, v: Expr = V, phi: float = 1.0) -> Expr:
        """dx/dt [1/s] as an expression of the state ``x`` and ``v``."""
        if self.instantaneous:
            raise InvalidInput(f"gate {self.name} is instantaneous and has no dynamics")
        if self.alpha is not None:
            rate = self.alpha.expr(v) * (1.0 - x) - self.rate("beta").expr(v) * x
        else:
            rate = (self.rate("inf").expr(v) - x) / self.rate("tau").expr(v)
        return rate if phi == 1.0 else phi * rate

    def time_constant(self, v: Expr = V, phi: float = 1.0) -> Expr:
        if self.alpha is not None:
            return 1.0 / (phi * (self.alpha.expr(v) + self.rate("beta").expr(v)))
        return self.rate("tau").expr(v) / phi

    def rate(self, which: str) -> Rate:
        """The gate's ``alpha``, ``beta``, ``inf`` or ``tau``; one its form does not have
        (an alpha-beta gate's ``tau``) is an error naming the gate."""
        rate: Rate | None = getattr(self, which)
        if rate is None:
            raise ModelCardError(f"gate {self.name} has no {which}")
        return rate
