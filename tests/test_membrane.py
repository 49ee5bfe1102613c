import pytest

from devicekit.errors import InvalidInput, ModelCardError
from devicekit.models.builtin import hh_squid
from devicekit.models.channels import OhmicChannel
from devicekit.models.membrane import Membrane
from devicekit.models.stimuli import VoltageClamp
from tests.hh_reference import rest_state


def test_native_rest_equals_independent_reference():
    state = hh_squid().resting_state()
    v, m, h, n = rest_state()
    assert state["v"] * 1e3 == pytest.approx(v, abs=1e-9)
    assert (state["na_m"], state["na_h"], state["k_n"]) == pytest.approx((m, h, n), abs=1e-10)


def test_validation():
    leak = OhmicChannel("leak", 3.0, reversal_potential=-0.06)
    with pytest.raises(ModelCardError, match="capacitance"):
        Membrane("x", -1.0, 1e-4, (leak,))
    with pytest.raises(ModelCardError, match="repeat"):
        Membrane("x", 0.01, 1e-4, (leak, OhmicChannel("LEAK", 1.0, reversal_potential=0.0)))
    with pytest.raises(InvalidInput, match="one voltage clamp"):
        Membrane("x", 0.01, 1e-4, (leak,), stimuli=(VoltageClamp(0.0), VoltageClamp(0.1)))
    with pytest.raises(ModelCardError, match="reversal potential"):
        OhmicChannel("leak", 3.0)


def test_nernst_battery_needs_concentrations():
    k = OhmicChannel("k", 3.0, ion="K")
    with pytest.raises(ModelCardError, match="inside concentration of K"):
        Membrane("x", 0.01, 1e-4, (k,)).equations()
