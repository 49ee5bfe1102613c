"""Issue 5: the conical fluidic memristor (Kamsma et al., PRL 130, 268401, 2023)."""

import numpy as np
import pytest
from scipy.integrate import quad

import devicekit as dk
from devicekit.models.builtin import memristor_from_sigmoid
from devicekit.models.iontronic import ConicalChannel, ConicalRate
from devicekit.models.stimuli import SineClamp
from tests.conftest import MEASUREMENTS

CHANNEL = ConicalChannel()


def test_derived_numbers_match_the_paper():
    # PHYSICS.md, from the published parameters: w = -5.49, Du = -0.249, Delta_g = -2.05,
    # Pe about -28.9 per volt, tau = L^2/(12 D) = 8.3 ms
    assert CHANNEL.w == pytest.approx(-5.49, abs=0.005)
    assert CHANNEL.dukhin == pytest.approx(-0.249, abs=0.0005)
    assert CHANNEL.delta_g == pytest.approx(-2.05, abs=0.005)
    assert CHANNEL.peclet_per_volt == pytest.approx(-28.9, abs=0.1)
    assert CHANNEL.tau == pytest.approx(8.3e-3, abs=0.05e-3)


def _adaptive(rate: ConicalRate, v: float) -> float:
    """g_inf/g0 by adaptive quadrature of the defining integral (the reference)."""
    b, p = rate.radius_ratio, rate.peclet_per_volt * v

    def integrand(xi):
        radius = 1 - (1 - b) * xi
        s = xi * b * b / radius
        fraction = s / b if p == 0 else np.expm1(p * s) / np.expm1(p * b)
        return xi * b / radius - fraction

    return 1 + rate.delta_g * quad(integrand, 0, 1, epsabs=1e-14, epsrel=1e-13, limit=200)[0]


@pytest.mark.parametrize(
    ("v", "tolerance"),
    [
        (-5.0, 2e-10),
        (-1.9, 1e-14),
        (-0.5, 1e-14),
        (-1e-9, 1e-14),
        (0.0, 0.0),
        (1e-9, 1e-14),
        (0.3, 1e-14),
        (1.8, 1e-14),
        (5.0, 2e-10),
    ],
)
def test_quadrature_matches_adaptive_integration(v, tolerance):
    # 32 Gauss-Legendre nodes against scipy's adaptive quadrature at epsrel 1e-13: exact to
    # round-off within +-2 V; the tip boundary layer at +-5 V costs 1.2e-10 (measured)
    rate = CHANNEL.rate()
    assert rate(v) == pytest.approx(_adaptive(rate, v), rel=tolerance, abs=1e-15)


def test_published_curve_and_rectification():
    rate = CHANNEL.rate()
    # PHYSICS.md: about 0.46 at -1.9 V and about 2.0 at +1.8 V; g_inf(0) = g0 exactly
    assert rate(-1.9) == pytest.approx(0.46, abs=0.01)
    assert rate(1.8) == pytest.approx(2.0, abs=0.03)
    assert rate(0.0) == 1.0
    # rectifies with the sign of the measured device: conductance rises at positive V
    data = dk.load_measurement(MEASUREMENTS / "kamsma_conical_channel_ginf.toml")
    measured_rises = data.conductance_ratio.iloc[-1] > 1 > data.conductance_ratio.iloc[0]
    assert measured_rises and rate(1.0) > 1 > rate(-1.0)


def test_published_parameters_miss_the_measured_device():
    # PHYSICS.md: the published geometry is 25% of the range off the measured curve
    data = dk.load_measurement(MEASUREMENTS / "kamsma_conical_channel_ginf.toml")
    y = data.conductance_ratio.to_numpy()
    rms = np.sqrt(np.mean((CHANNEL.rate()(data.voltage.to_numpy()) - y) ** 2)) / np.ptp(y)
    assert rms == pytest.approx(0.25, abs=0.01)


def test_spice_iv_equals_numpy():
    model = dk.load_model("conical-memristor")
    sweep = dk.DCSweep(-2.0, 2.0, 0.05, points=(0.0,))
    spice = dk.simulate(model, sweep)
    native = dk.simulate(model, sweep, backend="native")
    got, expected = spice["current"].to_numpy(), native["current"].to_numpy()
    assert np.all(np.abs(got - expected) <= np.maximum(1e-9 * np.abs(expected), 1e-24))


def _loop(model, multiple: float):
    """Drive the memristor with 1.5 V at ``multiple`` / (2 pi tau); the last period's loop."""
    g0, tau = model.channels[0].conductance, CHANNEL.tau
    f = multiple / (2 * np.pi * tau)
    frame = dk.simulate(
        model, dk.Transient(4 / f, max_step=1 / (400 * f)), stimuli=[SineClamp(1.5, f)]
    )
    last = frame.index.to_numpy() >= 3 / f
    v = frame["v"].to_numpy()[last]
    current = g0 * frame["cone_x"].to_numpy()[last] * v  # the memristor's own current
    return v, current


def test_pinched_hysteresis_shrinks_with_frequency():
    model = dk.load_model("conical-memristor")
    areas = []
    for multiple in (1.0, 10.0, 100.0):
        v, current = _loop(model, multiple)
        # pinched: the current vanishes where the voltage does (I = g V), a loop through 0
        near_zero = np.abs(v) < 1e-3
        assert np.max(np.abs(current[near_zero])) < 1e-6 * np.max(np.abs(current))
        areas.append(abs(np.trapezoid(current, v)))
    assert areas[0] > 1e-3 * np.max(np.abs(current)) * 1.5  # a real loop at omega tau = 1
    # far above 1/tau the conductance cannot follow and the loop collapses towards a line
    assert areas[0] > areas[1] > areas[2]
    assert areas[2] < 0.1 * areas[0]


