"""Arithmetic faults in the native backend (division by zero, overflow, a square root of a
negative number) are SimulationErrors naming the expression, as ngspice failures are."""

from __future__ import annotations

import dataclasses

import pytest

import devicekit as dk
from devicekit.errors import SimulationError
from devicekit.models.builtin import builtin_model
from devicekit.models.kinetics import Gate, RateFunction
from devicekit.models.stimuli import Pulse


def _morris_lecar_with_w_inf(expression: str):
    """Morris-Lecar whose w gate has the steady state ``expression`` (v in volts)."""
    ml = builtin_model("morris-lecar")
    channel = next(c for c in ml.channels if any(g.tau is not None for g in c.gates))
    gate = next(g for g in channel.gates if g.tau is not None)
    bad = Gate(gate.name, gate.power, inf=RateFunction("expression", expression=expression),
               tau=gate.tau)  # fmt: skip
    channels = tuple(
        dataclasses.replace(c, gates=(bad,)) if c is channel else c for c in ml.channels
    )
    return dataclasses.replace(ml, channels=channels)


@pytest.mark.parametrize(
    ("expression", "fault"),
    [
        # defined at rest (about -60 mV), undefined once the stimulus lifts v above -40 mV
        ("0.1 + 0 * sqrt(-0.04 - v)", "ValueError"),  # math domain error
        ("0.1 + 0 * exp(1e5 * (v + 0.04))", "OverflowError"),  # math range error
    ],
)
def test_faults_during_the_run_name_the_expression(expression, fault):
    model = _morris_lecar_with_w_inf(expression)
    with pytest.raises(SimulationError) as caught:
        dk.simulate(model, dk.Transient(0.05), stimuli=[Pulse(5.0)], backend="native")
    message = str(caught.value)
    assert fault in message
    assert "dk_w/dt" in message and ("sqrt" in message or "exp" in message)
    assert "t = " in message and "v = " in message


def test_a_division_by_zero_at_rest_names_the_expression():
    model = _morris_lecar_with_w_inf("1 / (v - v)")
    for backend in ("native", "spice"):
        with pytest.raises(SimulationError, match=r"1 / \(v - v\)"):
            dk.simulate(model, dk.Transient(0.01), backend=backend)
