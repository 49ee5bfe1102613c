"""Issue 3: a DC sweep in ngspice of each channel kind equals its numpy I-V to 1e-9 relative or
1 fA, whichever is larger, including exactly 0 V for GHK and exactly -40 and -55 mV for the HH
rates (the removable 0/0 points)."""

import numpy as np
import pytest

import devicekit as dk
from devicekit.analyses import DCSweep
from devicekit.electrochem import ghk_current_density
from devicekit.models.builtin import hh_squid, morris_lecar
from devicekit.models.channels import GHKChannel, OhmicChannel, steady_state_current
from devicekit.simulation import as_membrane

AREA = 1e-4  # the test membrane of as_membrane: 1 cm^2
SWEEP = DCSweep(-0.1, 0.06, 0.005, points=(-0.055, -0.04, 0.0, 1e-13, -1e-13))


def _channels():
    hh = {c.name: c for c in hh_squid().channels}
    ml = {c.name: c for c in morris_lecar().channels}
    solutions = {
        "inside": {"K": 140.0, "Na": 15.0, "Ca": 1e-4, "Cl": 10.0},
        "outside": {"K": 5.0, "Na": 145.0, "Ca": 2.0, "Cl": 110.0},
    }
    return {
        "ohmic": (OhmicChannel("leak", 3.0, reversal_potential=-0.054387), {}),
        "ohmic-nernst": (OhmicChannel("kleak", 3.0, ion="K"), solutions),
        "ghk-k": (GHKChannel("k", "K", 1e-6), solutions),
        "ghk-ca": (GHKChannel("ca", "Ca", 1e-7), solutions),
        "ghk-cl": (GHKChannel("cl", "Cl", 1e-6), solutions),
        "hh-na": (hh["na"], {}),
        "hh-k": (hh["k"], {}),
        "ml-ca-instantaneous": (ml["ca"], {}),
        "ml-k-inf-tau": (ml["k"], {}),
    }


@pytest.mark.parametrize("name", list(_channels()))
def test_dc_sweep_equals_numpy(name):
    channel, solutions = _channels()[name]
    membrane = as_membrane(channel, temperature=310.15, **solutions)
    spice = dk.simulate(membrane, SWEEP)
    v = spice.index.to_numpy()
    # ngspice's node voltage comes from its linear solve: it is the requested voltage to
    # within rounding (the 0/0 points are hit to ~1e-17 V, inside the Taylor branch)
    assert np.max(np.abs(v - SWEEP.voltages())) < 1e-15
    expected = AREA * steady_state_current(channel, membrane.environment, v)
    got = spice["current"].to_numpy()
    tolerance = np.maximum(1e-9 * np.abs(expected), 1e-15)
    assert np.all(np.abs(got - expected) <= tolerance), np.max(np.abs(got - expected) / tolerance)
    assert np.all(np.isfinite(got))


def test_ghk_channel_is_the_electrochem_ghk_current():
    # the channel's series-battery form equals electrochem.ghk_current_density (textbook form)
    channel, solutions = _channels()["ghk-ca"]
    membrane = as_membrane(channel, temperature=310.15, **solutions)
    v = SWEEP.voltages()
    from_channel = steady_state_current(channel, membrane.environment, v)
    textbook = ghk_current_density(v, 1e-7, 1e-4, 2.0, 2, 310.15)
    assert np.allclose(from_channel, textbook, rtol=1e-9, atol=1e-18)


def test_hh_rates_at_their_removable_points():
    # alpha_m(-40 mV) = 1/ms and alpha_n(-55 mV) = 0.1/ms exactly (the limits of x/(1-e^-x)),
    # and the sweep there is finite and continuous with its neighbours
    na, k = hh_squid().channels[:2]
    assert na.gates[0].alpha(-0.04) == 1000.0
    assert k.gates[0].alpha(-0.055) == 100.0
    membrane = as_membrane(na)
    sweep = dk.simulate(membrane, DCSweep(-0.0401, -0.0399, 0.00005, points=(-0.04,)))
    current = sweep["current"].to_numpy()
    assert np.all(np.isfinite(current)) and np.all(np.diff(current) != 0)
