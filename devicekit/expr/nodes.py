"""Expression trees: numbers, symbols, operators and calls of registered functions, with
their numpy evaluation (:func:`evaluate`), a fast scalar form for ODE right-hand sides
(:func:`lambdify`) and the tree operations the printers and the device definitions use."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

from devicekit.errors import ModelCardError
from devicekit.expr.functions import FUNCTIONS

__all__ = [
    "Expr",
    "ExprLike",
    "Fn",
    "Num",
    "Op",
    "Sym",
    "as_expr",
    "cosh",
    "evaluate",
    "exp",
    "exprel",
    "fold",
    "ifelse",
    "lambdify",
    "ln",
    "maximum",
    "minimum",
    "replace",
    "sqrt",
    "substitute",
    "symbols",
    "tanh",
]


#: what an expression operand may be: a node, or a number (made a :class:`Num`)
ExprLike: TypeAlias = "Expr | float"


class Expr:
    """Base class of expression nodes; supports ``+ - * / **`` and unary minus."""

    __slots__ = ()

    def __add__(self, other: ExprLike) -> Expr:
        return Op("+", (self, as_expr(other)))

    def __radd__(self, other: ExprLike) -> Expr:
        return Op("+", (as_expr(other), self))

    def __sub__(self, other: ExprLike) -> Expr:
        return Op("-", (self, as_expr(other)))

    def __rsub__(self, other: ExprLike) -> Expr:
        return Op("-", (as_expr(other), self))

    def __mul__(self, other: ExprLike) -> Expr:
        return Op("*", (self, as_expr(other)))

    def __rmul__(self, other: ExprLike) -> Expr:
        return Op("*", (as_expr(other), self))

    def __truediv__(self, other: ExprLike) -> Expr:
        return Op("/", (self, as_expr(other)))

    def __rtruediv__(self, other: ExprLike) -> Expr:
        return Op("/", (as_expr(other), self))

    def __pow__(self, other: ExprLike) -> Expr:
        return Op("**", (self, as_expr(other)))

    def __rpow__(self, other: ExprLike) -> Expr:
        return Op("**", (as_expr(other), self))

    def __neg__(self) -> Expr:
        return Op("neg", (self,))

    # __str__ is the canonical text of devicekit.expr.printers.to_text, set there (the printers
    # build on these nodes, not the other way round)


@dataclass(frozen=True, eq=True)
class Num(Expr):
    """A number (SI)."""

    value: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ModelCardError(f"number {self.value!r} in an expression is not finite")


@dataclass(frozen=True, eq=True)
class Sym(Expr):
    """A symbol: the membrane voltage ``v``, a gate state, a parameter."""

    name: str


@dataclass(frozen=True, eq=True)
class Op(Expr):
    """An operator: ``+ - * / **`` (binary) or ``neg`` (unary)."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, eq=True)
class Fn(Expr):
    """A call of one of :data:`FUNCTIONS`."""

    name: str
    args: tuple[Expr, ...]


def as_expr(value: ExprLike) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return Num(float(value))
    raise TypeError(f"cannot make an expression of {value!r}")


def exp(x: ExprLike) -> Expr:
    return Fn("exp", (as_expr(x),))


def exprel(x: ExprLike) -> Expr:
    return Fn("exprel", (as_expr(x),))


def ln(x: ExprLike) -> Expr:
    return Fn("ln", (as_expr(x),))


def sqrt(x: ExprLike) -> Expr:
    return Fn("sqrt", (as_expr(x),))


def tanh(x: ExprLike) -> Expr:
    return Fn("tanh", (as_expr(x),))


def cosh(x: ExprLike) -> Expr:
    return Fn("cosh", (as_expr(x),))


def minimum(a: ExprLike, b: ExprLike) -> Expr:
    return Fn("min", (as_expr(a), as_expr(b)))


def maximum(a: ExprLike, b: ExprLike) -> Expr:
    return Fn("max", (as_expr(a), as_expr(b)))


def ifelse(condition: ExprLike, a: ExprLike, b: ExprLike) -> Expr:
    """``a`` where ``condition > 0``, else ``b``."""
    return Fn("ifelse", (as_expr(condition), as_expr(a), as_expr(b)))


def replace(expr: Expr, old: Expr, new: Expr) -> Expr:
    """Replace every occurrence of the sub-expression ``old`` (structural equality)."""
    if expr == old:
        return new
    if isinstance(expr, Op):
        return Op(expr.op, tuple(replace(a, old, new) for a in expr.args))
    if isinstance(expr, Fn):
        return Fn(expr.name, tuple(replace(a, old, new) for a in expr.args))
    return expr


def substitute(expr: Expr, values: Mapping[str, Expr]) -> Expr:
    """Replace symbols by expressions (``{"g_k": Num(360.0)}``); others stay."""
    if not values:
        return expr
    if isinstance(expr, Sym):
        return values.get(expr.name, expr)
    if isinstance(expr, Op):
        return Op(expr.op, tuple(substitute(a, values) for a in expr.args))
    if isinstance(expr, Fn):
        return Fn(expr.name, tuple(substitute(a, values) for a in expr.args))
    return expr


