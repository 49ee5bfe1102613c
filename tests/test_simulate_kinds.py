"""`devicekit simulate` knows the device kind, the temperature and parameter overrides: each
result is checked against the native (scipy) reference of the same model with the same
settings, run here in Python."""

import json
import re

import numpy as np
import pytest

import devicekit as dk
from devicekit.models.builtin import builtin_model
from devicekit.models.stimuli import Pulse, SineClamp
from devicekit.native import integrate
from devicekit.summaries import memristor_summary
from devicekit.sweeps.space import apply_values
from tests.conftest import run_cli


def _cli(*args):
    result = run_cli("simulate", *args, "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _native_spikes(model, tstop):
    # the reference: LSODA at rtol 1e-10, atol 1e-12 (as tests/hh_reference.py)
    return integrate(model, tstop, rtol=1e-10, atol=1e-12).spike_times


def test_memristor_reports_conductance_range_and_loop_area():
    data = _cli("conical-memristor", "--clamp", "sine:1.5V:19.1Hz", "--tstop", "200ms",
                "--max-step", "10us")  # fmt: skip
    assert data["device"] == "memristor"
    assert not any(key.startswith(("spike", "rate", "rest", "first")) for key in data)
    model = builtin_model("conical-memristor").with_stimuli(SineClamp(1.5, 19.1))
    reference = memristor_summary(
        integrate(model, 0.2, rtol=1e-10, atol=1e-12, sample_step=1e-5).data, model
    )
    # ngspice at 10 us steps against the native reference: 1e-6 relative (measured 4e-7 for
    # g/g0 and 7e-7 for the loop area), the same equations in both
    assert data["g_over_g0_min"] == pytest.approx(reference.g_min, rel=1e-6)
    assert data["g_over_g0_max"] == pytest.approx(reference.g_max, rel=1e-6)
    assert data["loop_area_W"] == pytest.approx(reference.loop_area, rel=1e-6)
    # the accurate preset steps 0.09 of the cone's tau (0.8 ms, 258 points in 200 ms): g/g0
    # within 1e-3 (measured 3.1e-4 and 1.7e-4) and the loop area within 1% (2.4e-3)
    preset = _cli("conical-memristor", "--clamp", "sine:1.5V:19.1Hz", "--tstop", "200ms")
    assert preset["g_over_g0_min"] == pytest.approx(reference.g_min, rel=1e-3)
    assert preset["g_over_g0_max"] == pytest.approx(reference.g_max, rel=1e-3)
    assert preset["loop_area_W"] == pytest.approx(reference.loop_area, rel=1e-2)
    # a memristor's loop encloses area: pinched hysteresis, not a resistor's line
    assert reference.loop_area > 1e-3 * 1.5 * reference.g_max * 2.4e-12 * 1.5


def test_temperature_speeds_hh_up_as_its_q10_predicts():
    hot = _cli("hh-squid", "--temperature", "18.5degC", "--stim", "10uA/cm2", "--tstop", "200ms")
    cold = _cli("hh-squid", "--stim", "10uA/cm2", "--tstop", "200ms")
    assert hot["temperature_K"] == pytest.approx(291.65, abs=1e-12)
    assert hot["rate_hz"] > cold["rate_hz"]
    # the native reference at 18.5 degC (Q10 = 3 over 12.2 K: rates x 3.82): spike for spike
    model = apply_values(builtin_model("hh-squid"), {"temperature": 291.65})
    expected = _native_spikes(model.with_stimuli(Pulse(0.1)), 0.2)
    assert len(hot["spike_times_s"]) == len(expected)
    np.testing.assert_allclose(hot["spike_times_s"], expected, atol=1e-5, rtol=0)


def test_set_overrides_a_parameter_with_its_unit():
    data = _cli("hh-squid", "--set", "k.conductance=30mS/cm2", "--stim", "10uA/cm2")
    model = apply_values(builtin_model("hh-squid"), {"k.conductance": 300.0})
    expected = _native_spikes(model.with_stimuli(Pulse(0.1)), 0.1)
    assert len(data["spike_times_s"]) == len(expected)
    np.testing.assert_allclose(data["spike_times_s"], expected, atol=1e-5, rtol=0)
    unchanged = _cli("hh-squid", "--stim", "10uA/cm2")
    assert unchanged["spike_times_s"] != data["spike_times_s"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "k.conductance"), "NAME=VALUE"),
        (("--set", "k.conductance=3mV"), "conductance"),
        (("--set", "x.conductance=1"), "x"),
        (("--clamp", "sine:1V"), "sine:AMPLITUDE:FREQUENCY"),
        (("--clamp", "1V", "--stim", "1nA"), "not both"),
        (("--temperature", "5mV"), "temperature"),
    ],
)
def test_bad_overrides_are_one_line_errors(args, message):
    result = run_cli("simulate", "hh-squid", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_devices_are_in_their_own_units(tmp_path):
    from devicekit.models.cards import card_text

    # the published cone: g0 = 2.40 pS (Kamsma et al. 2023), 1 aF across it
    text = card_text(builtin_model("conical-memristor"))
    written = re.search(r'conductance = "([^"]+)"', text).group(1)
    assert written.endswith("pS")  # in the device's own unit, not mS/cm2 on 1 m2
    # Kamsma et al. report g0 = 2.40 pS for this geometry (3 significant figures)
    assert dk.parse_quantity(written, "conductance") == pytest.approx(2.40e-12, rel=2e-3)
    assert 'capacitance = "1aF"' in text and "area" not in text.split("[[channels]]")[0]
    model = builtin_model("iontronic-neuron")
    d = model.definition()
    assert "area" not in d.parameters
    assert (d.parameters["g_na"].unit, d.parameters["c_m"].unit) == ("S", "F")
    # a current in A drives it; a density is refused with the fix
    data = _cli("iontronic-neuron", "--stim", "0.5pA", "--tstop", "200ms")
    assert data["spike_count"] >= 1
    result = run_cli("simulate", "iontronic-neuron", "--stim", "10uA/cm2")
    assert result.returncode != 0 and "currents (0.05pA" in result.stderr


def test_a_memristor_needs_a_voltage_clamp_and_says_so_before_running():
    result = run_cli("simulate", "conical-memristor")
    assert result.returncode == 2 and "--clamp sine:1.5V:19.1Hz" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    # under a level there is no loop: the steady g/g0 at +0.5 V, equal to g_inf(0.5 V)/g0
    data = _cli("conical-memristor", "--clamp", "0.5V", "--tstop", "50ms")
    model = builtin_model("conical-memristor")
    expected = float(model.channels[0].gates[0].inf(0.5))
    assert data["loop_area_W"] is None
    # ngspice's operating point and transient hold the state at its steady value (1e-9)
    assert data["g_over_g0_min"] == pytest.approx(expected, rel=1e-9)
    assert data["g_over_g0_max"] == pytest.approx(expected, rel=1e-9)
