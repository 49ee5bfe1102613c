"""Parsing model-card expressions by whitelist: Python's :mod:`ast` is walked, and only
numbers (optionally with a unit, ``40mV``), declared symbols, ``+ - * / **`` and the registered
functions (:data:`~devicekit.expr.functions.FUNCTIONS`) are accepted. Nothing is executed."""

from __future__ import annotations

import ast
import re

from devicekit.errors import ModelCardError, UnitError
from devicekit.expr.functions import FUNCTIONS
from devicekit.expr.nodes import Expr, Fn, Num, Op, Sym
from devicekit.units import unit_factor

__all__ = ["parse_expression"]

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
    def replace(match: re.Match[str]) -> str:
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

    def refuse(what: str) -> ModelCardError:
        return ModelCardError(
            f"{where}: {what} is not allowed in {text!r}; expressions may use numbers (with "
            f"units), the symbols {sorted(allowed)}, + - * / ** and the functions "
            f"{sorted(FUNCTIONS)}"
        )

    def recurse(child: ast.AST) -> Expr:
        return _convert(child, allowed, where, text, depth + 1)

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
        arity = FUNCTIONS[node.func.id].arity
        if len(node.args) != arity:
            raise ModelCardError(f"{where}: {node.func.id}() takes {arity} argument(s) in {text!r}")
        return Fn(node.func.id, tuple(recurse(a) for a in node.args))
    raise refuse(f"the construct {type(node).__name__!r}")
