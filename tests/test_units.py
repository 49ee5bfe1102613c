import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicekit.errors import UnitError
from devicekit.units import KINDS, format_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "kind", "si"),
    [
        ("140mM", "concentration", 140.0),  # 1 mM = 1 mol/m^3
        ("100nM", "concentration", 1e-4),
        ("0.15 M", "concentration", 150.0),
        ("37degC", "temperature", 310.15),
        ("6.3°C", "temperature", 279.45),
        ("310.15K", "temperature", 310.15),
        ("-65mV", "voltage", -0.065),
        ("10uA/cm2", "current_density", 0.1),  # 1e-5 A / 1e-4 m^2
        ("36mS/cm2", "conductance_density", 360.0),
        ("1uF/cm2", "capacitance_density", 0.01),
        ("1e-6cm/s", "permeability", 1e-8),
        ("200ms", "time", 0.2),
        ("2 nS", "conductance", 2e-9),
        ("10um", "length", 1e-5),
        ("-0.0015e/nm2", "charge_density", -0.0015 * 1.602176634e-19 / 1e-18),
        ("0.04", "dimensionless", 0.04),
        ("1MOhm", "resistance", 1e6),
    ],
)
def test_parse(text, kind, si):
    assert parse_quantity(text, kind) == pytest.approx(si, rel=1e-12)


def test_voltage_unit_for_concentration_is_refused():
    with pytest.raises(UnitError, match=r"'140mV'.*voltage.*concentration.*140mM"):
        parse_quantity("140mV", "concentration", name="--inside")


@pytest.mark.parametrize("text", ["140", "abc", "140 furlongs", "", "mM"])
def test_missing_or_unknown_unit(text):
    with pytest.raises(UnitError, match="--inside"):
        parse_quantity(text, "concentration", name="--inside")


def test_default_unit_and_case_sensitivity():
    assert parse_quantity("140", "concentration", default_unit="mM") == 140.0
    # mS is millisiemens, ms is milliseconds
    with pytest.raises(UnitError, match="time"):
        parse_quantity("1mS", "time")


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.sampled_from(list(KINDS)))
def test_format_parse_round_trip(value, kind):
    unit = KINDS[kind][0]
    text = format_quantity(value, unit, digits=17)  # "value unit", as a person writes it
    assert parse_quantity(text, kind) == pytest.approx(value, rel=1e-15, abs=1e-300)
