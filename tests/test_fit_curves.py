"""Curves users bring (issue 16, parts 2 and 4): rate forms without redundancy and with fixed
parameters, a Boltzmann of any normalised quantity, a Boltzmann peak I-V, unit-suffixed headers,
one sweep of a hysteretic data set, and axis labels that name what was fitted."""

import json

import numpy as np
import pandas as pd
import pytest

import devicekit as dk
from devicekit.errors import DataFormatError
from devicekit.expr import evaluate
from devicekit.fit.routines import KineticsResult
from devicekit.models.kinetics import rate_expression
from tests.conftest import MEASUREMENTS, run_cli

#: Hodgkin and Huxley's six rate forms (modern convention, SI: 1/s and V; PHYSICS.md)
HH_RATES = {
    "alpha_m": ("exp_linear", 1000.0, -0.040, 0.010),
    "beta_m": ("exp", 4000.0, -0.065, -0.018),
    "alpha_h": ("exp", 70.0, -0.065, -0.020),
    "beta_h": ("sigmoid", 1000.0, -0.035, 0.010),
    "alpha_n": ("exp_linear", 100.0, -0.055, 0.010),
    "beta_n": ("exp", 125.0, -0.065, -0.080),
}


def _rate(form, amplitude, midpoint, scale, v):
    return evaluate(rate_expression(form, amplitude, midpoint, scale), {"v": v})


@pytest.mark.parametrize("name", sorted(HH_RATES))
def test_every_hh_rate_form_is_recovered_without_a_warning_from_noiseless_rates(name):
    # pytest turns warnings into errors here: no form may report a poorly determined parameter
    form, amplitude, midpoint, scale = HH_RATES[name]
    v = np.linspace(-0.1, 0.04, 15)
    table = pd.DataFrame({"alpha": _rate(form, amplitude, midpoint, scale, v)}, index=v)
    table.index.name = "voltage"
    result = KineticsResult({}, table, 1, 1.0).fit_rate("alpha", form)
    values = result.values
    assert values["scale"] == pytest.approx(scale, rel=1e-6)
    if form == "exp":
        # held at the mean clamp voltage (-30 mV): the amplitude is the rate there
        assert values["midpoint"] == -0.03 and result.stderr["midpoint"] == 0.0
        assert values["amplitude"] == pytest.approx(
            amplitude * np.exp((-0.03 - midpoint) / scale), rel=1e-6
        )
    else:
        assert values["amplitude"] == pytest.approx(amplitude, rel=1e-6)
        assert values["midpoint"] == pytest.approx(midpoint, abs=1e-8)
    np.testing.assert_allclose(result.predict(v), table["alpha"].to_numpy(), rtol=1e-6)


def test_fit_rate_holds_what_fixed_gives():
    form, amplitude, midpoint, scale = HH_RATES["alpha_n"]
    v = np.linspace(-0.1, 0.04, 15)
    table = pd.DataFrame({"alpha": _rate(form, amplitude, midpoint, scale, v)}, index=v)
    result = KineticsResult({}, table, 4, 1.0).fit_rate("alpha", form, fixed={"scale": 0.01})
    assert result.values["scale"] == 0.01 and result.stderr["scale"] == 0.0
    assert result.values["amplitude"] == pytest.approx(amplitude, rel=1e-6)
    # an exp rate's midpoint given by the user is kept
    exp = KineticsResult({}, table, 4, 1.0).fit_rate("alpha", "exp", fixed={"midpoint": -0.065})
    assert exp.values["midpoint"] == -0.065


