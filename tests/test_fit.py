"""Issue 4: fits recover known parameters (round trips), fit the real data sets, and the fitted
models agree with ngspice."""

import json

import numpy as np
import pandas as pd
import pytest

import devicekit as dk
from devicekit.electrochem import ghk_current_density, ghk_voltage
from devicekit.errors import ConvergenceWarning, DataFormatError, FitError
from devicekit.fit.models import get_fit_model
from devicekit.fit.routines import fit_hh_kinetics, fit_permeability_ratios
from tests.conftest import MEASUREMENTS
from tests.fitting_data import noisy
from tests.hh_reference import rates

V = np.linspace(-0.1, 0.1, 100)


def _recovered(result, true: dict, relative: float):
    """Each parameter within 3 standard errors and within ``relative`` of its true value."""
    for name, value in true.items():
        got, err = result.values[name], result.stderr[name]
        assert abs(got - value) <= 3 * err, (name, got, value, err)
        assert abs(got - value) <= relative * abs(value), (name, got, value)


def _spice_agrees(result):
    check = result.verify_in_spice()
    assert check["relative"] < 1e-4, check  # issue 4: 1e-4 of the data range
    return check


ROUND_TRIPS = {
    # model -> (options, true parameters, x)
    "ohmic": ({}, {"g": 2.5e-9, "E": -0.012}, V),
    "boltzmann": ({}, {"v_half": -0.03, "slope": 0.008}, V),  # activation
    "boltzmann-inactivation": ({}, {"v_half": -0.062, "slope": -0.007}, V),
    "sigmoid": (
        {},
        {"low": 0.64, "high": 4.9, "v_mid": 1.05, "width": 0.47},
        np.linspace(-1.9, 2.0, 100),
    ),
    "ghk": (
        {"ion": "K", "c_in": 140.0, "c_out": 5.0, "temperature": 310.15, "area": 1e-9},
        {"P": 3e-6},
        V,
    ),
}


@pytest.mark.parametrize("name", list(ROUND_TRIPS))
def test_round_trip(name):
    options, true, x = ROUND_TRIPS[name]
    model = get_fit_model(name.split("-")[0], **options)
    y = noisy(model(x, true), seed=sum(map(ord, name)))
    result = dk.fit(model, (x, y))
    _recovered(result, true, 0.02)
    _spice_agrees(result)


@pytest.mark.parametrize(("ratio", "relative"), [(0.5, 0.02), (0.04, 0.12)])
def test_round_trip_ghk_permeability_ratio_from_iv(ratio, relative):
    # K and Na through one membrane (squid concentrations, 6.3 degC): P_K and P_Na/P_K.
    # A weakly selective channel (0.5) meets issue 4's 2%: its relative standard error is
    # 0.65% (20 seeds). For the squid resting ratio 0.04 the Na current is small and the
    # standard error is 3.6% at this noise, so only the 3-standard-error criterion can hold.
    ions = {"K": (400.0, 20.0), "Na": (50.0, 440.0)}
    model = get_fit_model("ghk", ions=ions, temperature=279.45, area=1e-9)
    true = {"P": 2e-6, "ratio_Na": ratio}
    x = np.linspace(-0.12, 0.08, 100)
    result = dk.fit(model, (x, noisy(model(x, true), seed=13)))
    _recovered(result, true, relative)
    # the fitted zero-current potential is the GHK voltage of those permeabilities
    zero = x[np.argmin(np.abs(result.predict()))]
    expected = ghk_voltage([1, ratio], [400, 50], [20, 440], [1, 1], 279.45)
    assert zero == pytest.approx(expected, abs=0.002)
    _spice_agrees(result)


def test_three_monovalent_ions_are_not_identifiable_from_one_iv():
    # every monovalent GHK current is a combination of u/(1-e^-u) and u e^-u/(1-e^-u), so one
    # I-V fixes only two combinations of three permeabilities: the fit must say so
    ions = {"K": (400.0, 20.0), "Na": (50.0, 440.0), "Cl": (40.0, 560.0)}
    model = get_fit_model("ghk", ions=ions, temperature=279.45, area=1e-9)
    x = np.linspace(-0.12, 0.08, 100)
    y = noisy(model(x, {"P": 2e-6, "ratio_Na": 0.04, "ratio_Cl": 0.45}), seed=13)
    with pytest.warns(ConvergenceWarning, match="poorly determined"):
        result = dk.fit(model, (x, y))
    assert abs(result.correlation.loc["ratio_Na", "ratio_Cl"]) > 0.999


