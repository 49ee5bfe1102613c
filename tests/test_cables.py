"""Cables: Rallpack 1 (the passive cable) in ngspice against the analytic solution of the
finite sealed-end cable, which this test computes itself from its series."""

import functools

import numpy as np
import pytest

import devicekit as dk
from devicekit.circuits.cables import cable, hh_axon, passive_cable
from devicekit.errors import InvalidInput
from tests.cable_reference import first_spikes_ms, spike_times_ms

# Rallpack 1 (Bhalla, Bilitch and Bower 1992): SI
LENGTH, DIAMETER, RM, CM, RA, CURRENT, REST = 1e-3, 1e-6, 4.0, 0.01, 1.0, 1e-10, -0.065


def sealed_cable(x, t, terms: int = 20000):
    """V(x, t) - E_m of a finite cable with sealed ends and a current step I0 into x = 0 at
    t = 0 (eigenfunction series of the cable equation tau dV/dt = lambda^2 V'' - V, with
    -V'(0)/r_a = I0 and V'(l) = 0):

    V = I0 r_a lam cosh((l - x)/lam)/sinh(l/lam)
        - (I0 r_a lam^2/l) [e^(-t/tau) + 2 sum_n cos(n pi x/l) e^(-(1 + k_n^2) t/tau)/(1 + k_n^2)]

    with k_n = n pi lam/l, lam = sqrt(R_m d/(4 R_a)), tau = R_m C_m, r_a = 4 R_a/(pi d^2)."""
    lam = np.sqrt(RM * DIAMETER / (4 * RA))
    tau = RM * CM
    ra = 4 * RA / (np.pi * DIAMETER**2)
    steady = CURRENT * ra * lam * np.cosh((LENGTH - x) / lam) / np.sinh(LENGTH / lam)
    n = np.arange(1, terms + 1)[:, None]
    k2 = (n * np.pi * lam / LENGTH) ** 2
    t = np.asarray(t)[None, :]
    series = np.exp(-t / tau) + 2 * np.sum(
        np.cos(n * np.pi * x / LENGTH) * np.exp(-(1 + k2) * t / tau) / (1 + k2), axis=0
    )
    return steady - CURRENT * ra * lam**2 / LENGTH * series


@pytest.mark.slow
def test_rallpack1_matches_the_analytic_cable_at_both_ends():
    n = 1000
    frame = dk.simulate(passive_cable(n), dk.Transient(0.25, preset="fast"))
    t = np.linspace(0.25 / 500, 0.25, 500)  # after the 1 us edge of the step
    dx = LENGTH / n
    for node, x in (("x0", 0.5 * dx), (f"x{n - 1}", LENGTH - 0.5 * dx)):
        simulated = np.interp(t, frame.index.to_numpy(), frame[f"v({node})"].to_numpy()) - REST
        exact = sealed_cable(x, t)
        error = np.sqrt(np.mean((simulated - exact) ** 2)) / np.sqrt(np.mean(exact**2))
        # Rallpack's criterion: 1% relative RMS of the deflection (measured: see bench)
        assert error < 0.01, (node, error)


def test_the_analytic_series_is_the_steady_state_and_starts_at_zero():
    # checks of the reference itself: V(x, 0) = 0, and V(x, t) -> the steady state
    x = np.array([0.0, LENGTH / 2, LENGTH])
    assert np.max(np.abs([sealed_cable(xi, [0.0])[0] for xi in x])) < 2e-4 * 0.17
    lam = np.sqrt(RM * DIAMETER / (4 * RA))
    steady = CURRENT * 4 * RA / (np.pi * DIAMETER**2) * lam / np.tanh(LENGTH / lam)
    assert sealed_cable(0.0, [10.0])[0] == pytest.approx(steady, rel=1e-12)


def test_a_cable_is_a_chain_of_compartments():
    c = cable("hh-squid", 1e-3, 1e-6, 10, 1.0)
    assert sorted(c.nodes, key=lambda n: int(n[1:])) == [f"x{i}" for i in range(10)]
    assert len([i for i in c.instances.values() if i.kind == "resistor"]) == 9
    segment = c.instances["c0"].device
    assert segment.area == pytest.approx(np.pi * 1e-6 * 1e-4, rel=1e-15)
    # one segment's axial resistance: R_a dx / (pi d^2 / 4)
    assert c.instances["ra0"].device.resistance == pytest.approx(1e-4 / (np.pi * 1e-12 / 4))
    with pytest.raises(InvalidInput, match="compartments"):
        cable("hh-squid", 1e-3, 1e-6, 0, 1.0)
    with pytest.raises(InvalidInput, match="per area"):
        cable("iontronic-neuron", 1e-3, 1e-6, 10, 1.0)


@functools.cache
def _axon_runs(compartments: int, tstop: float):
    """Rallpack 3's axon in ngspice (``fast``) and natively."""
    axon = hh_axon(compartments)
    spice = dk.simulate(axon, dk.Transient(tstop, preset="fast"))
    native = dk.simulate(axon, dk.Transient(tstop), backend="native")
    return spice, native


def _spikes(frame, node):
    return dk.spike_times(frame.index.to_numpy(), frame[f"v({node})"].to_numpy())


