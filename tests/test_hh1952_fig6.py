"""Hodgkin and Huxley's own sodium data (J. Physiol. 117, 500, 1952, Fig. 6: g_Na after 12
clamp steps of 6 to 109 mV, digitised by Daly et al., R. Soc. Open Sci. 2, 150499, 2015;
measurements/hh1952_fig6_sodium.toml), fitted as HH did (step by step, m^3 h) and as a whole
channel (fit_hh_model)."""

from itertools import product

import numpy as np
import pytest
from scipy.optimize import least_squares

import devicekit as dk
from devicekit.models.cards import load_model
from tests.fitting_data import rate_values
from tests.hh_reference import m3h_step, rates

DATA = "measurements/hh1952_fig6_sodium.toml"
HOLDING = -0.065  # rest in the modern convention of hh-squid (HH gave depolarisations from rest)


def _fig6():
    data = dk.load_measurement(DATA)
    data["voltage"] = HOLDING + data["depolarization"]
    return data


def _hh_start():
    """m and h at rest from HH's published rates (tests/hh_reference.py): m0 0.053, h0 0.596."""
    am, bm, ah, bh, _, _ = rates(HOLDING * 1e3)
    return {"m": am / (am + bm), "h": ah / (ah + bh)}


def test_the_data_set_is_the_twelve_steps_of_fig6():
    data = _fig6()
    steps = data.groupby("depolarization").size()
    # the figure's labels [mV]; A and B have 11 points, the others 12 (Daly's digitisation)
    assert np.allclose(steps.index * 1e3, [6, 10, 19, 26, 32, 38, 51, 63, 76, 88, 100, 109])
    assert steps.sum() == 142
    # the largest conductance is about 18.7 mS/cm^2 (187 S/m^2) at 109 mV, at 0.25 ms
    assert data["conductance_density"].max() == pytest.approx(186.875)


def test_m3h_per_step_reaches_the_least_squares_optimum_of_every_step():
    # HH's procedure: g_max held (here 120 mS/cm^2, HH's value; the steps then share nothing),
    # m and h starting from rest. An independent scipy fit of the same closed form, from a
    # grid of 36 starts of its own, finds each step's optimum; devicekit must reach it
    # (relative 1e-6 in RSS). Before the multistart, the 6 mV step ended 9% above it.
    data, start, g_max = _fig6(), _hh_start(), 1200.0
    # small steps are poorly determined (m_inf^3 h_inf below the digitising noise): it says so
    with pytest.warns(dk.errors.ConvergenceWarning, match="poorly determined"):
        result = dk.fit_hh_kinetics(data, gates={"m": 3, "h": 1}, g_max=g_max, start=start,
                                    conductance="conductance_density")  # fmt: skip
    for level, trace in data.groupby("voltage", sort=True):
        t, g = trace["time"].to_numpy(), trace["conductance_density"].to_numpy()

        def model(p, t=t):
            return m3h_step(t, p, start, g_max)

        best = np.inf
        for p0 in product((0.2, 0.5, 0.9), (1e-4, 3e-4, 1e-3), (0.01, 0.3), (5e-4, 8e-3)):
            theirs = least_squares(lambda p, g=g: model(p) - g, p0, xtol=1e-14, ftol=1e-14,
                                   gtol=1e-14, bounds=([0, 1e-7, 0, 1e-7], [1, 10, 1, 10]),
                                   x_scale=[0.1, 1e-3, 0.1, 1e-3])  # fmt: skip
            best = min(best, 2 * theirs.cost)  # cost is half the RSS
        row = result.table.loc[level]
        ours = np.sum((model([row["m_inf"], row["tau_m"], row["h_inf"], row["tau_h"]]) - g) ** 2)
        assert ours <= best * (1 + 1e-6), (level, ours, best)
    # the large steps are well determined: tau_h there is 0.6 to 0.9 ms, HH's Table 2 range
    assert result.table.loc[0.0:, "tau_h"].between(4e-4, 1e-3).all()


def _rss_in_ngspice(result):
    """Total squared deviation of the clamp protocol run in ngspice from the traces."""
    return float(np.sum((result.model.in_spice(result.values, result.x) - result.y) ** 2))


def test_fitted_rate_forms_beat_hh_own_rates_on_their_own_data():
    # HH's published rates at 6.3 degC with only g_max free (the axon of Fig. 6 is not the one
    # of g_Na = 120 mS/cm^2), against the rate forms fitted to all 12 steps at once. The data
    # leave some directions open, so they are held at HH's values: each midpoint (an
    # exp_linear's midpoint trades against its amplitude when the data lie below it, and the
    # fit walked it off to +0.25 V) and alpha_h (h's recovery, which depolarising steps from
    # rest do not see). Both are then clamped in ngspice: the fitted forms have the smaller RSS
    # (measured 1.77e4 against 4.98e4 (S/m^2)^2, 0.35x).
    data = _fig6()
    na = {c.name: c for c in load_model("hh-squid").channels}["na"]
    hh_rates = rate_values(na)
    theirs = dk.fit_hh_model(data, "hh-squid:na", holding=HOLDING, fixed=hh_rates,
                             conductance="conductance_density")  # fmt: skip
    held = ("m.alpha.midpoint", "h.beta.midpoint", "h.alpha.amplitude", "h.alpha.scale")
    ours = dk.fit_hh_model(data, "hh-squid:na", holding=HOLDING,
                           fixed={name: hh_rates[name] for name in held},
                           conductance="conductance_density")  # fmt: skip
    assert set(theirs.values) == set(ours.values)
    rss_theirs, rss_ours = _rss_in_ngspice(theirs), _rss_in_ngspice(ours)
    assert rss_ours < 0.5 * rss_theirs, (rss_ours, rss_theirs)
    # ngspice runs the same channel as the closed form the fit used (1e-3 of the range)
    assert ours.verify_in_spice()["relative"] < 1e-3
    # every fitted parameter is determined (standard error below its value)
    for name, value in ours.values.items():
        if name not in held:
            assert ours.stderr[name] < abs(value), name
