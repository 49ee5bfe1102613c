"""No silent wrong answer: expressions keep every operator, calculators refuse results that are
not finite, implausible temperatures warn, threshold brackets must bracket, bad fits fail."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import devicekit as dk
from devicekit.errors import ImplausibleValueWarning, InvalidInput, PoorFitError
from devicekit.expr import evaluate, parse_expression

from .conftest import MEASUREMENTS, run_cli


# ------------------------------------------------------------ the unit-inside-expression grammar
def test_a_unit_before_a_division_by_a_negative_keeps_the_division():
    # "1ms/-v" was read as 0.001 - v: the "/" after the unit was dropped
    value = evaluate(parse_expression("1ms/-v", {"v"}), {"v": 0.5})
    assert value == pytest.approx(0.001 / -0.5, rel=1e-15)


# each unit with its factor to SI, written out by hand (not taken from devicekit's table)
UNITS = {"ms": 1e-3, "mV": 1e-3, "uV": 1e-6, "s": 1.0, "V": 1.0, "kV": 1e3, "us": 1e-6}
OPERATORS = ["+", "-", "*", "/", "**"]


@st.composite
def expressions(draw, depth=0):
    """(text with units, the same expression in plain Python arithmetic without units)."""
    choice = draw(st.integers(0, 4 if depth < 4 else 1))
    if choice == 0:
        number = draw(st.sampled_from(["1", "2.5", "0.3", "12", "1e2", "4.0e-1"]))
        unit = draw(st.sampled_from(sorted(UNITS)))
        return f"{number}{unit}", f"({number}*{UNITS[unit]!r})"
    if choice == 1:
        return "v", "v"
    if choice == 2:
        sign = draw(st.sampled_from(["-", "+"]))
        text, plain = draw(expressions(depth + 1))
        return f"{sign}{text}", f"{sign}{plain}"
    if choice == 3:
        text, plain = draw(expressions(depth + 1))
        return f"({text})", f"({plain})"
    left, left_plain = draw(expressions(depth + 1))
    right, right_plain = draw(expressions(depth + 1))
    op = draw(st.sampled_from(OPERATORS))
    space = draw(st.sampled_from(["", " "]))
    return f"{left}{space}{op}{space}{right}", f"{left_plain} {op} {right_plain}"


@settings(max_examples=2000, deadline=None)
@given(expressions(), st.floats(0.1, 3.0))
def test_expressions_with_units_equal_python_arithmetic_on_the_unit_free_form(pair, v):
    text, plain = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # the reference: Python's own evaluation of the same expression without units
            expected = eval(plain, {"__builtins__": {}}, {"v": v})
        except (ZeroDivisionError, OverflowError):
            return
        if isinstance(expected, complex) or not np.isfinite(expected):
            return
        with np.errstate(all="ignore"):
            got = float(evaluate(parse_expression(text, {"v"}), {"v": v}))
    # the same tree on both sides, but a quantity is one number to devicekit (1e2uV is 1e-4)
    # and a product of two to Python (1e2*1e-06): they differ in the last bit, which a
    # cancellation leaves as the whole result (1e2uV - 1mV*v at v = 0.1: 0 against -1.4e-20,
    # seen in CI). 1e-15 absolute covers that last bit of terms up to order 10; a misreading
    # (a unit, a precedence, a sign) moves a term by a factor of 1e3 or its whole size
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-15), (text, plain)


# ------------------------------------------------------------------------------ calculators
def _cli(*args):
    return run_cli(*args, timeout=60)


def test_ghk_with_a_huge_permeability_is_finite_or_refused():
    result = _cli("ghk", "--ion", "K:140mM:5mM:1e308", "--ion", "Na:10mM:145mM:1", "--json")
    assert "nan" not in result.stdout.lower()
    assert result.returncode == 0
    # K dominates completely: the result is E_K (Nernst at 37 degC, -89.06 mV; see test_nernst)
    import json

    assert json.loads(result.stdout)["ghk_voltage_V"] == pytest.approx(-0.08906, abs=1e-5)


def test_a_result_that_is_not_finite_is_refused():
    with pytest.raises(InvalidInput, match="not finite"):
        dk.ghk_voltage([1, 1], [1e-320, 1e-320], [1e300, 1e300], [1, 1])


@pytest.mark.parametrize("option", ["--boltzmann", "--elementary-charge"])
@pytest.mark.parametrize("value", ["0", "-1e-23", "nan", "inf"])
def test_zero_or_bad_constants_are_refused_not_ignored(option, value):
    result = _cli("nernst", "--ion", "K", "--inside", "140mM", "--outside", "5mM", option, value)
    assert result.returncode == 2
    assert option in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_implausible_temperatures_warn_and_suggest_kelvin():
    with pytest.warns(ImplausibleValueWarning, match="310.15 K"):
        dk.nernst_potential(140.0, 5.0, 1, temperature=37)
    with pytest.warns(ImplausibleValueWarning):
        dk.nernst_potential(140.0, 5.0, 1, temperature=500.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dk.nernst_potential(140.0, 5.0, 1, temperature=37, plausible=False)  # switched off
        dk.nernst_potential(140.0, 5.0, 1, temperature=200.0)  # the range's ends are fine
        dk.nernst_potential(140.0, 5.0, 1, temperature=400.0)
    result = _cli("nernst", "--ion", "K", "--inside", "140mM", "--outside", "5mM",
                  "--temperature", "37K")  # fmt: skip
    assert result.returncode == 0
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("devicekit")
    ]
    assert "310.15 K" in result.stderr


# ------------------------------------------------------------------------------- thresholds
def test_a_bracket_that_brackets_nothing_is_refused():
    with pytest.raises(InvalidInput, match="brackets no threshold"):
        dk.find_threshold("hh-squid", low=0.0, high=0.01, resolution=1e-3, duration=0.05)
    with pytest.raises(InvalidInput, match="brackets no threshold"):
        dk.find_threshold("hh-squid", low=0.05, high=0.1, resolution=1e-3, duration=0.05)


def test_a_threshold_below_the_resolution_is_refused_not_returned():
    # the iontronic neuron with the old default bracket (0 to 0.2 A) and resolution (1e-4):
    # its threshold is 0.117 pA, and the search used to return 1e-4 A, nine orders too high
    model = dk.load_model("iontronic-neuron")
    with pytest.raises(InvalidInput, match="below the resolution"):
        dk.find_threshold(model, width=20e-3, delay=5e-3, spike_threshold=0.5, duration=0.3,
                          low=0.0, high=0.2, resolution=1e-4, max_step=1e-4)  # fmt: skip


def test_threshold_defaults_come_from_the_model():
    from devicekit.spikes import model_scales

    from .hh_reference import rates, rest_state

    hh = model_scales("hh-squid")
    # tau = 1/(alpha + beta) at rest from the independent HH 1952 reference (ms -> s): the
    # fastest gate is m (0.24 ms), the slowest h (8.5 ms)
    am, bm, ah, bh, an, bn = rates(rest_state()[0])
    taus = [1e-3 / (am + bm), 1e-3 / (ah + bh), 1e-3 / (an + bn)]
    assert hh["fastest"] == pytest.approx(min(taus), rel=1e-6)
    assert hh["slowest"] == pytest.approx(max(taus), rel=1e-6)
    cone = model_scales("iontronic-neuron")
    assert cone["fastest"] == pytest.approx(1e-5**2 / (12 * 1e-9), rel=1e-6)  # L^2/(12 D)
    assert cone["current_density"] < 1e-9  # pA devices, not the mA of a squid axon


def test_the_default_relative_search_finds_the_hh_threshold():
    # the single-spike threshold of hh-squid for a 1 s step is 2.246 uA/cm^2 to 0.01 uA/cm^2
    # (test_simulation, by absolute bisection); the default search gets it to 0.1 % with no
    # bracket given
    found = dk.find_threshold("hh-squid", "single", duration=0.1)
    assert found / 0.01 == pytest.approx(2.24, abs=0.011)


# ------------------------------------------------------------------------------------- fits
def test_a_fit_worse_than_a_constant_fails():
    # a conical memristor's conductance ratio (positive) against an OECT's drain current
    # (negative): no parameters can do better than the data's mean
    data = dk.load_measurement(MEASUREMENTS / "bongartz_oect_transfer.toml")
    with pytest.raises(PoorFitError, match="worse than a constant") as caught:
        dk.fit("conical", data, x="gate_voltage", y="drain_current")
    assert caught.value.result.r_squared < 0


def test_the_cli_reports_a_failed_fit_in_one_line_with_exit_3():
    result = _cli("fit", str(MEASUREMENTS / "bongartz_oect_transfer.toml"), "--model", "conical",
                  "--x", "gate_voltage", "--y", "drain_current", "--verify")  # fmt: skip
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "worse than a constant" in result.stderr and "ngspice check" not in result.stdout