@pytest.mark.slow
@pytest.mark.scale  # 250 ms of a 100-compartment axon in ngspice and natively: 1 to 2 min
def test_hh_axon_fires_alike_in_ngspice_natively_and_in_the_reference_for_250_ms():
    # Rallpack 3's 250 ms, on the axon cut to 100 compartments: the 1000-compartment axon
    # takes ngspice 340 s for 250 ms (bench/bench_axon.py records it)
    spice, native = _axon_runs(100, 0.25)
    # the Rallpack start: -65 mV everywhere (not the axon's own rest)
    # ngspice starts from the given values (uic) and records from its first step, 10 ns; the
    # axon is not at rest at -65 mV, so V drifts by its ionic current, about 8 V/s x 10 ns
    assert spice.index[0] <= 1e-7
    assert spice["v(x50)"].iloc[0] == pytest.approx(-0.065, abs=1e-6)
    assert native["v(x50)"].iloc[0] == pytest.approx(-0.065, abs=1e-12)
    reference = spike_times_ms(100, 0.0025, 250.0)  # tests/cable_reference.py, dt 2.5 us
    for node, exact in zip(("x0", "x99"), reference, strict=True):
        ours, theirs = _spikes(spice, node), _spikes(native, node)
        # 0.1 nA drives a train: 18 spikes at x = 0 in 250 ms, 17 at the far end
        assert len(ours) == len(theirs) == len(exact) >= 15
        # the bound, 0.02 ms: measured 2026-12-03, ngspice to native 0.007 ms at
        # x = 0 and 0.010 ms at the far end; native to the reference 0.0006 ms
        np.testing.assert_allclose(ours, theirs, atol=2e-5, rtol=0)
        np.testing.assert_allclose(theirs, exact * 1e-3, atol=2e-5, rtol=0)


@pytest.mark.slow
def test_hh_axon_conduction_time_matches_an_independent_reference():
    # the full 1000-compartment axon over its first spike's conduction
    spice, native = _axon_runs(1000, 0.006)
    reference = np.subtract(*reversed(first_spikes_ms(1000, 0.005, 6.0))) * 1e-3
    for frame in (spice, native):
        conduction = _spikes(frame, "x999")[0] - _spikes(frame, "x0")[0]
        # the bound: 2% of the reference (2.7647 ms; measured: ngspice 2.7620 ms,
        # -0.1%)
        assert conduction == pytest.approx(reference, rel=0.02)


def test_the_reference_cable_has_converged_in_its_step():
    # Crank-Nicolson is second order: halving dt from 5 us moves the conduction time by
    # 1e-4 ms (measured: 2.76468 and 2.76458 ms), far below the 2% (55 us) it is used at
    coarse = np.subtract(*reversed(first_spikes_ms(1000, 0.005, 6.0)))
    fine = np.subtract(*reversed(first_spikes_ms(1000, 0.0025, 6.0)))
    assert coarse == pytest.approx(fine, rel=1e-3)
    # and it is a conduction time of the right size: Rallpack 3's 1 um axon conducts at
    # about 0.36 m/s at 6.3 degC (0.999 mm in 2.76 ms; NEURON gives the same within 1%)
    assert 2.0 < fine < 3.5


def test_a_cable_reports_its_conduction_and_draws_v_of_x_and_t(tmp_path):
    from devicekit.commands.circuits import _plot, _probes, circuit_summary

    axon = hh_axon(20)
    frame = dk.simulate(axon, dk.Transient(0.006), backend="native")
    cable = circuit_summary(axon, frame)["cable"]
    first = [_spikes(frame, n)[0] for n in ("x0", "x19")]
    assert cable["conduction_time_s"] == pytest.approx(first[1] - first[0], rel=1e-12)
    # velocity: the distance between the end compartments' centres, 19/20 mm, over that time
    assert cable["conduction_velocity_m_per_s"] * cable["conduction_time_s"] == pytest.approx(
        0.95e-3, rel=1e-12
    )
    assert list(_probes(axon, ())) == ["v(x0)", "v(x10)", "v(x19)"]
    assert _probes(axon, ["c3"]) == {"c3: v(x3, 0)": ("x3", "0")}
    with pytest.raises(InvalidInput, match="no node or instance"):
        _probes(axon, ["x20"])
    figure = _plot(axon, frame, _probes(axon, ()))
    image = figure.axes[1].get_images()[0].get_array()
    assert image.shape == (20, 800)  # one row per compartment, resampled evenly in time
    assert image.max() == pytest.approx(frame.filter(like="v(x").to_numpy().max() * 1e3, abs=2)


@pytest.mark.slow
@pytest.mark.scale
def test_hh_axon_1000_compartments_in_ngspice_agrees_with_native_for_250_ms():
    # the full case: 1000 compartments, 250 ms, ngspice at `balanced` (the `fast`
    # preset drifts to 0.033 ms by the 18th spike; bench/README.md). About 6 minutes (286 s
    # and 38 s on 2026-12-04), so it is marked `scale` and `make test` leaves it out: run it
    # with `make test-scale`
    axon = hh_axon(1000)
    spice = dk.simulate(axon, dk.Transient(0.25, preset="balanced"))
    native = dk.simulate(axon, dk.Transient(0.25), backend="native")
    for node in ("x0", "x999"):
        ours, theirs = _spikes(spice, node), _spikes(native, node)
        assert len(ours) == len(theirs) >= 15
        # the bound, 0.02 ms (measured 2026-12-03: ngspice 0.0045 ms and native
        # 0.0006 ms from the reference, so at most 0.0051 ms apart)
        np.testing.assert_allclose(ours, theirs, atol=2e-5, rtol=0)
