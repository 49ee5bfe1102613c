import mpmath
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from devicekit import ghk_current_density, ghk_voltage, nernst_potential
from devicekit.electrochem import CODATA, exprel, thermal_voltage
from devicekit.errors import InvalidInput

mpmath.mp.dps = 50


def reference_ghk(v, p, c_in, c_out, z, t):
    """GHK current density [A/m^2] in 50-digit arithmetic (the textbook form, limit at V = 0)."""
    v, p, c_in, c_out, z = (mpmath.mpf(x) for x in (v, p, c_in, c_out, z))
    f = mpmath.mpf(CODATA.elementary_charge) * mpmath.mpf(CODATA.avogadro)
    vt = mpmath.mpf(CODATA.boltzmann) * mpmath.mpf(t) / mpmath.mpf(CODATA.elementary_charge)
    u = z * v / vt
    if u == 0:
        return float(p * z * f * (c_in - c_out))
    return float(p * z * f * u * (c_in - c_out * mpmath.exp(-u)) / (1 - mpmath.exp(-u)))


def test_exprel_against_high_precision():
    for x in (0.0, 1e-300, -1e-300, 1e-12, -1e-9, 1e-5, -0.3, 2.0, -40.0, 700.0):
        expected = 1.0 if x == 0 else float(mpmath.expm1(mpmath.mpf(x)) / mpmath.mpf(x))
        assert exprel(x) == pytest.approx(expected, rel=2e-16)


def test_squid_ghk_voltage_acceptance():
    # issue 2: P_K:P_Na:P_Cl = 1:0.04:0.45, squid K 400/20, Na 50/440, Cl 40/560 mM, 6.3 degC
    # -> -59.36 mV (24.0815 mV * ln(55.6 / 654))
    v = ghk_voltage([1.0, 0.04, 0.45], [400, 50, 40], [20, 440, 560], [1, 1, -1], 279.45)
    assert v * 1e3 == pytest.approx(-59.36, abs=0.05)


def test_current_at_zero_volts_is_the_limit():
    # exactly 0 V: P z F (c_in - c_out); no NaN
    i0 = ghk_current_density(0.0, 1e-6, 140.0, 5.0, 1)
    assert i0 == pytest.approx(1e-6 * CODATA.faraday * 135.0, rel=1e-14)
    assert np.isfinite(ghk_current_density(0.0, 1e-6, 10.0, 110.0, -1))


@pytest.mark.parametrize("v", [-0.2, -0.05, -1e-6, -1e-12, 0.0, 1e-12, 1e-6, 0.03, 0.2])
@pytest.mark.parametrize("ion", [(140.0, 5.0, 1), (10.0, 110.0, -1), (1e-4, 2.0, 2)])
def test_current_against_high_precision(v, ion):
    c_in, c_out, z = ion
    got = ghk_current_density(v, 1e-6, c_in, c_out, z, 310.15)
    assert got == pytest.approx(reference_ghk(v, 1e-6, c_in, c_out, z, 310.15), rel=1e-12)


def test_matches_neuron_ghk_convention():
    # NEURON's ghk(v, ci, co, z): mA/cm^2 for P = 1 cm/s, v in mV, concentrations in mM
    # (PHYSICS.md). With c in mM = 1e-6 mol/cm^3 the formula gives A/cm^2 = 1e-6 P z F u c, so
    # mA/cm^2 = 1e-3 P[cm/s] z F u (ci - co e^-u) / (1 - e^-u). devicekit takes P = 0.01 m/s and
    # returns A/m^2; 1 A/m^2 = 0.1 mA/cm^2. Constants as in PHYSICS.md (rounded CODATA).
    f, r, t = 96485.33212, 8.314462618, 279.45
    for v_mv, ci, co, z in (
        (-80.0, 400.0, 20.0, 1),
        (35.0, 50.0, 440.0, 1),
        (-20.0, 40.0, 560.0, -1),
    ):
        u = z * f * (v_mv * 1e-3) / (r * t)
        neuron = 1e-3 * 1.0 * z * f * u * (ci - co * np.exp(-u)) / (1 - np.exp(-u))
        ours = ghk_current_density(v_mv * 1e-3, 0.01, ci, co, z, t) * 0.1
        assert ours == pytest.approx(neuron, rel=1e-9)


conc = st.floats(min_value=1e-5, max_value=1e3)
perm = st.floats(min_value=1e-3, max_value=1.0)
volt = st.floats(min_value=-0.2, max_value=0.2)