def test_ghk_model_is_the_ghk_current():
    model = get_fit_model("ghk", ion="Ca", c_in=1e-4, c_out=2.0, temperature=310.15, area=1e-9)
    expected = 1e-9 * ghk_current_density(V, 1e-7, 1e-4, 2.0, 2, 310.15)
    assert np.allclose(model(V, {"P": 1e-7}), expected, rtol=1e-9, atol=1e-25)


def test_round_trip_permeability_ratios():
    inside = {"K": 140.0, "Na": 15.0, "Cl": 10.0}
    # ion substitution with each ion varied on its own (Na+ replaced by an impermeant cation,
    # Cl- by an impermeant anion, K+ raised): 3 x 3 x 3 conditions. Designed so, the ratios'
    # relative standard errors are about 1% (0.97% and 0.88%, 20 seeds), where substituting
    # K+ for Na+ alone leaves 2 to 4% at this noise.
    outside = [
        {"K": k, "Na": na, "Cl": cl}
        for k in (1.0, 2.5, 5.0)
        for na in (10.0, 50.0, 150.0)
        for cl in (5.0, 40.0, 150.0)
    ]
    true = {"ratio_Na": 0.05, "ratio_Cl": 0.45}
    ions = sorted(inside)
    p = [{"K": 1.0, "Na": 0.05, "Cl": 0.45}[i] for i in ions]
    z = [{"K": 1, "Na": 1, "Cl": -1}[i] for i in ions]
    clean = np.array(
        [
            ghk_voltage(p, [inside[i] for i in ions], [o[i] for i in ions], z, 310.15)
            for o in outside
        ]
    )
    result = fit_permeability_ratios(noisy(clean, seed=3), inside, outside)
    _recovered(result, true, 0.02)
    _spice_agrees(result)  # zero-current potentials of GHK membranes in ngspice
    # holding Cl's ratio at its true value leaves Na's alone free, and as well determined
    held = fit_permeability_ratios(noisy(clean, seed=3), inside, outside,
                                   fixed={"ratio_Cl": 0.45})  # fmt: skip
    assert held.values["ratio_Cl"] == 0.45 and held.stderr["ratio_Cl"] == 0.0
    _recovered(held, {"ratio_Na": 0.05}, 0.02)


def _hh_potassium_traces(seed: int):
    g_max = 360.0  # 36 mS/cm2 in S/m2
    a0, b0 = (r * 1000 for r in rates(-65.0)[4:6])
    n0 = a0 / (a0 + b0)
    t = np.linspace(0.0, 0.012, 150)
    frames, truth = [], {}
    for k, v in enumerate((-40.0, -20.0, 0.0, 20.0, 40.0)):
        a, b = (r * 1000 for r in rates(v)[4:6])
        n_inf, tau = a / (a + b), 1.0 / (a + b)
        g = g_max * (n_inf - (n_inf - n0) * np.exp(-t / tau)) ** 4
        frames.append(
            pd.DataFrame({"time": t, "voltage": v / 1000, "conductance": noisy(g, seed + k)})
        )
        truth[v / 1000] = {"g_inf": g_max * n_inf**4, "tau": tau, "alpha": a, "beta": b}
    return pd.concat(frames), truth, g_max, g_max * n0**4


def test_round_trip_hh_kinetics():
    data, truth, g_max, g0 = _hh_potassium_traces(seed=11)
    result = fit_hh_kinetics(data, power=4, g_max=g_max, g0=g0)
    for v, true in truth.items():
        step = result.steps[v]
        _recovered(step, {"g_inf": true["g_inf"], "tau": true["tau"]}, 0.05)
        row = result.table.loc[v]
        assert row["alpha"] == pytest.approx(true["alpha"], rel=0.05)
        assert row["beta"] == pytest.approx(true["beta"], rel=0.05)
    _spice_agrees(result.steps[0.02])  # the gate ODE in ngspice
    # alpha_n(V) back to HH's rate form: 0.1/ms, -55 mV, 10 mV (PHYSICS.md)
    # a step's tau held at its true value: the fit keeps it and still finds g_inf
    held = fit_hh_kinetics(data, power=4, g_max=g_max, g0=g0, fixed={"tau": truth[0.02]["tau"]})
    assert held.steps[0.02].values["tau"] == truth[0.02]["tau"]
    _recovered(held.steps[0.02], {"g_inf": truth[0.02]["g_inf"]}, 0.05)
    alpha = result.fit_rate("alpha", "exp_linear", amplitude=100.0, midpoint=-0.05, scale=0.01)
    _recovered(alpha, {"amplitude": 100.0, "midpoint": -0.055, "scale": 0.01}, 0.05)
    _spice_agrees(alpha)


