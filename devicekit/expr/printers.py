"""Printers: one expression tree as text in each dialect (canonical text, ngspice, LTspice,
Verilog-A). Function calls are printed from the registry (:mod:`devicekit.expr.functions`), and
integer powers become products (``m*m*m``), exactly as :func:`~devicekit.expr.evaluate`
computes them, so numpy and the circuit simulators compute the same numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from devicekit.expr.functions import FUNCTIONS, preamble, real_literal
from devicekit.expr.nodes import Expr, Fn, Num, Op, Sym, _integer_exponent

__all__ = ["SPICE_FUNCTIONS", "VERILOG_A_FUNCTIONS", "to_spice", "to_text", "to_verilog_a"]


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
    def sub(node: Expr, level: int = 0) -> str:
        return _print(node, leaf, call, power, level, number)

    if isinstance(expr, Num):
        text = number(expr.value)
        return f"({text})" if expr.value < 0 and parent > 0 else text
    if isinstance(expr, Sym):
        return leaf(expr)
    if isinstance(expr, Fn):
        return call(expr, [sub(a) for a in expr.args])
    if not isinstance(expr, Op):
        raise TypeError(f"not an expression: {expr!r}")
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


def to_spice(expr: Expr, names: Mapping[str, str], dialect: str = "ngspice") -> str:
    """B-source syntax of ngspice (default) or LTspice (``dialect="ltspice"``). ``names`` maps
    symbols to SPICE text (``v`` -> ``V(vm)``). Integer powers become products (``m*m*m``), like
    :func:`~devicekit.expr.evaluate`; ``exprel`` calls ``dk_exprel``, which
    :func:`~devicekit.expr.functions.preamble` defines with ``.func``."""

    def leaf(sym: Sym) -> str:
        try:
            return names[sym.name]
        except KeyError:
            raise KeyError(f"no SPICE name for symbol {sym.name!r}") from None

    def call(fn: Fn, args: list[str]) -> str:
        return FUNCTIONS[fn.name].text(dialect, args)

    def power(base: str, node: Expr, exponent: str) -> str:
        return _product_power(base, node, exponent, f"pow({base}, {exponent})")

    return _print(expr, leaf, call, power)


def to_verilog_a(expr: Expr, names: Mapping[str, str]) -> str:
    """Verilog-A syntax; numbers are real literals and ``exprel`` is the analog function
    ``dk_exprel`` (:data:`VERILOG_A_FUNCTIONS`)."""

    def call(fn: Fn, args: list[str]) -> str:
        return FUNCTIONS[fn.name].text("verilog-a", args)

    def power(base: str, node: Expr, exponent: str) -> str:
        return _product_power(base, node, exponent, f"pow({base}, {exponent})")

    def leaf(sym: Sym) -> str:
        return names[sym.name]

    return _print(expr, leaf, call, power, number=real_literal)


# str(expr) is its canonical text; set here, as the printers build on the nodes
Expr.__str__ = to_text  # type: ignore[method-assign, assignment]

#: ``.func`` definitions that generated SPICE relies on (ngspice dialect)
SPICE_FUNCTIONS = preamble("ngspice")
#: analog functions that generated Verilog-A relies on
VERILOG_A_FUNCTIONS = preamble("verilog-a")