@given(conc, conc, st.sampled_from([-2, -1, 1, 2]), st.floats(min_value=250, max_value=330))
def test_single_ion_ghk_equals_nernst(c_in, c_out, z, t):
    v = ghk_voltage([1.0], [c_in], [c_out], [z], t)
    assert abs(v - nernst_potential(c_in, c_out, z, t)) < 1e-9


@example(ions=[(1.0, 5.0, 1.0), (1.0, 5.0, 1.0)], valences=[-1, 2, -1, -1, -1])
# a steep total current (1 m/s to 393 mM Ca2+): the root needs more than 1e-15 V of precision
@example(ions=[(1.0, 393.0, 224.0), (0.001, 373.0, 504.0)], valences=[-1, -1, -1, -1, -1])
@given(
    st.lists(st.tuples(perm, conc, conc), min_size=2, max_size=5),
    st.lists(st.sampled_from([-1, 1, 2]), min_size=5, max_size=5),
)
def test_total_current_vanishes_at_ghk_voltage_with_calcium(ions, valences):
    p = np.array([i[0] for i in ions])
    c_in = np.array([i[1] for i in ions])
    c_out = np.array([i[2] for i in ions])
    z = np.array(valences[: len(ions)], dtype=float)
    z[0] = 2.0  # Ca2+ always takes part, so the numerical root is exercised
    v = ghk_voltage(p, c_in, c_out, z, 310.15)
    currents = ghk_current_density(v, p, c_in, c_out, z, 310.15)
    largest = np.max(np.abs(currents))
    # When every ion shares one Nernst potential, each current is itself 0 at the root and what
    # remains is round-off of its terms, ~1e-16 * P|z|F c. The floor (50 ulp of that scale) only
    # matters in that degenerate case (hypothesis found it: two identical Ca2+ entries).
    round_off = 1e-14 * np.max(p * np.abs(z) * CODATA.faraday * np.maximum(c_in, c_out))
    assert abs(np.sum(currents)) <= max(1e-9 * largest, round_off)


@given(conc, conc, st.sampled_from([-2, -1, 1, 2]), st.floats(min_value=1e-300, max_value=1e-3))
def test_current_continuous_through_zero(c_in, c_out, z, dv):
    i0 = ghk_current_density(0.0, 1.0, c_in, c_out, z)
    assert np.isfinite(i0)
    for v in (dv, -dv):
        i = ghk_current_density(v, 1.0, c_in, c_out, z)
        # |dI/dV| <= P z^2 F (c_in + c_out) / V_T * (1 + |u|): Lipschitz bound over [0, 1 mV]
        slope = CODATA.faraday * z**2 * (c_in + c_out) / thermal_voltage(310.15) * 2
        assert abs(i - i0) <= slope * dv + 1e-12 * abs(i0)


def test_closed_form_and_root_agree_for_monovalent():
    # force the root finder by adding a negligible divalent ion and compare with the closed form
    p, c_in, c_out, z = [1.0, 0.04, 0.45], [400, 50, 40], [20, 440, 560], [1, 1, -1]
    closed = ghk_voltage(p, c_in, c_out, z, 279.45)
    rooted = ghk_voltage([*p, 0.0], [*c_in, 1.0], [*c_out, 1.0], [*z, 2], 279.45)
    assert rooted == pytest.approx(closed, abs=1e-12)


def test_vectorised_over_leading_axes():
    p = np.array([[1.0, 0.04], [1.0, 0.5]])
    v = ghk_voltage(p, [140.0, 15.0], [5.0, 145.0], [1, 1])
    assert v.shape == (2,)
    assert v[1] > v[0]  # more Na permeability depolarises


def test_bad_input():
    with pytest.raises(InvalidInput, match="every ion"):
        ghk_voltage([0.0, 0.0], [140.0, 15.0], [5.0, 145.0], [1, 1])
    with pytest.raises(InvalidInput, match="permeability"):
        ghk_current_density(0.0, -1.0, 140.0, 5.0, 1)
    with pytest.raises(InvalidInput, match="z = 0"):
        ghk_voltage([1.0], [1.0], [2.0], [0])
    with pytest.raises(InvalidInput, match="c_out"):
        ghk_current_density(0.0, 1.0, 140.0, float("nan"), 1)
    with pytest.raises(InvalidInput, match="last axis"):
        ghk_voltage(1.0, 140.0, 5.0, 1)