def test_conical_channel_fit_under_three_percent():
    data = dk.load_measurement(str(MEASUREMENTS / "kamsma_conical_channel_ginf.toml"))
    result = dk.fit("sigmoid", data)
    assert result.relative_rmse < 0.03  # issue 4 (PHYSICS.md expects about 1%)
    _spice_agrees(result)


def test_nanopore_conductance_with_standard_error():
    data = dk.load_measurement(str(MEASUREMENTS / "howorka_dna_nanopore_iv.toml"))
    result = dk.fit("ohmic", data)
    g, err = result.values["g"], result.stderr["g"]
    # slope of the digitised I-V: about 0.4 nS (40 pA at 100 mV); determined to a few percent
    assert 0.3e-9 < g < 0.5e-9 and 0 < err < 0.05 * g
    lo, hi = result.ci95["g"]
    assert lo < g < hi
    _spice_agrees(result)


def test_spice_backend_matches_native():
    data = dk.load_measurement(str(MEASUREMENTS / "howorka_dna_nanopore_iv.toml"))
    native = dk.fit("ohmic", data)
    spice = dk.fit("ohmic", data, backend="spice")
    assert spice.values["g"] == pytest.approx(native.values["g"], rel=1e-6)
    assert spice.nfev > 1 and spice.backend == "spice"


def test_report_plot_and_card(tmp_path):
    data = dk.load_measurement(str(MEASUREMENTS / "howorka_dna_nanopore_iv.toml"))
    result = dk.fit("ohmic", data)
    assert "nS" in result.report() and "| g |" in result.report("markdown")
    parsed = json.loads(result.report("json"))
    assert parsed["parameters"][0]["name"] == "g" and parsed["points"] == 21
    assert list(result.correlation.columns) == ["g", "E"]
    assert list(result.residuals.columns) == ["voltage", "current", "prediction", "residual"]
    figure = result.plot(tmp_path / "fit.png")
    assert (tmp_path / "fit.png").read_bytes()[:4] == b"\x89PNG"
    # the figure shows pA against mV, and its points are the data, scaled exactly
    top, bottom = figure.axes
    assert top.get_ylabel() == "current [pA]" and bottom.get_xlabel() == "voltage [mV]"
    assert bottom.get_ylabel() == "residual [pA]"
    assert np.allclose(top.lines[0].get_ydata() * 1e-12, data["current"], rtol=1e-15, atol=0)
    assert np.allclose(top.lines[0].get_xdata() * 1e-3, data["voltage"], rtol=1e-15, atol=0)
    card = tmp_path / "fitted.toml"
    card.write_text(result.to_card())
    model = dk.load_model(card)  # an ohmic fit is a complete membrane card
    iv = dk.simulate(model, dk.DCSweep(-0.1, 0.1, 0.05))
    # the card's 1 m^2 membrane carries the fitted conductance: I = g (V - E)
    expected = result.values["g"] * (iv.index.to_numpy() - result.values["E"])
    assert np.allclose(iv["current"].to_numpy(), expected, rtol=1e-9, atol=1e-24)


def test_bad_fits():
    with pytest.raises(DataFormatError, match="cannot determine"):
        dk.fit("sigmoid", (V[:4], V[:4]))
    with pytest.raises(DataFormatError, match="NaN"):
        dk.fit("ohmic", (V, np.where(V > 0, np.nan, V)))
    data = dk.load_measurement(str(MEASUREMENTS / "bongartz_oect_transfer.toml"))
    with pytest.raises(DataFormatError, match="needs column 'voltage'"):
        dk.fit("ohmic", data)
    with pytest.raises(FitError, match="last parameters"):
        y = get_fit_model("sigmoid")(V, {"low": 1, "high": 3, "v_mid": 0.01, "width": 0.02})
        dk.fit("sigmoid", (V, y), max_evaluations=1)


def test_poorly_determined_fit_warns():
    # a Boltzmann curve whose midpoint lies far outside the data is not determined by it
    x = np.linspace(-0.1, -0.08, 30)
    y = noisy(1 / (1 + np.exp(-(x - 0.2) / 0.01)), seed=5) + 1e-12
    with pytest.warns(ConvergenceWarning):
        dk.fit("boltzmann", (x, y))