_ONE = Num(1.0)


def fold(expr: Expr) -> Expr:
    """Evaluate every sub-expression made of numbers alone, and drop multiplications and
    divisions by exactly 1 (which change no bit of the result). Used when parameter values are
    bound, so that the numpy backend does not recompute constants at every step."""
    if not isinstance(expr, (Op, Fn)):
        return expr
    args = tuple(fold(a) for a in expr.args)
    if all(isinstance(a, Num) for a in args):
        with np.errstate(all="ignore"):
            try:
                value = float(
                    evaluate(type(expr)(expr.op if isinstance(expr, Op) else expr.name, args), {})
                )
            except (ArithmeticError, ValueError):
                value = math.nan
        if math.isfinite(value):
            return Num(value)
    if isinstance(expr, Op) and expr.op in ("*", "/"):
        if args[1] == _ONE:
            return args[0]
        if expr.op == "*" and args[0] == _ONE:
            return args[1]
    return type(expr)(expr.op if isinstance(expr, Op) else expr.name, args)


def symbols(expr: Expr) -> set[str]:
    """The names of the symbols an expression uses."""
    if isinstance(expr, Sym):
        return {expr.name}
    if isinstance(expr, (Op, Fn)):
        return set().union(*(symbols(a) for a in expr.args))
    return set()


# ----------------------------------------------------------------------------- evaluation
def evaluate(expr: Expr, env: Mapping[str, object]) -> Any:
    """Evaluate with numpy; ``env`` maps symbol names to numbers or arrays."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Sym):
        try:
            value = env[expr.name]
        except KeyError:
            raise KeyError(f"expression needs a value for symbol {expr.name!r}") from None
        return value if isinstance(value, (float, int, np.ndarray)) else np.asarray(value, float)
    if isinstance(expr, Op):
        values = [evaluate(a, env) for a in expr.args]
        if expr.op == "neg":
            return -values[0]
        a, b = values
        if expr.op == "+":
            return a + b
        if expr.op == "-":
            return a - b
        if expr.op == "*":
            return a * b
        if expr.op == "/":
            return a / b
        return _power(a, expr.args[1], b)
    if isinstance(expr, Fn):
        return FUNCTIONS[expr.name].numpy(*(evaluate(a, env) for a in expr.args))
    raise TypeError(f"not an expression: {expr!r}")


def _integer_exponent(node: Expr) -> int | None:
    if isinstance(node, Num) and node.value == int(node.value) and 0 <= node.value <= 8:
        return int(node.value)
    return None


def _power(base: Any, exponent_node: Expr, exponent: Any) -> Any:
    n = _integer_exponent(exponent_node)
    if n is None:
        return base**exponent
    result = np.ones_like(np.asarray(base, dtype=float)) if n == 0 else base
    for _ in range(n - 1):  # the same products as the generated SPICE, so results agree
        result = result * base
    return result


def _scalar_power(base: float, n: int) -> float:
    """base**n for n = 0..8 as the product ((base*base)*base)..., the same operations as
    :func:`evaluate` and the generated SPICE and Verilog-A (``m*m*m``), so all agree to the
    last bit."""
    if n == 0:
        return 1.0
    result = base
    for _ in range(n - 1):
        result = result * base
    return result


def lambdify(expr: Expr, names: list[str]) -> Callable[..., float]:
    """Compile an expression into a function of scalar arguments ``names``, built from nested
    closures over :mod:`math` (no code is generated or executed). Used in ODE right-hand sides,
    where it is several times faster than :func:`evaluate` on scalars."""
    index = {name: i for i, name in enumerate(names)}

    def build(node: Expr) -> Callable[[Sequence[float]], float]:
        if isinstance(node, Num):
            value = node.value
            return lambda a: value
        if isinstance(node, Sym):
            if node.name not in index:
                raise KeyError(f"expression needs a value for symbol {node.name!r}")
            i = index[node.name]
            return lambda a: a[i]
        if isinstance(node, Fn):
            f, parts = FUNCTIONS[node.name].scalar, [build(x) for x in node.args]
            if len(parts) == 1:
                (g,) = parts
                return lambda a: f(g(a))
            return lambda a: f(*(g(a) for g in parts))
        if not isinstance(node, Op):
            raise TypeError(f"not an expression: {node!r}")
        parts = [build(x) for x in node.args]
        if node.op == "neg":
            (g,) = parts
            return lambda a: -g(a)
        left, right = parts
        if node.op == "+":
            return lambda a: left(a) + right(a)
        if node.op == "-":
            return lambda a: left(a) - right(a)
        if node.op == "*":
            return lambda a: left(a) * right(a)
        if node.op == "/":
            return lambda a: left(a) / right(a)
        n = _integer_exponent(node.args[1])
        if n is None:
            return lambda a: left(a) ** right(a)
        return lambda a: _scalar_power(left(a), n)

    root = build(expr)
    return lambda *args: root(args)
