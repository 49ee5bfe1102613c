"""The voltage-clamp path of fit_transient (devicekit.fit.clamped): the exponential integrator
on a fixed grid against LSODA at tight tolerances, and where it must step aside."""

import numpy as np
import pytest

import devicekit as dk
from devicekit.fit.clamped import clamped_response
from devicekit.models.stimuli import Pulse, SineClamp, VoltageClamp
from devicekit.native import integrate

LOOP = SineClamp(1.5, 19.098593171027442)  # the memristor's loop of tests/test_fit_transient.py
STEPS = VoltageClamp(-0.065, times=(0.001, 0.006), levels=(0.0, -0.08), edge=1e-9)


@pytest.mark.parametrize(
    ("name", "clamp", "tstop"),
    [
        ("conical-memristor", LOOP, 0.1047),
        ("hh-squid", STEPS, 0.01),
        ("iontronic-neuron", LOOP, 0.1047),
    ],
)
def test_clamp_current_agrees_with_lsoda_at_tight_tolerance(name, clamp, tstop):
    # reference: devicekit's native integrate with LSODA at rtol 1e-11, atol 1e-14, read at its
    # own samples (no interpolation); the fast path at the same times within 1e-6 of the
    # current's range (measured 1.6e-10 cone, 7.8e-10 hh-squid, 9.2e-8 iontronic-neuron)
    membrane = dk.load_model(name).with_stimuli(clamp)
    reference = integrate(membrane, tstop, sample_step=tstop / 4000, rtol=1e-11, atol=1e-14)
    times = reference.data.index.to_numpy()
    expected = reference.data["clamp_current"].to_numpy()
    ours = clamped_response(membrane, times)
    # away from a jump of V (the capacitive spike of a 1 ns edge is sampled differently)
    steps = np.asarray(clamp.breakpoints(tstop))
    away = np.all(np.abs(times[:, None] - steps[None, :]) > 2 * tstop / 4000, axis=1)
    deviation = np.max(np.abs(ours - expected)[away]) / np.ptp(expected[away])
    assert deviation < 1e-6, deviation


def test_the_fast_path_steps_aside_where_it_does_not_apply():
    # a current stimulus (no clamp), ion pools (a battery that moves), and a clamp together
    # with a current: the caller integrates instead
    times = np.linspace(0, 0.01, 101)
    assert clamped_response(dk.load_model("hh-squid").with_stimuli(Pulse(0.1)), times) is None
    kacc = dk.load_model("hh-squid-kacc").with_stimuli(VoltageClamp(-0.065))
    assert clamped_response(kacc, times) is None
    both = dk.load_model("hh-squid").with_stimuli(VoltageClamp(-0.065), Pulse(0.1))
    assert clamped_response(both, times) is None
