"""Expressions: one definition of a model's equations, printed in every dialect.

A device writes its equations once as :class:`Expr` trees built from numbers, symbols and the
registered functions (:mod:`devicekit.expr.functions`: ``exp``, ``exprel``, ``ln``, ``sqrt``,
``pow``, ``min``, ``max``, ``ifelse``...). :func:`evaluate` computes them with numpy,
:func:`lambdify` with scalars, and the printers (:mod:`devicekit.expr.printers`) write ngspice,
LTspice and Verilog-A text. Because all come from the same tree, the native and the circuit
evaluation of a model cannot drift apart.

Expressions written by people (in model cards) are parsed by :func:`parse_expression`
(:mod:`devicekit.expr.parse`), by whitelist; nothing is ever executed.

The modules: :mod:`~devicekit.expr.nodes` (the trees and their evaluation),
:mod:`~devicekit.expr.functions` (the registry), :mod:`~devicekit.expr.printers` and
:mod:`~devicekit.expr.parse`.
"""

from __future__ import annotations

from devicekit.expr.functions import (
    DIALECTS,
    EXPREL_SWITCH,
    FUNCTIONS,
    Function,
    preamble,
    real_literal,
)
from devicekit.expr.nodes import (
    Expr,
    ExprLike,
    Fn,
    Num,
    Op,
    Sym,
    as_expr,
    cosh,
    evaluate,
    exp,
    exprel,
    fold,
    ifelse,
    lambdify,
    ln,
    maximum,
    minimum,
    replace,
    sqrt,
    substitute,
    symbols,
    tanh,
)
from devicekit.expr.parse import parse_expression
from devicekit.expr.printers import (
    SPICE_FUNCTIONS,
    VERILOG_A_FUNCTIONS,
    to_spice,
    to_text,
    to_verilog_a,
)

__all__ = [
    "DIALECTS",
    "EXPREL_SWITCH",
    "FUNCTIONS",
    "SPICE_FUNCTIONS",
    "VERILOG_A_FUNCTIONS",
    "Expr",
    "ExprLike",
    "Fn",
    "Function",
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
    "parse_expression",
    "preamble",
    "real_literal",
    "replace",
    "sqrt",
    "substitute",
    "symbols",
    "tanh",
    "to_spice",
    "to_text",
    "to_verilog_a",
]
