"""Expressions: one definition of a model's equations, rendered to numpy, SPICE and Verilog-A.

A model writes its equations once as :class:`Expr` trees built from numbers, symbols and a small
set of functions. :func:`evaluate` computes them with numpy, :func:`to_spice` prints ngspice
B-source syntax and :func:`to_verilog_a` Verilog-A. Because all three come from the same tree,
the native and the circuit evaluation of a model cannot drift apart.

Expressions written by people (in model cards) are parsed by :func:`parse_expression`, which walks
Python's :mod:`ast` with a whitelist: numbers (optionally with a unit, ``40mV``), declared
symbols, ``+ - * / **`` and the functions in :data:`FUNCTIONS`. Nothing is ever executed.

``exprel(x) = (exp(x) - 1)/x`` is a function of its own, so that the removable 0/0 points of
Hodgkin-Huxley rates (``x / (1 - exp(-x)) = 1 / exprel(-x)``) are evaluated stably everywhere: in
numpy by ``expm1(x)/x`` with its limit 1 at 0, in SPICE and Verilog-A by a ternary that switches
to the Taylor series ``1 + x/2 + x^2/6 + x^3/24`` for ``|x| < 1e-4`` (truncation error below
``x^4/120 < 1e-18``).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from devicekit.errors import ModelCardError

__all__ = [
    "FUNCTIONS",
    "Expr",
    "Fn",
    "Num",
    "Op",
    "Sym",
    "as_expr",
    "evaluate",
    "fold",
    "lambdify",
    "parse_expression",
    "real_literal",
    "replace",
    "substitute",
    "symbols",
    "to_spice",
    "to_text",
    "to_verilog_a",
]

EXPREL_SWITCH = 1e-4  # |x| below which exprel uses its Taylor series in SPICE and Verilog-A


class Expr:
    """Base class of expression nodes; supports ``+ - * / **`` and unary minus."""

    __slots__ = ()

    def __add__(self, other):
        return Op("+", (self, as_expr(other)))

    def __radd__(self, other):
        return Op("+", (as_expr(other), self))

    def __sub__(self, other):
        return Op("-", (self, as_expr(other)))

    def __rsub__(self, other):
        return Op("-", (as_expr(other), self))

    def __mul__(self, other):
        return Op("*", (self, as_expr(other)))

    def __rmul__(self, other):
        return Op("*", (as_expr(other), self))

    def __truediv__(self, other):
        return Op("/", (self, as_expr(other)))

    def __rtruediv__(self, other):
        return Op("/", (as_expr(other), self))

    def __pow__(self, other):
        return Op("**", (self, as_expr(other)))

    def __rpow__(self, other):
        return Op("**", (as_expr(other), self))

    def __neg__(self):
        return Op("neg", (self,))

    def __str__(self):
        return to_text(self)


@dataclass(frozen=True, eq=True)
class Num(Expr):
    """A number (SI)."""

    value: float

    def __post_init__(self):
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
    args: tuple


@dataclass(frozen=True, eq=True)
class Fn(Expr):
    """A call of one of :data:`FUNCTIONS`."""

    name: str
    args: tuple


def _exprel(x):
    x = np.asarray(x, dtype=float)
    zero = x == 0.0
    safe = np.where(zero, 1.0, x)
    return np.where(zero, 1.0, np.expm1(safe) / safe)


#: Functions allowed in expressions: name -> (number of arguments, numpy implementation).
FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "exp": (1, np.exp),
    "ln": (1, np.log),
    "log": (1, np.log),
    "sqrt": (1, np.sqrt),
    "tanh": (1, np.tanh),
    "cosh": (1, np.cosh),
    "sinh": (1, np.sinh),
    "abs": (1, np.abs),
    "exprel": (1, _exprel),
}


def as_expr(value) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return Num(float(value))
    raise TypeError(f"cannot make an expression of {value!r}")


def exp(x) -> Expr:
    return Fn("exp", (as_expr(x),))


def exprel(x) -> Expr:
    return Fn("exprel", (as_expr(x),))


def tanh(x) -> Expr:
    return Fn("tanh", (as_expr(x),))


def cosh(x) -> Expr:
    return Fn("cosh", (as_expr(x),))


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
def evaluate(expr: Expr, env: Mapping[str, object]):
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
        return FUNCTIONS[expr.name][1](*(evaluate(a, env) for a in expr.args))
    raise TypeError(f"not an expression: {expr!r}")


def _integer_exponent(node: Expr) -> int | None:
    if isinstance(node, Num) and node.value == int(node.value) and 0 <= node.value <= 8:
        return int(node.value)
    return None


def _power(base, exponent_node, exponent):
    n = _integer_exponent(exponent_node)
    if n is None:
        return base**exponent
    result = np.ones_like(np.asarray(base, dtype=float)) if n == 0 else base
    for _ in range(n - 1):  # the same products as the generated SPICE, so results agree
        result = result * base
    return result


# ----------------------------------------------------------------------------- fast scalars
def _scalar_exprel(x: float) -> float:
    return 1.0 if x == 0.0 else math.expm1(x) / x


_SCALAR_FUNCTIONS = {
    "exp": math.exp,
    "ln": math.log,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "cosh": math.cosh,
    "sinh": math.sinh,
    "abs": abs,
    "exprel": _scalar_exprel,
}


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

    def build(node: Expr):
        if isinstance(node, Num):
            value = node.value
            return lambda a: value
        if isinstance(node, Sym):
            if node.name not in index:
                raise KeyError(f"expression needs a value for symbol {node.name!r}")
            i = index[node.name]
            return lambda a: a[i]
        if isinstance(node, Fn):
            f, (g,) = _SCALAR_FUNCTIONS[node.name], [build(x) for x in node.args]
            return lambda a: f(g(a))
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


# ----------------------------------------------------------------------------- printing
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") and "e" not in text else text


def _print(
    expr: Expr,
    leaf: Callable[[Sym], str],
    call: Callable[[Fn, list[str]], str],
    power: Callable[[str, Expr, str], str],
    parent: int = 0,
    number: Callable[[float], str] = _number,
) -> str:
    def sub(node, level=0):
        return _print(node, leaf, call, power, level, number)

    if isinstance(expr, Num):
        text = number(expr.value)
        return f"({text})" if expr.value < 0 and parent > 0 else text
    if isinstance(expr, Sym):
        return leaf(expr)
    if isinstance(expr, Fn):
        return call(expr, [sub(a) for a in expr.args])
    precedence = _PRECEDENCE[expr.op]
    if expr.op == "neg":
        text = "-" + sub(expr.args[0], precedence)
    elif expr.op == "**":
        base = sub(expr.args[0], precedence + 1)
        text = power(base, expr.args[1], sub(expr.args[1], precedence + 1))
        precedence = 5 if text.startswith("(") and text.endswith(")") else precedence
    else:
        left = sub(expr.args[0], precedence)
        # an equal-precedence right operand keeps its parentheses: a - (b - c) must, and
        # a + (b + c) must too, because floating-point + and * are not associative and the
        # text has to read back as the same tree
        right = sub(expr.args[1], precedence + 1)
        text = f"{left} {expr.op} {right}"
    return f"({text})" if precedence < parent or (expr.op == "neg" and parent > 0) else text


def to_text(expr: Expr) -> str:
    """Canonical text, in SI, readable back by :func:`parse_expression`."""
    return _print(
        expr,
        lambda s: s.name,
        lambda f, args: f"{f.name}({', '.join(args)})",
        lambda base, node, exponent: f"{base}**{exponent}",
    )


def _product_power(base: str, node: Expr, exponent: str, fallback: str) -> str:
    n = _integer_exponent(node)
    if n is None:
        return fallback
    if n == 0:
        return "1"
    return "(" + "*".join([base] * n) + ")" if n > 1 else base


def to_spice(expr: Expr, names: Mapping[str, str]) -> str:
    """ngspice B-source syntax. ``names`` maps symbols to SPICE text (``v`` -> ``V(vm)``).

    Integer powers become products (``m*m*m``), like :func:`evaluate`, and ``exprel`` calls the
    ``dk_exprel`` function that :data:`SPICE_FUNCTIONS` defines with ``.func``.
    """

    def leaf(sym: Sym) -> str:
        try:
            return names[sym.name]
        except KeyError:
            raise KeyError(f"no SPICE name for symbol {sym.name!r}") from None

    def call(fn: Fn, args: list[str]) -> str:
        name = {"log": "ln", "exprel": "dk_exprel"}.get(fn.name, fn.name)
        return f"{name}({', '.join(args)})"

    def power(base, node, exponent):
        return _product_power(base, node, exponent, f"pow({base}, {exponent})")

    return _print(expr, leaf, call, power)


#: ``.func`` definitions that generated SPICE relies on (ngspice dialect).
SPICE_FUNCTIONS = (
    f".func dk_exprel(x) {{(abs(x) < {EXPREL_SWITCH:g}) ? (1 + x*(0.5 + x*(1/6 + x/24))) : "
    "((exp(x) - 1)/x)}"
)


def real_literal(value: float) -> str:
    """A Verilog-A real literal: always with a point or an exponent, since 1/6 is integer
    division there."""
    text = repr(float(value))
    return text if any(c in text for c in ".einf") else text + ".0"


def to_verilog_a(expr: Expr, names: Mapping[str, str]) -> str:
    """Verilog-A syntax; numbers are real literals and ``exprel`` is the analog function
    ``dk_exprel`` (:data:`VERILOG_A_FUNCTIONS`)."""

    def call(fn: Fn, args: list[str]) -> str:
        name = {"log": "ln", "exprel": "dk_exprel"}.get(fn.name, fn.name)
        return f"{name}({', '.join(args)})"

    def power(base, node, exponent):
        return _product_power(base, node, exponent, f"pow({base}, {exponent})")

    def leaf(sym: Sym) -> str:
        return names[sym.name]

    return _print(expr, leaf, call, power, number=real_literal)


#: analog functions that generated Verilog-A relies on
VERILOG_A_FUNCTIONS = f"""analog function real dk_exprel;
    input x;
    real x;
    begin
        // (exp(x) - 1)/x with its limit 1 at x = 0: Taylor series for |x| < {EXPREL_SWITCH:g}
        if (abs(x) < {real_literal(EXPREL_SWITCH)})
            dk_exprel = 1.0 + x * (0.5 + x * (1.0 / 6.0 + x / 24.0));
        else
            dk_exprel = (exp(x) - 1.0) / x;
    end
