import numpy as np
import pytest
from scipy.optimize import brentq

from devicekit.errors import InvalidInput, ModelCardError
from devicekit.expr import evaluate
from devicekit.models.builtin import BUILTIN_MODELS, builtin_model, hh_squid
from devicekit.models.channels import OhmicChannel
from devicekit.models.membrane import Membrane, bisect_rising
from devicekit.models.stimuli import VoltageClamp
from tests.hh_reference import rest_state


def test_native_rest_equals_independent_reference():
    state = hh_squid().resting_state()
    v, m, h, n = rest_state()
    assert state["v"] * 1e3 == pytest.approx(v, abs=1e-9)
    assert (state["na_m"], state["na_h"], state["k_n"]) == pytest.approx((m, h, n), abs=1e-10)


@pytest.mark.parametrize("name", sorted(BUILTIN_MODELS))
def test_rest_equals_brentq_on_the_same_equations(name):
    # reference: scipy's Brent solver on the model's own steady-state current, started from a
    # bracket of 1 mV around devicekit's rest; both stop within 1e-15 V + 1e-15 |V|
    model = builtin_model(name)
    eq = model.equations()

    def current(v):
        env = {"v": v, **{s: evaluate(eq.steady_states[s], {"v": v}) for s in eq.states}}
        return float(evaluate(eq.ionic_current, env))

    rest = model.resting_state()["v"]
    reference = brentq(current, rest - 1e-3, rest + 1e-3, xtol=1e-15, rtol=1e-15)
    assert rest == pytest.approx(reference, rel=0, abs=4e-15)


def test_bisection_finds_known_roots_to_full_precision():
    roots = np.array([-0.065, -1e-3, 0.0, 0.0123456789, 1.5])
    low, high = roots - 2.5e-4, roots + 3e-4  # the root off-centre in each bracket
    found = bisect_rising(lambda v: np.tanh(1e3 * (v - roots)), low, high)
    # the function's own zero, to the tolerance xtol 1e-15 + rtol 1e-15 |x|
    assert np.all(np.abs(found - roots) <= 1e-15 + 1e-15 * np.abs(roots))
    # a root on a bracket's end, NaN inside a bracket, and no brackets at all
    assert bisect_rising(lambda v: v - 0.1, [0.1], [0.2])[0] == 0.1
    assert bisect_rising(lambda v: np.where(v > 0.15, np.nan, v - 0.1), [0.0], [0.2])[0] == (
        pytest.approx(0.1, abs=2e-15)
    )
    assert bisect_rising(np.sin, [], []).size == 0


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


def test_held_state_is_rest_without_current_and_balances_the_current_it_is_given():
    # held_state(I): V where the steady-state ionic current equals the injected I [A]; with
    # no current it is the rest itself (the same computation, the same object's values)
    import devicekit as dk

    model = dk.load_model("hh-squid")
    assert model.held_state(0.0) == model.resting_state()
    injected = 2e-6  # 2 uA into 1 cm^2: 2 uA/cm^2, below hh-squid's firing threshold
    held = model.held_state(injected)
    eq = model.equations()
    ionic = model.area * evaluate(eq.ionic_current, held)  # [A], outward
    assert ionic == pytest.approx(injected, rel=1e-9)  # the balance the root was found for
    assert held["v"] > model.resting_state()["v"]  # an inward (depolarising) current holds V up
    with pytest.raises(dk.errors.SimulationError, match="no steady state under"):
        dk.load_model("morris-lecar").held_state(1.0)  # 1 A into 1 cm^2: nothing balances it
