import math

import numpy as np
import pytest
import scipy.constants as sc

from devicekit.electrochem import CODATA, Constants, boltzmann_ratio, thermal_voltage
from devicekit.errors import InvalidInput


def test_codata_matches_scipy():
    # the SI 2019 defining constants are exact; scipy.constants carries the same CODATA 2018 set
    assert CODATA.boltzmann == sc.k
    assert CODATA.elementary_charge == sc.e
    assert CODATA.avogadro == sc.N_A
    assert CODATA.gas_constant == pytest.approx(sc.R, rel=1e-15)
    assert CODATA.faraday == pytest.approx(sc.physical_constants["Faraday constant"][0], rel=1e-15)


def test_thermal_voltage_reference_values():
    # PHYSICS.md: RT/F = 26.727 mV at 37 degC and 24.08 mV at 6.3 degC
    assert thermal_voltage(310.15) * 1e3 == pytest.approx(26.727, abs=5e-4)
    assert thermal_voltage(279.45) * 1e3 == pytest.approx(24.08, abs=5e-3)


def test_thermal_voltage_vectorised_and_rounded_constants():
    textbook = Constants(boltzmann=1.4e-23, elementary_charge=1.6e-19)
    values = thermal_voltage(np.array([298.0, 310.0]), constants=textbook)
    # kT/q with the rounded constants, by hand: 1.4e-23 * 298 / 1.6e-19 = 0.026075 V
    assert values[0] == pytest.approx(0.026075, rel=1e-12)
    assert values.shape == (2,)


def test_boltzmann_ratio_inverts_nernst():
    # a monovalent cation at 60 mV higher potential is depleted by exp(-60 mV / V_T)
    vt = thermal_voltage(310.15)
    ratio = boltzmann_ratio(CODATA.elementary_charge * 0.060, 310.15)
    assert ratio == pytest.approx(math.exp(-0.060 / vt), rel=1e-14)
    assert boltzmann_ratio(0.0) == 1.0


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_constants_must_be_positive(bad):
    with pytest.raises(InvalidInput, match="boltzmann"):
        Constants(boltzmann=bad)


@pytest.mark.parametrize("bad", [0.0, -5.0, float("nan"), float("inf")])
def test_thermal_voltage_rejects_bad_temperature(bad):
    with pytest.raises(InvalidInput, match="temperature"):
        thermal_voltage(bad)
