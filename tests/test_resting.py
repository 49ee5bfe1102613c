import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicekit.electrochem import (
    chord_conductance_potential,
    ghk_voltage,
    mullins_noda_potential,
    nernst_potential,
    pump_resting_potential,
)
from devicekit.errors import InvalidInput

E_K, E_NA, E_CL = nernst_potential([140.0, 15.0, 10.0], [5.0, 145.0, 110.0], [1, 1, -1])


@given(st.lists(st.floats(min_value=1e-3, max_value=1e3), min_size=3, max_size=3))
def test_chord_potential_lies_between_extreme_nernst_potentials(g):
    v = chord_conductance_potential(g, [E_K, E_NA, E_CL])
    assert E_K - 1e-15 <= v <= E_NA + 1e-15


def test_pump_hyperpolarises_by_current_balance():
    # HH-like leak densities [S/m^2] (0.5 mS/cm2 K, 0.025 mS/cm2 Na); pump 1 uA/cm2 = 0.01 A/m^2.
    # Current balance sum g (V - E) + I_p = 0 predicts a shift of -I_p / sum(g).
    g = np.array([5.0, 0.25])
    e = np.array([E_K, E_NA])
    without = chord_conductance_potential(g, e)
    with_pump = chord_conductance_potential(g, e, pump_current=0.01)
    assert with_pump - without == pytest.approx(-0.01 / g.sum(), rel=1e-12)
    assert np.sum(g * (with_pump - e)) + 0.01 == pytest.approx(0.0, abs=1e-15)


def test_pump_balancing_leaks_is_3_to_2():
    g_na, g_k = 0.25, 5.0
    v = pump_resting_potential(g_na, g_k, E_NA, E_K)
    i_na, i_k = g_na * (v - E_NA), g_k * (v - E_K)
    # steady state: Na+ leaking in is 3/2 of K+ leaking out (3 Na out, 2 K in per pump cycle)
    assert -i_na / i_k == pytest.approx(1.5, rel=1e-12)
    # the pump carries the difference, one charge per cycle, and makes the total current zero
    i_pump = i_k / 2
    assert i_na + i_k + i_pump == pytest.approx(0.0, abs=1e-15)
    # an electrogenic pump hyperpolarises compared with the pump-free chord potential
    assert v < chord_conductance_potential([g_na, g_k], [E_NA, E_K])


def test_mullins_noda_reduces_to_ghk_for_ratio_one():
    args = (1.0, 0.05, 140.0, 5.0, 15.0, 145.0, 310.15)
    ghk = ghk_voltage([1.0, 0.05], [140.0, 15.0], [5.0, 145.0], [1, 1], 310.15)
    assert mullins_noda_potential(*args, coupling_ratio=1.0) == pytest.approx(ghk, abs=1e-15)
    assert mullins_noda_potential(*args) < ghk  # r = 3/2 hyperpolarises


def test_bad_input():
    with pytest.raises(InvalidInput, match="conductance"):
        chord_conductance_potential([0.0, 0.0], [E_K, E_NA])
    with pytest.raises(InvalidInput, match="conductance"):
        chord_conductance_potential([-1.0, 1.0], [E_K, E_NA])
    with pytest.raises(InvalidInput, match="coupling_ratio"):
        pump_resting_potential(1.0, 1.0, E_NA, E_K, coupling_ratio=1.0)
    with pytest.raises(InvalidInput, match="k_in"):
        mullins_noda_potential(1.0, 0.05, 0.0, 5.0, 15.0, 145.0)
