import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicekit import nernst_potential
from devicekit.electrochem import (
    CODATA,
    Constants,
    davies,
    driving_force,
    ohmic_current,
    thermal_voltage,
)
from devicekit.errors import InvalidInput

# Acceptance values of issue 2, computed by hand from E = (k_B T / z e) ln(c_out / c_in)
# with the exact SI constants (k_B T/e = 26.7268 mV at 310.15 K).


def test_potassium_mammalian_37c():
    assert nernst_potential(140.0, 5.0, 1, 310.15) * 1e3 == pytest.approx(-89.06, abs=0.02)


def test_sodium_15_150_at_310k():
    # 26.7139 mV * ln(10) = 61.51 mV
    assert nernst_potential(15.0, 150.0, 1, 310.0) * 1e3 == pytest.approx(61.51, abs=0.005)


def test_calcium_100nm_2mm_37c():
    # 100 nM = 1e-4 mol/m^3; 26.7268 mV / 2 * ln(20000) = 132.34 mV
    assert nernst_potential(1e-4, 2.0, 2, 310.15) * 1e3 == pytest.approx(132.3, abs=0.05)


def test_chloride_10_110_37c():
    assert nernst_potential(10.0, 110.0, -1, 310.15) * 1e3 == pytest.approx(-64.09, abs=0.005)


def test_textbook_rounded_constants_and_codata():
    # textbook practice k = 1.4e-23 J/K, q = 1.6e-19 C, T = 298 K: kT/q = 26.075 mV, so
    # E_Na = 26.075 ln(14.5) = +69.7 mV, E_K = 26.075 ln(1/28) = -86.9 mV (issue 2)
    textbook = Constants(boltzmann=1.4e-23, elementary_charge=1.6e-19)
    e_na, e_k = nernst_potential([10.0, 140.0], [145.0, 5.0], 1, 298.0, constants=textbook)
    assert e_na * 1e3 == pytest.approx(69.7, abs=0.05)
    assert e_k * 1e3 == pytest.approx(-86.9, abs=0.05)
    # with CODATA constants at 298 K: 25.680 mV * ln(14.5), ln(1/28)
    e_na, e_k = nernst_potential([10.0, 140.0], [145.0, 5.0], 1, 298.0)
    assert e_na * 1e3 == pytest.approx(68.67, abs=0.005)
    assert e_k * 1e3 == pytest.approx(-85.57, abs=0.005)


def test_broadcasting_shapes():
    e = nernst_potential(np.array([[140.0], [100.0]]), np.array([5.0, 10.0, 20.0]), 1)
    assert e.shape == (2, 3)
    assert isinstance(nernst_potential(140.0, 5.0, 1), float)


concentration = st.floats(min_value=1e-9, max_value=1e4, allow_nan=False)
valence = st.sampled_from([-3, -2, -1, 1, 2, 3])
# the identities hold at any temperature; the plausibility warning (200 to 400 K) is off here
temperature = st.floats(min_value=1.0, max_value=400.0)


@given(concentration, concentration, valence, temperature)
def test_swap_and_negated_valence_negate(c_in, c_out, z, t):
    e = nernst_potential(c_in, c_out, z, t, plausible=False)
    scale = max(abs(e), 1e-12)
    swapped = nernst_potential(c_out, c_in, z, t, plausible=False)
    negated = nernst_potential(c_in, c_out, -z, t, plausible=False)
    assert swapped == pytest.approx(-e, rel=1e-12, abs=1e-15 * scale)
    assert negated == pytest.approx(-e, rel=1e-12, abs=1e-15 * scale)


@pytest.mark.filterwarnings("ignore::devicekit.errors.ImplausibleValueWarning")
@given(concentration, concentration, valence, temperature)
def test_boltzmann_distribution_holds_at_nernst(c_in, c_out, z, t):
    # at V = E, c_in / c_out = exp(-z V / V_T), the Boltzmann distribution it comes from
    e = nernst_potential(c_in, c_out, z, t, plausible=False)
    assert np.log(c_in / c_out) == pytest.approx(-z * e / thermal_voltage(t), rel=1e-9, abs=1e-12)


def test_activity_correction_shifts_by_coefficient_ratio():
    # Davies coefficients inside (I = 150 mM) and outside (I = 160 mM): the potential shifts by
    # V_T ln(gamma_out / gamma_in), the definition of the activity-corrected Nernst potential
    g_in, g_out = davies(150.0, 1, 298.15), davies(160.0, 1, 298.15)
    ideal = nernst_potential(15.0, 145.0, 1, 298.15)
    real = nernst_potential(
        15.0, 145.0, 1, 298.15, activity_coefficient_in=g_in, activity_coefficient_out=g_out
    )
    expected_shift = thermal_voltage(298.15) * np.log(g_out / g_in)
    assert real - ideal == pytest.approx(expected_shift, rel=1e-12)
    assert expected_shift < 0  # higher ionic strength outside lowers gamma_out


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
@pytest.mark.parametrize("argument", ["c_in", "c_out"])
def test_bad_concentration_is_refused_by_name(argument, bad):
    kwargs = {"c_in": 140.0, "c_out": 5.0, argument: bad}
    with pytest.raises(InvalidInput, match=argument):
        nernst_potential(kwargs["c_in"], kwargs["c_out"], 1)


def test_bad_concentration_in_an_array_names_the_value():
    with pytest.raises(InvalidInput, match=r"c_in = -3\.0"):
        nernst_potential([140.0, -3.0], 5.0, 1)


def test_zero_valence_and_bad_temperature():
    with pytest.raises(InvalidInput, match="z = 0"):
        nernst_potential(140.0, 5.0, 0)
    for bad in (0.0, -10.0, float("nan")):
        with pytest.raises(InvalidInput, match="temperature"):
            nernst_potential(140.0, 5.0, 1, bad)


def test_driving_force_and_ohmic_current_signs():
    # V_m = -65 mV, E_K = -89 mV: K+ driving force +24 mV pushes K+ out (outward, positive)
    assert driving_force(-0.065, -0.089) == pytest.approx(0.024)
    assert ohmic_current(36.0, -0.065, -0.089) == pytest.approx(36.0 * 0.024)
    # Na+: E_Na = +50 mV, inward current is negative
    assert ohmic_current(120.0, -0.065, 0.050) < 0
    with pytest.raises(InvalidInput, match="conductance"):
        ohmic_current(-1.0, 0.0, 0.0)


def test_default_temperature_is_37c():
    assert nernst_potential(140.0, 5.0, 1) == nernst_potential(140.0, 5.0, 1, 310.15)
    assert CODATA.boltzmann == 1.380649e-23