def test_fit_to_measured_ginf():
    data = dk.load_measurement(MEASUREMENTS / "kamsma_conical_channel_ginf.toml")
    smooth = dk.fit("sigmoid", data)
    assert smooth.relative_rmse < 0.03  # issue 5: under 3% of the range (0.94% measured)
    device = memristor_from_sigmoid(smooth.values)
    rate = device.channels[0].gates[0].inf
    assert np.allclose(rate(data.voltage.to_numpy()), smooth.predict(), rtol=1e-12)
    # the physical form with free Delta_g, Pe and R_t/R_b does better than the published
    # geometry (25%) but cannot follow this device closely (6% measured, its best on a grid)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dk.errors.ConvergenceWarning)
        physical = dk.fit("conical", data)
    assert physical.relative_rmse < 0.08
    assert physical.verify_in_spice()["relative"] < 1e-4


@pytest.fixture(scope="module")
def neuron_threshold():
    """The toolkit's threshold of the iontronic neuron for a 20 ms current pulse [A], found in
    ngspice by bisection to 0.1% of g0 (a spike is a crossing of +0.5 V)."""
    model = dk.load_model("iontronic-neuron")
    g0 = model.channels[0].conductance
    return dk.find_threshold(
        model,
        "single",
        low=0.0,
        high=2 * g0,
        resolution=1e-3 * g0,
        duration=0.5,
        width=20e-3,
        delay=5e-3,
        spike_threshold=0.5,
        max_step=1e-4,
    )


def _pulse(amplitude):
    from devicekit.spikes import _step_response

    return _step_response(
        dk.load_model("iontronic-neuron"),
        amplitude,
        0.5,
        "spice",
        "accurate",
        20e-3,
        5e-3,
        0.5,
        1e-4,
    )


@pytest.mark.slow
def test_iontronic_neuron_is_all_or_none(neuron_threshold):
    model = dk.load_model("iontronic-neuron")
    assert model.resting_state()["v"] == pytest.approx(-2 / 3, abs=1e-3)
    # threshold measured 0.117 pA (0.0488 g0), the same natively and in ngspice
    assert 0.02 < neuron_threshold / model.channels[0].conductance < 0.1
    below = _pulse(0.8 * neuron_threshold)
    assert below.count == 0  # issue 5: 80% of threshold does not fire
    peaks = [_pulse(k * neuron_threshold).peak for k in (1.2, 2.0)]
    # above threshold: a spike of full amplitude, whatever the pulse (1.79 V and 1.80 V)
    assert all(p > 1.5 for p in peaks) and abs(peaks[0] - peaks[1]) < 0.05


@pytest.mark.slow
def test_the_threshold_search_gives_the_same_answer_in_vacask(neuron_threshold):
    # the fixture's search (ngspice) run again with backend="vacask", each run the two cones'
    # Verilog-A compiled to OSDI: the same threshold to the bisection's resolution (1e-3 g0)
    model = dk.load_model("iontronic-neuron")
    g0 = model.channels[0].conductance
    found = dk.find_threshold(model, "single", low=0.0, high=2 * g0, resolution=1e-3 * g0,
                              duration=0.5, width=20e-3, delay=5e-3, spike_threshold=0.5,
                              max_step=1e-4, backend="vacask")  # fmt: skip
    assert found == pytest.approx(neuron_threshold, abs=1e-3 * g0)


def _circuit_run(amplitude, backend="spice"):
    from devicekit.circuits.builtin import iontronic_neuron_circuit
    from devicekit.models.stimuli import Pulse

    stim = Pulse(amplitude, delay=5e-3, width=20e-3, per_area=False)
    circuit = iontronic_neuron_circuit(stim)
    frame = dk.simulate(circuit, dk.Transient(0.5, max_step=1e-4), backend=backend)
    return frame


@pytest.mark.slow
def test_iontronic_neuron_as_a_circuit_keeps_its_rest_and_threshold(neuron_threshold):
    model = dk.load_model("iontronic-neuron")
    resolution = 1e-3 * model.channels[0].conductance  # the fixture's bisection step, 2.4 fA
    # the figure for a 20 ms pulse, to the resolution it was found at
    assert neuron_threshold == pytest.approx(0.117e-12, abs=resolution)
    below = _circuit_run(neuron_threshold - resolution)
    at = _circuit_run(neuron_threshold)
    # rest: the operating point the circuit starts from, -2/3 V as the model's (-0.6667 V)
    assert below["v(m)"].iloc[0] == pytest.approx(-2 / 3, abs=1e-6)
    # all-or-none at the same threshold as the single-membrane model: a spike is +0.5 V
    assert below["v(m)"].max() < 0.5 < at["v(m)"].max()
    assert at["v(m)"].max() > 1.5  # full amplitude (1.79 V measured)
    # and the same trace as the model at twice threshold, in the same engine (measured:
    # 1.9e-6 V apart at most; near threshold the spike's latency is too sensitive to compare)
    pulse = dk.Pulse(2 * neuron_threshold, delay=5e-3, width=20e-3, per_area=False)
    single = dk.simulate(model.with_stimuli(pulse), dk.Transient(0.5, max_step=1e-4))
    twice = _circuit_run(2 * neuron_threshold)
    v_single = np.interp(twice.index.to_numpy(), single.index.to_numpy(), single["v"].to_numpy())
    assert np.max(np.abs(twice["v(m)"].to_numpy() - v_single)) < 1e-4
    # the native backend agrees on the circuit: the spike's peak within 0.1 ms (16 us)
    native = _circuit_run(2 * neuron_threshold, backend="native")
    assert native["v(m)"].idxmax() == pytest.approx(twice["v(m)"].idxmax(), abs=1e-4)
