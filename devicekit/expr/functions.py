"""The registry of functions that expressions may call, with each function's implementation
in every dialect in one place: numpy (arrays), math (scalars, for ODE right-hand sides),
ngspice, LTspice and Verilog-A.

``exprel(x) = (exp(x) - 1)/x`` is a function of its own, so that the removable 0/0 points of
Hodgkin-Huxley rates (``x / (1 - exp(-x)) = 1 / exprel(-x)``) and of the GHK current at 0 V are
evaluated stably everywhere: in numpy by ``expm1(x)/x`` with its limit 1 at 0; in SPICE and
Verilog-A by a function (:func:`preamble`) that switches to the Taylor series
``1 + x/2 + x^2/6 + x^3/24`` for ``|x| < 1e-4`` (truncation error below ``x^4/120 < 1e-18``).

``ifelse(c, a, b)`` is ``a`` where ``c > 0`` and ``b`` elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from devicekit.arraytypes import ArrayLike, FloatArray

__all__ = ["DIALECTS", "EXPREL_SWITCH", "FUNCTIONS", "Function", "preamble", "real_literal"]

EXPREL_SWITCH = 1e-4  # |x| below which exprel uses its Taylor series in SPICE and Verilog-A

#: the text dialects expressions are printed in
DIALECTS = ("ngspice", "ltspice", "verilog-a")


@dataclass(frozen=True)
class Function:
    """One function: its arity, its numpy and scalar implementations, and its text in each
    dialect as a template of its printed arguments (``{0}``, ``{1}``...)."""

    name: str
    arity: int
    numpy: Callable[..., Any]
    scalar: Callable[..., float]
    ngspice: str
    ltspice: str
    verilog_a: str

    def text(self, dialect: str, args: list[str]) -> str:
        template = {"ngspice": self.ngspice, "ltspice": self.ltspice, "verilog-a": self.verilog_a}
        return template[dialect].format(*args)


def _exprel(x: ArrayLike) -> FloatArray:
    x = np.asarray(x, dtype=float)
    zero = x == 0.0
    safe = np.where(zero, 1.0, x)
    return np.where(zero, 1.0, np.expm1(safe) / safe)


def _scalar_exprel(x: float) -> float:
    return 1.0 if x == 0.0 else math.expm1(x) / x


def _plain(
    name: str,
    numpy_function: Callable[..., Any],
    scalar_function: Callable[..., float],
    spice_name: str | None = None,
) -> Function:
    spice_name = spice_name or name
    return Function(
        name, 1, numpy_function, scalar_function, f"{spice_name}({{0}})",
        f"{spice_name}({{0}})", f"{spice_name}({{0}})",
    )  # fmt: skip


#: name -> Function: everything an expression may call
FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        _plain("exp", np.exp, math.exp),
        _plain("ln", np.log, math.log),
        _plain("log", np.log, math.log, "ln"),  # natural logarithm, as in numpy
        _plain("sqrt", np.sqrt, math.sqrt),
        _plain("tanh", np.tanh, math.tanh),
        _plain("cosh", np.cosh, math.cosh),
        _plain("sinh", np.sinh, math.sinh),
        _plain("abs", np.abs, abs),
        _plain("exprel", _exprel, _scalar_exprel, "dk_exprel"),
        Function("pow", 2, np.power, math.pow, "pow({0}, {1})", "pow({0}, {1})", "pow({0}, {1})"),
        Function("min", 2, np.minimum, min, "min({0}, {1})", "min({0}, {1})", "min({0}, {1})"),
        Function("max", 2, np.maximum, max, "max({0}, {1})", "max({0}, {1})", "max({0}, {1})"),
        Function(
            "ifelse",
            3,
            lambda c, a, b: np.where(np.asarray(c) > 0, a, b),
            lambda c, a, b: a if c > 0 else b,
            "(({0}) > 0 ? ({1}) : ({2}))",
            "if(({0}) > 0, {1}, {2})",
            "((({0}) > 0) ? ({1}) : ({2}))",
        ),
    )
}


def real_literal(value: float) -> str:
    """A Verilog-A real literal: always with a point or an exponent, since 1/6 is integer
    division there."""
    text = repr(float(value))
    return text if any(c in text for c in ".einf") else text + ".0"


_TAYLOR = "1 + x*(0.5 + x*(1/6 + x/24))"

#: the definitions generated text relies on, per dialect
_PREAMBLES = {
    "ngspice": (
        f".func dk_exprel(x) {{(abs(x) < {EXPREL_SWITCH:g}) ? ({_TAYLOR}) : ((exp(x) - 1)/x)}}"
    ),
    "ltspice": f".func dk_exprel(x) {{if(abs(x) < {EXPREL_SWITCH:g}, {_TAYLOR}, (exp(x) - 1)/x)}}",
    "verilog-a": f"""analog function real dk_exprel;
    input x;
    real x;
    begin
        // (exp(x) - 1)/x with its limit 1 at x = 0: Taylor series for |x| < {EXPREL_SWITCH:g}
        if (abs(x) < {real_literal(EXPREL_SWITCH)})
            dk_exprel = 1.0 + x * (0.5 + x * (1.0 / 6.0 + x / 24.0));
        else
            dk_exprel = (exp(x) - 1.0) / x;
    end
endfunction""",
}


def preamble(dialect: str) -> str:
    """The function definitions (``.func`` or ``analog function``) a dialect's text needs."""
    return _PREAMBLES[dialect]
