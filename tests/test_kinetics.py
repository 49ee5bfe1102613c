import pytest

from devicekit.errors import ModelCardError
from devicekit.models.builtin import hh_squid, morris_lecar
from devicekit.models.kinetics import Gate, RateFunction
from tests.hh_reference import rates


@pytest.mark.parametrize("v_mv", [-100.0, -65.0, -55.0, -40.0, -20.0, 0.0, 30.0])
def test_hh_rates_equal_the_literature(v_mv):
    # PHYSICS.md formulas (tests/hh_reference.rates, 1/ms) against the model's rate functions
    na, k, _ = hh_squid().channels
    m, h = na.gates
    (n,) = k.gates
    am, bm, ah, bh, an, bn = rates(v_mv)
    v = v_mv / 1000
    for gate_rate, expected in (
        (m.alpha, am),
        (m.beta, bm),
        (h.alpha, ah),
        (h.beta, bh),
        (n.alpha, an),
        (n.beta, bn),
    ):
        assert gate_rate(v) == pytest.approx(expected * 1000, rel=1e-12)


def test_morris_lecar_forms_equal_tanh_definitions():
    import math

    ca, k, _ = morris_lecar("I").channels
    for v_mv in (-60.0, -1.2, 12.0, 40.0):
        v = v_mv / 1000
        m_inf = 0.5 * (1 + math.tanh((v_mv + 1.2) / 18))
        w_inf = 0.5 * (1 + math.tanh((v_mv - 12) / 17.4))
        tau = 1 / ((1 / 15) * math.cosh((v_mv - 12) / (2 * 17.4)))  # ms
        assert ca.gates[0].inf(v) == pytest.approx(m_inf, rel=1e-12)
        assert k.gates[0].inf(v) == pytest.approx(w_inf, rel=1e-12)
        assert k.gates[0].tau(v) == pytest.approx(tau / 1000, rel=1e-12)


def test_q10_scales_rates():
    model = hh_squid()
    warm = model.channels[0].phi(279.45 + 10)
    assert warm == pytest.approx(3.0)  # Q10 = 3 per 10 K (PHYSICS.md)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "m", "power": 3},  # no kinetics
        {"name": "m", "alpha": RateFunction("exp")},  # alpha without beta
        {"name": "m", "tau": RateFunction("constant", 1e-3)},  # tau without inf
        {"name": "2m", "inf": RateFunction("constant")},
        {"name": "m", "power": 9, "inf": RateFunction("constant")},
    ],
)
def test_bad_gates(kwargs):
    with pytest.raises(ModelCardError):
        Gate(**kwargs)


def test_bad_rate_functions():
    with pytest.raises(ModelCardError, match="form"):
        RateFunction("cubic")
    with pytest.raises(ModelCardError, match="scale"):
        RateFunction("exp", 1.0, 0.0, 0.0)
    with pytest.raises(ModelCardError, match="not allowed"):
        RateFunction("expression", expression="__import__('os')")
