import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicekit.errors import ModelCardError
from devicekit.expr import (
    EXPREL_SWITCH,
    Num,
    Sym,
    evaluate,
    exprel,
    lambdify,
    parse_expression,
    replace,
    to_spice,
    to_text,
)

mpmath.mp.dps = 40
V = Sym("v")


def spice_exprel(x: float) -> float:
    """The formula of the generated .func dk_exprel, evaluated in Python doubles."""
    if abs(x) < EXPREL_SWITCH:
        return 1 + x * (0.5 + x * (1 / 6 + x / 24))
    return (math.exp(x) - 1) / x


@pytest.mark.parametrize("x", [0.0, 1e-300, -1e-12, 3e-9, -9.9e-5, 1e-4, -1.5e-4, 0.3, -7.0, 30.0])
def test_exprel_both_forms_match_high_precision(x):
    exact = 1.0 if x == 0 else float(mpmath.expm1(x) / x)
    assert float(evaluate(exprel(V), {"v": x})) == pytest.approx(exact, rel=1e-15)
    # the SPICE form: Taylor branch truncation < x^4/120 < 1e-18; above the switch
    # (exp(x) - 1)/x loses ~eps/|x| < 2.3e-12 relative at |x| = 1e-4
    assert spice_exprel(x) == pytest.approx(exact, rel=3e-12)


def test_to_spice_and_text():
    e = 1000.0 / exprel(-(V - (-0.04)) / 0.01) * Sym("m") ** 3
    assert "dk_exprel" in to_spice(e, {"v": "V(vmem)", "m": "V(m)"})
    assert "V(m)*V(m)*V(m)" in to_spice(e, {"v": "V(vmem)", "m": "V(m)"})
    assert parse_expression(to_text(e), {"v", "m"}) == e


def test_units_inside_expressions_become_si():
    e = parse_expression("15ms / cosh((v - 12mV) / 34.8mV)", {"v"})
    assert to_text(e) == "0.015 / cosh((v - 0.012) / 0.0348)"
    assert parse_expression("36mS/cm2 * (v + 65mV)", {"v"}) == 360.0 * (V + 0.065)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "v.real",
        "x + 1",
        "(lambda: 1)()",
        "1 if v else 2",
        "'a'",
        "v[0]",
        "f(v)",
        "exp(v, 2)",
        "exp(x=v)",
        "True",
        "2exp(v)",
        "1e400",
        "40furlongs",
    ],
)
def test_whitelist_refuses(text):
    with pytest.raises(ModelCardError):
        parse_expression(text, {"v"})


def test_deep_nesting_and_length_are_bounded():
    assert parse_expression("(" * 50 + "v" + ")" * 50, {"v"}) == V  # parentheses do not nest
    with pytest.raises(ModelCardError, match="nested"):
        parse_expression("exp(" * 100 + "v" + ")" * 100, {"v"})
    with pytest.raises(ModelCardError, match="longer"):
        parse_expression("v+" * 3000 + "v", {"v"})


ops = st.sampled_from(["+", "-", "*", "/"])


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from([V, Num(draw(st.floats(-5, 5, allow_nan=False))), Num(0.5)]))
    op = draw(ops)
    a, b = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / (b * b + 1.0)}[op]


@given(expressions(), st.floats(-3, 3))
def test_text_round_trip_and_lambdify_agree(e, v):
    assert parse_expression(to_text(e), {"v"}) == e
    assert lambdify(e, ["v"])(v) == pytest.approx(
        float(evaluate(e, {"v": v})), rel=1e-12, abs=1e-12
    )


def test_replace_is_structural():
    e = 3.0 * (V - Sym("e")) + (V - Sym("e"))
    assert replace(e, V - Sym("e"), Sym("drive")) == 3.0 * Sym("drive") + Sym("drive")


def test_integer_powers_are_products_like_spice():
    x = np.array([0.3, 0.7])
    assert np.array_equal(evaluate(V**3, {"v": x}), x * x * x)
