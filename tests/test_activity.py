import numpy as np
import pytest

from devicekit.electrochem import (
    activity_coefficient,
    davies,
    debye_huckel_a,
    debye_huckel_b,
    debye_huckel_extended,
    debye_huckel_limiting,
    ionic_strength,
    water_permittivity,
)
from devicekit.errors import InvalidInput


def test_ionic_strength_of_salts():
    # 150 mM NaCl: I = 1/2 (150 * 1 + 150 * 1) = 150 mM; 10 mM CaCl2: 1/2 (10*4 + 20*1) = 30 mM
    assert ionic_strength([150.0, 150.0], [1, -1]) == pytest.approx(150.0)
    assert ionic_strength([10.0, 20.0], [2, -1]) == pytest.approx(30.0)


def test_water_permittivity_reference():
    # Malmberg and Maryott (1956): 78.30 at 25 degC, 87.74 at 0 degC
    assert water_permittivity(298.15) == pytest.approx(78.30, abs=0.01)
    assert water_permittivity(273.15) == pytest.approx(87.74, abs=1e-9)
    with pytest.raises(InvalidInput, match="temperature"):
        water_permittivity(400.0)


def test_debye_huckel_constants_depend_on_temperature():
    # tabulated A = 0.509 at 25 degC and about 0.52 at 37 degC (PHYSICS.md); B = 0.328-0.329
    assert debye_huckel_a(298.15) == pytest.approx(0.509, abs=0.002)
    assert debye_huckel_a(310.15) == pytest.approx(0.52, abs=0.003)
    assert debye_huckel_a(310.15) > debye_huckel_a(298.15)
    assert debye_huckel_b(298.15) == pytest.approx(0.3285, abs=0.001)


def test_davies_monovalent_in_150mm_nacl():
    # issue 2 acceptance: 0.760 +- 0.005 (A = 0.509: log10 g = -0.509 (0.2792 - 0.045) = -0.1192)
    assert davies(150.0, 1, 298.15) == pytest.approx(0.760, abs=0.005)


def test_limiting_law_and_low_strength_agreement():
    # at I -> 0 all three laws reduce to the limiting law; at 1 mM they agree within 0.3 %
    strength = 1.0  # 1 mM
    g_lim = debye_huckel_limiting(strength, 1)
    assert davies(strength, 1) == pytest.approx(g_lim, rel=3e-3)
    assert debye_huckel_extended(strength, 1, 3e-10) == pytest.approx(g_lim, rel=3e-3)
    assert debye_huckel_limiting(0.0, 2) == 1.0


def test_divalent_scales_with_z_squared():
    g1, g2 = davies(100.0, 1), davies(100.0, 2)
    assert np.log10(g2) == pytest.approx(4 * np.log10(g1), rel=1e-12)


def test_extended_debye_huckel_kielland_value():
    # Kielland (1937), table of individual activity coefficients at I = 0.1 M (3 digits):
    # a = 3 A (K+, Cl-) 0.755, a = 9 A (H+) 0.83, a = 6 A divalent (Ca2+) 0.405
    assert debye_huckel_extended(100.0, 1, 3e-10) == pytest.approx(0.755, abs=0.005)
    assert debye_huckel_extended(100.0, 1, 9e-10) == pytest.approx(0.83, abs=0.006)
    assert debye_huckel_extended(100.0, 2, 6e-10) == pytest.approx(0.405, abs=0.005)


def test_activity_coefficient_dispatch_and_errors():
    assert activity_coefficient("davies", 150.0, 1) == davies(150.0, 1)
    assert activity_coefficient("ideal", 150.0, 1) == 1.0
    with pytest.raises(InvalidInput, match="ion_size"):
        activity_coefficient("debye-huckel-extended", 150.0, 1)
    with pytest.raises(InvalidInput, match="davies"):
        activity_coefficient("pitzer", 150.0, 1)
    with pytest.raises(InvalidInput, match="ionic_strength"):
        davies(-1.0, 1)