endfunction"""


# ----------------------------------------------------------------------------- parsing
_MAX_LENGTH = 4000
_MAX_DEPTH = 60
# a number immediately followed by a unit: 40mV, 1.5e-3ms, 34.8mV, 15ms
_QUANTITY = re.compile(
    r"(?<![\w.])((?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![eE][-+]?\d)"
    # a unit: letters and digits, and "/" only before a letter (mS/cm2), so that in "1V/1V" the
    # second quantity is not swallowed by the first unit
    r"([A-Za-zµμ°](?:[A-Za-z0-9µμ°]|/(?=[A-Za-zµμ°]))*)"
)


def _replace_quantities(text: str, where: str) -> str:
    from devicekit.errors import UnitError
    from devicekit.units import unit_factor

    def replace(match: re.Match) -> str:
        number, word = match.group(1), match.group(2)
        # "/" may be a division: take the longest "/"-prefix that is a unit ("15ms/cosh(...)"
        # is 15 ms divided by cosh; "36mS/cm2" is one unit)
        parts = word.split("/")
        for cut in range(len(parts), 0, -1):
            unit = "/".join(parts[:cut])
            try:
                found = unit_factor(unit)
            except UnitError:
                continue
            if found.offset:
                raise ModelCardError(f"{where}: {number}{unit} has an offset unit; use kelvin")
            # what follows the unit stays as written: "1ms/-v" keeps its "/" (0.001/(-v))
            return repr(found.to_si(float(number))) + word[len(unit) :]
        raise ModelCardError(
            f"{where}: unknown unit {parts[0]!r} after {number} in {text!r}; write numbers with "
            "a unit such as 40mV or 15ms, or plain SI numbers (use * between a number and a name)"
        )

    return _QUANTITY.sub(replace, text)


def _check_nesting(text: str, where: str) -> None:
    """Refuse, before Python's parser sees it, nesting deeper than :data:`_MAX_DEPTH`: brackets,
    and runs of signs (``- - - - v``), which the parser handles by recursion."""
    depth = deepest = signs = most = 0
    for c in text:
        if c in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]}":
            depth -= 1
        if c in "+-~":
            signs += 1
            most = max(most, signs)
        elif not c.isspace():
            signs = 0
    if deepest > _MAX_DEPTH or most > _MAX_DEPTH:
        raise ModelCardError(f"{where}: expression nested deeper than {_MAX_DEPTH} levels")


def parse_expression(text: str, allowed: set[str], *, where: str = "expression") -> Expr:
    """Parse a model-card expression into an :class:`Expr`, by whitelist, never executing it.

    Parameters
    ----------
    text : str
        For example ``"15ms / cosh((v - 12mV) / 34.8mV)"``. Numbers may carry a unit, which is
        converted to SI; ``v`` is the membrane voltage in volts.
    allowed : set of str
        Symbols the expression may use.
    where : str
        Where the expression comes from, for error messages.

    Raises
    ------
    ModelCardError
        For anything outside the whitelist (attribute access, subscripts, keywords, unknown
        names or functions, strings, lambdas...), naming the construct.
    """
    if not isinstance(text, str):
        raise ModelCardError(f"{where}: expected an expression string, got {text!r}")
    if len(text) > _MAX_LENGTH:
        raise ModelCardError(
            f"{where}: an expression of {len(text)} characters is longer than the limit of "
            f"{_MAX_LENGTH}"
        )
    _check_nesting(text, where)
    source = _replace_quantities(text, where)
    shown = text if len(text) <= 80 else text[:60] + "..."
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise ModelCardError(
            f"{where}: {shown!r} is not a valid expression ({error.msg})"
        ) from None
    except (RecursionError, MemoryError, ValueError) as error:  # the parser's own limits
        raise ModelCardError(
            f"{where}: {shown!r} cannot be parsed ({type(error).__name__}); simplify it"
        ) from None
    return _convert(tree.body, allowed, where, text, 0)


_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _convert(node: ast.AST, allowed: set[str], where: str, text: str, depth: int) -> Expr:
    if depth > _MAX_DEPTH:
        raise ModelCardError(f"{where}: expression nested deeper than {_MAX_DEPTH} levels")

    def refuse(what: str):
        return ModelCardError(
            f"{where}: {what} is not allowed in {text!r}; expressions may use numbers (with "
            f"units), the symbols {sorted(allowed)}, + - * / ** and the functions "
            f"{sorted(FUNCTIONS)}"
        )

    recurse = lambda child: _convert(child, allowed, where, text, depth + 1)  # noqa: E731
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise refuse(f"the constant {node.value!r}")
        return Num(float(node.value))
    if isinstance(node, ast.Name):
        if node.id not in allowed:
            raise refuse(f"the name {node.id!r}")
        return Sym(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return Op(_BINARY[type(node.op)], (recurse(node.left), recurse(node.right)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = recurse(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(operand, Num):
            return Num(-operand.value)
        return Op("neg", (operand,))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise refuse(f"a call of {name!r}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise refuse("a keyword or starred argument")
        arity = FUNCTIONS[node.func.id][0]
        if len(node.args) != arity:
            raise ModelCardError(f"{where}: {node.func.id}() takes {arity} argument(s) in {text!r}")
        return Fn(node.func.id, tuple(recurse(a) for a in node.args))
    raise refuse(f"the construct {type(node).__name__!r}")