def test_boltzmann_iv_round_trip_gives_the_reversal_potential():
    # synthetic peak I-V of a Boltzmann-activated channel (2 nS, E = +45 mV, V_half = -25 mV,
    # slope 6 mV) with 1% noise: every parameter within 3 standard errors; the fitted
    # expression in ngspice equals numpy
    rng = np.random.default_rng(1)
    v = np.linspace(-0.08, 0.06, 29)
    true = {"g_max": 2e-9, "E": 0.045, "v_half": -0.025, "slope": 0.006}
    current = true["g_max"] * (v - true["E"]) / (1 + np.exp(-(v - true["v_half"]) / true["slope"]))
    data = pd.DataFrame(
        {"voltage": v, "current": current + 0.01 * np.ptp(current) * rng.standard_normal(v.size)}
    )
    result = dk.fit("boltzmann-iv", data)
    for name, value in true.items():
        assert abs(result.values[name] - value) < 3 * result.stderr[name]
    assert result.verify_in_spice()["relative"] < 1e-4


def test_boltzmann_fits_any_normalised_column_and_refuses_a_raw_one():
    v = np.linspace(-0.08, 0.02, 21)
    relative = 1 / (1 + np.exp(-(v + 0.03) / 0.008))
    data = pd.DataFrame({"voltage": v, "normalised_tail_current": relative, "raw": relative * 3e-9})
    result = dk.fit("boltzmann", data)  # the one column within [0, 1]
    assert result.y_name == "normalised_tail_current"
    assert result.values["v_half"] == pytest.approx(-0.03, abs=1e-9)
    # noise-free data: the fit leaves (next to) no residual, so no standard error either
    # (scipy 1.17 reaches exactly zero, whose correlations are then NaN, without a warning)
    assert 0 <= result.stderr["v_half"] < 1e-9
    with pytest.raises(DataFormatError, match=r"normalised to \[0, 1\].*'raw' spans"):
        dk.fit("boltzmann", data, y="raw")
    with pytest.raises(DataFormatError, match="fit 'sigmoid'"):
        dk.fit("boltzmann", data.drop(columns="normalised_tail_current"))


def test_unit_suffixed_headers_are_read_without_metadata(tmp_path):
    path = tmp_path / "iv.csv"
    path.write_text("voltage_mV,current_pA\n-100,-5\n0,0\n100,5.5\n")
    data = dk.load_measurement(path)
    assert list(data.columns) == ["voltage", "current"]
    np.testing.assert_allclose(data["voltage"], [-0.1, 0.0, 0.1], rtol=1e-15)
    np.testing.assert_allclose(data["current"], [-5e-12, 0.0, 5.5e-12], rtol=1e-15)
    bad = tmp_path / "bad.csv"
    bad.write_text("voltage_mV,current_furlongs\n1,2\n")
    with pytest.raises(DataFormatError, match="'current_furlongs' has no unit"):
        dk.load_measurement(bad)


def test_oect_forward_sweep_by_sigmoid_names_drain_current(tmp_path):
    # the OECT transfer curve, one direction of its hysteresis (--sweep), as it is (negative
    # currents of a p-type channel): a sigmoid describes it to 1.3% RMS of the range, in A,
    # and the figure's axes name the drain current and gate voltage
    figure = tmp_path / "oect.png"
    done = run_cli("fit", str(MEASUREMENTS / "bongartz_oect_transfer.toml"), "--model",
                   "sigmoid", "--x", "gate_voltage", "--y", "drain_current", "--sweep",
                   "forward", "--plot", str(figure), "--json", check=True)  # fmt: skip
    report = json.loads(done.stdout)
    assert report["relative_rmse"] < 0.02
    units = {p["name"]: p["unit"] for p in report["parameters"]}
    assert units["low"] == "A" and units["high"] == "A"
    data = dk.load_measurement(MEASUREMENTS / "bongartz_oect_transfer.toml")
    forward = data[data["sweep"] == "forward"]
    result = dk.fit("sigmoid", forward, x="gate_voltage", y="drain_current")
    axes = result.plot().axes
    assert axes[0].get_ylabel().startswith("drain current")
    assert axes[1].get_xlabel().startswith("gate voltage")
    unknown = run_cli("fit", str(MEASUREMENTS / "howorka_dna_nanopore_iv.toml"), "--model",
                      "ohmic", "--sweep", "forward")  # fmt: skip
    assert unknown.returncode == 2 and "has no sweep directions" in unknown.stderr
