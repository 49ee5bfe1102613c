"""Ion pools and pumps (issue 15): concentrations as states, batteries that move, pumps as
elements, in ngspice and natively."""

import re
import subprocess
import tomllib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from devicekit import simulate
from devicekit.analyses import DCSweep, Transient
from devicekit.circuits import Circuit, CurrentSource
from devicekit.electrochem.activity import davies as davies_gamma
from devicekit.electrochem.constants import CODATA, thermal_voltage
from devicekit.electrochem.ghk import ghk_current_density
from devicekit.electrochem.resting import mullins_noda_potential
from devicekit.errors import DevicekitError, ModelCardError, SimulationError
from devicekit.export.writers import write_export
from devicekit.expr import evaluate
from devicekit.fit.transient import fit_transient
from devicekit.models.builtin import builtin_model
from devicekit.models.cards import card_text, parse_card
from devicekit.models.channels import OhmicChannel
from devicekit.models.membrane import Membrane
from devicekit.models.paths import apply_values, check_path
from devicekit.models.pools import Pool, Pump
from devicekit.models.stimuli import Pulse, VoltageClamp
from devicekit.native import steady_state
from devicekit.spice.compiler import spice_name
from devicekit.spice.rawfile import read_rawfile
from devicekit.spikes import spike_times
from tests.conftest import run_cli

FARADAY = CODATA.faraday


def _injected_charge(stimulus, t, tstop):
    """The charge a piecewise-linear current has injected by each time t [C]: trapezoids on
    a grid that holds every corner of the waveform, which is exact for such a waveform."""
    grid = np.union1d(t, stimulus.breakpoints(tstop))
    current = stimulus.value(grid)
    charge = np.concatenate([[0.0], np.cumsum(np.diff(grid) * (current[1:] + current[:-1]) / 2)])
    return np.interp(t, grid, charge)


@pytest.mark.parametrize("backend", ["spice", "native"])
def test_pump_leak_cell_conserves_charge(backend):
    # issue 15: C (V(t) - V(0)) = F sum_X z (n_X(t) - n_X(0)) + injected charge, at every
    # output time, to 1e-6 of the largest term over the run (measured: 5e-9 in ngspice at its
    # default reltol, 1.3e-10 natively)
    model = builtin_model("pump-leak-cell")
    pulse = Pulse(10e-12, delay=0.5, width=1.0, per_area=False)
    df = simulate(model, "tran", tstop=20.0, max_step=0.01, stimuli=[pulse], backend=backend)
    t = df.index.to_numpy()
    assert t[0] == 0.0 and t[-1] == pytest.approx(20.0)
    capacitor = model.total_capacitance * (df.v - df.v.iloc[0]).to_numpy()
    ions = sum(
        FARADAY * p.valence * p.volume * (df[p.name] - df[p.name].iloc[0]).to_numpy()
        for p in model.pools
    )
    injected = _injected_charge(pulse, t, 20.0)
    largest = max(np.abs(capacitor).max(), np.abs(ions).max(), np.abs(injected).max())
    assert largest == pytest.approx(1e-11, rel=1e-3)  # the 10 pA x 1 s pulse
    assert np.abs(capacitor - ions - injected).max() <= 1e-6 * largest
    # the pulse moved ions: Na_in fell and K_in rose by more than round-off
    assert df.Na_in.iloc[-1] < df.Na_in.iloc[0] - 1e-3 and df.K_in.iloc[-1] > df.K_in.iloc[0]


def test_pump_leak_steady_state_is_the_balanced_pump_of_electrochem():
    # issue 15: from its initial values to steady state with the conserved charge fixed; its
    # rest is the Mullins-Noda potential (devicekit.electrochem) of the final concentrations
    # to 0.01 mV, and the Na and K leaks balance the pump's 3:2 to 1e-9 relative
    model = builtin_model("pump-leak-cell")
    state = steady_state(model)
    k, na = (model.channels[0], model.channels[1])
    k_out, na_out, temperature = model.outside["K"], model.outside["Na"], model.temperature
    expected = mullins_noda_potential(
        k.permeability, na.permeability, state["K_in"], k_out, state["Na_in"], na_out, temperature
    )
    assert abs(state["v"] - expected) < 1e-5
    pump = model.pumps[0]
    na_in = state["Na_in"]
    i_pump = (
        pump.max_current
        * na_in**3
        / (na_in**3 + pump.km_na**3)
        * k_out**2
        / (k_out**2 + pump.km_k**2)
    )
    i_na = ghk_current_density(state["v"], na.permeability, na_in, na_out, 1, temperature)
    i_k = ghk_current_density(state["v"], k.permeability, state["K_in"], k_out, 1, temperature)
    assert i_na == pytest.approx(-3 * i_pump, rel=1e-9)
    assert i_k == pytest.approx(2 * i_pump, rel=1e-9)
    # the conserved quantity is the one the initial values hold
    start = model.resting_state()
    moved = FARADAY * model.pools[0].volume * sum(state[p] - start[p] for p in ("Na_in", "K_in"))
    charge = model.capacitance * model.area * (state["v"] - start["v"])
    assert abs(charge - moved) < 1e-9 * model.capacitance * model.area * 0.1
    # and the rest lies in the physiological range the issue asks for
    assert -0.090 < state["v"] < -0.060


def test_bath_potassium_step_relaxes_as_natively():
    # issue 15: from its steady state in 5 mM K+, the bath goes to 10 mM; ngspice follows the
    # native time course within 0.01 mV (measured: 2e-5 mV) to the new steady state
    model = builtin_model("pump-leak-cell")
    rest = steady_state(model)
    pools = tuple(replace(p, initial=rest[p.name]) for p in model.pools)
    stepped = replace(model, outside={**model.outside, "K": 10.0}, pools=pools)
    spice = simulate(stepped, "tran", tstop=3000.0, max_step=5.0)
    native = simulate(stepped, "tran", tstop=3000.0, max_step=5.0, backend="native")
    reference = np.interp(spice.index, native.index, native.v)
    assert np.abs(spice.v.to_numpy() - reference).max() < 1e-5
    # it has relaxed: 3000 s later it sits at the steady state of the new bath (0.01 mV)
    assert spice.v.iloc[-1] == pytest.approx(steady_state(stepped)["v"], abs=1e-5)
    assert spice.v.iloc[-1] - spice.v.iloc[0] > 3e-4  # it moved by more than the tolerance


@pytest.mark.parametrize("backend", ["spice", "native"])
def test_calcium_pool_under_clamp_follows_the_exponential(backend):
    # issue 15: a constant Ca2+ current (clamp at -20 mV, fixed 120 mV battery) into a pool
    # relaxing to its bath: Ca(t) = c_inf + (c0 - c_inf) exp(-t/tau) with
    # c_inf = bath - A I tau / (2 F Vol), to 1e-6 relative. ngspice needs reltol 1e-7 and a
    # 0.1 ms step for that (3e-7 measured); natively 8e-9.
    area, volume, tau, bath, g, battery, hold = 1e-9, 1e-15, 0.05, 1e-4, 1.0, 0.12, -0.02
    model = Membrane(
        name="ca-pool",
        capacitance=0.01,
        area=area,
        channels=(OhmicChannel("ca", g, reversal_potential=battery, ion="Ca"),),
        inside={"Ca": bath},
        outside={"Ca": 2.0},
        pools=(Pool("Ca", "inside", volume=volume, tau=tau, bath=bath),),
        stimuli=(VoltageClamp(hold),),
    )
    df = simulate(model, "tran", tstop=0.3, max_step=1e-4, reltol=1e-7, backend=backend)
    t = df.index.to_numpy()
    current = g * (hold - battery)  # outward density [A/m^2]: negative, Ca2+ flows in
    c_inf = bath - area * current * tau / (2 * FARADAY * volume)
    exact = c_inf + (bath - c_inf) * np.exp(-t / tau)
    assert c_inf > 300 * bath  # a real rise, not round-off
    assert np.abs(df.Ca_in.to_numpy() / exact - 1).max() < 1e-6


@pytest.fixture(scope="module")
def kacc_train():
    model = builtin_model("hh-squid-kacc")
    train = [Pulse(0.2)]  # 20 uA/cm2 for 200 ms
    spice = simulate(model, "tran", tstop=0.2, stimuli=train)
    native = simulate(model, "tran", tstop=0.2, stimuli=train, backend="native")
    plain = simulate("hh-squid", "tran", tstop=0.2, stimuli=train, backend="native")
    return spice, native, plain


def test_potassium_accumulates_alike_in_ngspice_and_natively(kacc_train):
    # issue 15: K_out and E_K over a 20 uA/cm2, 200 ms train agree within 0.01 mV (E_K, and
    # K_out by its Nernst equivalent), spike times within 0.02 ms; K_out rises in the train.
    # Measured at the default preset: 0.002 mV and 0.0017 ms.
    spice, native, _ = kacc_train
    ek = np.interp(native.index, spice.index, spice.E_k)
    assert np.abs(ek - native.E_k).max() < 1e-5
    k_out = np.interp(native.index, spice.index, spice.K_out)
    vt = thermal_voltage(builtin_model("hh-squid-kacc").temperature)
    assert (vt * np.abs(np.log(k_out / native.K_out))).max() < 1e-5
    s_spikes = spike_times(spice.index.to_numpy(), spice.v.to_numpy(), 0.0)
    n_spikes = spike_times(native.index.to_numpy(), native.v.to_numpy(), 0.0)
    assert len(s_spikes) == len(n_spikes) >= 15
    assert np.abs(s_spikes - n_spikes).max() < 2e-5
    # E_K starts at hh-squid's -77 mV and K_out rises by more than 5 mM over the train
    assert native.E_k.iloc[0] == pytest.approx(-0.077, abs=1e-12)
    assert native.K_out.max() - native.K_out.iloc[0] > 5.0
    # the battery column is the Nernst potential of the pool (in ngspice: the B-source node,
    # to Newton's tolerance: 6 nV measured)
    expected = vt * np.log(spice.K_out / 400.0)
    assert np.abs(spice.E_k - expected).max() < 1e-8


def test_accumulation_shortens_the_interspike_interval(kacc_train):
    # README's statement: as E_K rises the afterhyperpolarisation weakens and the cell reaches
    # threshold sooner, so the late interval is shorter than hh-squid's (10.94 vs 11.57 ms)
    _, native, plain = kacc_train
    late = np.diff(spike_times(native.index.to_numpy(), native.v.to_numpy(), 0.0))[-5:]
    fixed = np.diff(spike_times(plain.index.to_numpy(), plain.v.to_numpy(), 0.0))[-5:]
    assert late.mean() < fixed.mean() - 4e-4


def _nernst_membrane():
    """hh-squid-kacc with its Na battery from the squid's solutions (no reversal given): one
    battery fixed by the bath (a derived parameter) and one that moves with a pool."""
    model = builtin_model("hh-squid-kacc")
    channels = tuple(
        replace(c, reversal_potential=None) if c.name == "na" else c for c in model.channels
    )
    inside, outside = {**model.inside, "Na": 50.0}, {**model.outside, "Na": 440.0}
    return replace(model, name="squid-nernst", channels=channels, inside=inside, outside=outside)


def test_one_library_swept_over_temperature_gives_the_nernst_slope(tmp_path):
    # issue 15: the exported library, unchanged, at four temperatures (its temp_k parameter):
    # every battery is (kT/ze) ln(c_out/c_in) of that run's concentrations to 1e-9
    model = _nernst_membrane()
    library = tmp_path / "squid.lib"
    write_export(model, "spice", library)
    text = library.read_text()
    boltzmann_over_e = CODATA.boltzmann / CODATA.elementary_charge
    for temperature in (279.45, 290.0, 300.0, 310.15):
        netlist = tmp_path / f"t{temperature}.cir"
        netlist.write_text(
            f".include {library.name}\n.param tk={temperature!r}\n"
            f"x1 vm 0 {spice_name(model.name)} temp_k={{tk}}\n"
            ".options reltol=1e-9 vntol=1e-12\n.op\n.end\n"
        )
        subprocess.run(["ngspice", "-b", "-r", "out.raw", netlist.name], cwd=tmp_path,
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        raw = read_rawfile(tmp_path / "out.raw")
        slope = boltzmann_over_e * temperature
        e_na = raw["v(x1.na_e)"][0]
        assert e_na == pytest.approx(slope * np.log(440.0 / 50.0), rel=1e-9)
        k_out = raw["v(x1.k_out)"][0]
        assert raw["v(x1.k_e)"][0] == pytest.approx(slope * np.log(k_out / 400.0), rel=1e-9)
        assert library.read_text() == text  # one compiled library for every temperature


def test_temperature_override_from_python_moves_the_batteries():
    model = _nernst_membrane()
    warm = simulate(model, "op", backend="native", temperature=300.0)
    cold = simulate(model, "op", backend="native")
    assert not np.isclose(warm.v.iloc[0], cold.v.iloc[0], rtol=1e-3)
    battery = model.equations().batteries["na"]
    assert battery == pytest.approx(thermal_voltage(279.45) * np.log(440.0 / 50.0), rel=1e-12)


@pytest.mark.parametrize("name", ["pump-leak-cell", "hh-squid-kacc"])
def test_cards_with_pools_and_pumps_round_trip(name):
    model = builtin_model(name)
    text = card_text(model)
    assert "[[pool]]" in text or "pool = [" in text
    assert parse_card(tomllib.loads(text), "card") == model


def test_card_with_pool_and_pump_tables_is_read(tmp_path):
    card = """
devicekit = 1
[model]
name = "cell"
[membrane]
capacitance = "1uF/cm2"
area = "1000um2"
temperature = "37degC"
inside = { K = "140mM", Na = "15mM" }
outside = { K = "5mM", Na = "145mM" }
[[channels]]
name = "k"
kind = "ghk"
ion = "K"
permeability = "1e-6cm/s"
[[channels]]
name = "na"
kind = "ghk"
ion = "Na"
permeability = "5e-8cm/s"
[[pool]]
ion = "Na"
side = "inside"
depth = "1um"
[[pool]]
ion = "K"
volume = "1pL"
initial = "139mM"
[[pump]]
kind = "na-k-pump"
max_current = "1uA/cm2"
km_na = "10mM"
km_k = "1.5mM"
"""
    model = parse_card(tomllib.loads(card), "cell.toml")
    na, k = model.pools
    assert na.volume == pytest.approx(1e-6 * 1000e-12, rel=1e-15)  # depth x area
    assert na.initial == 15.0 and k.initial == 139.0 and k.volume == pytest.approx(1e-15)
    assert model.pumps[0].max_current == pytest.approx(1e-2)
    assert parse_card(tomllib.loads(card_text(model)), "again") == model
    both = card.replace('depth = "1um"', 'depth = "1um"\nvolume = "1pL"')
    with pytest.raises(ModelCardError, match="gives both volume and depth"):
        parse_card(tomllib.loads(both), "cell.toml")


def test_pool_parameters_are_paths_for_sweeps_and_set():
    # --set and sweeps reach pools and pumps by name; a shell follows the area
    model = builtin_model("hh-squid-kacc")
    assert check_path(model, "pools.K_out.tau") == pytest.approx(0.03)
    changed = apply_values(model, {"pools.K_out.depth": 60e-9, "area": 2e-4})
    assert changed.pools[0].volume == pytest.approx(60e-9 * 2e-4, rel=1e-15)
    pump = apply_values(builtin_model("pump-leak-cell"), {"pumps.na_k_pump.max_current": 0.02})
    assert pump.definition().values()["imax_na_k_pump"] == 0.02


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([{"ion": "K", "volume": 0.0}], "volume = 0.0 m^3 must be finite and > 0"),
        ([{"ion": "K", "volume": -1e-15}], "volume = -1e-15 m^3 must be finite and > 0"),
        ([{"ion": "K", "depth": 0.0}], "depth = 0.0 m must be finite and > 0"),
        ([{"ion": "Ca", "volume": 1e-15, "initial": 1e-4}], "no channel or pump carries Ca"),
        ([], "the na-k-pump moves Na, which has no pool"),
        ([{"ion": "K", "volume": 1e-15}] * 2, "pool K_in is given twice"),
    ],
)
def test_bad_pools_and_pumps_are_refused_by_name(pools, message):
    with pytest.raises(ModelCardError, match=re.escape(message)):
        base = builtin_model("pump-leak-cell")
        replace(base, pools=tuple(Pool(**p) for p in pools))


def test_pump_needs_its_constants():
    with pytest.raises(ModelCardError, match="give km_k"):
        Pump("na-k-pump", max_current=1e-2, km_na=10.0)
    with pytest.raises(ModelCardError, match="pump kind 'atpase' is unknown"):
        Pump("atpase")


@pytest.mark.parametrize("backend", ["spice", "native"])
def test_pool_driven_to_zero_is_reported_with_time_and_pool(backend):
    # issue 15: a constant outward Ca2+ current (clamp at +200 mV, fixed 120 mV battery)
    # empties a pool without relaxation at t* = 2 F Vol c0 / (A I) = 19.3 ms
    area, volume, c0, g = 1e-9, 1e-15, 1e-4, 1.0
    model = Membrane(
        name="emptied",
        capacitance=0.01,
        area=area,
        channels=(OhmicChannel("ca", g, reversal_potential=0.12, ion="Ca"),),
        inside={"Ca": c0},
        outside={"Ca": 2.0},
        pools=(Pool("Ca", "inside", volume=volume),),
        stimuli=(VoltageClamp(0.2),),
    )
    empty_at = 2 * FARADAY * volume * c0 / (area * g * 0.08)
    with pytest.raises(SimulationError, match=r"pool Ca_in .* fell to .* at t = ") as caught:
        simulate(model, "tran", tstop=0.05, max_step=1e-4, backend=backend)
    reported = float(str(caught.value).split("at t = ")[1].split(" s")[0])
    # natively the event's root (printed to 6 digits); ngspice: its first point past zero
    assert empty_at * (1 - 1e-5) <= reported <= empty_at + 2e-4


def test_spice_operating_point_of_conserved_pools_is_refused_clearly():
    with pytest.raises(DevicekitError, match="singular"):
        simulate("pump-leak-cell", "op")
    rest = simulate("pump-leak-cell", "op", backend="native")  # where the pools settle
    assert rest.Na_in.iloc[0] == steady_state(builtin_model("pump-leak-cell"))["Na_in"]
    # a pool that relaxes has an operating point: K+ leaking out at rest holds K_out above
    # its bath, equal to the native steady state (to Newton's tolerance of ngspice's .op)
    model = builtin_model("hh-squid-kacc")
    held = simulate(model, "op")
    expected = simulate(model, "op", backend="native").iloc[0]
    assert held.K_out.iloc[0] == pytest.approx(expected["K_out"], rel=1e-6)
    assert held.v.iloc[0] == pytest.approx(expected["v"], abs=1e-7)
    assert expected["K_out"] > model.outside["K"] + 0.1


def test_explicit_reversal_keeps_its_fixed_battery_but_feeds_the_pool():
    model = builtin_model("hh-squid-kacc")
    fixed = replace(
        model,
        channels=tuple(
            replace(c, reversal_potential=-0.077) if c.name == "k" else c for c in model.channels
        ),
    )
    assert "e_k" not in fixed.definition().moving and "e_k" in model.definition().moving
    df = simulate(fixed, "tran", tstop=0.03, stimuli=[Pulse(0.2)], backend="native")
    assert "E_k" not in df and df.K_out.max() > df.K_out.iloc[0] + 1.0


@pytest.mark.vacask
def test_pools_in_a_circuit_run_alike_in_ngspice_vacask_and_natively():
    # hh-squid-kacc placed in a circuit: its Verilog-A (a pool node, a moving battery) in
    # VACASK, its subcircuit in ngspice and the native circuit integrator agree on the spike
    # times within 0.02 ms (measured 0.3 us) and on K_out to 1e-4 relative over 50 ms
    circuit = Circuit("kacc")
    circuit.add("cell", builtin_model("hh-squid-kacc"), nodes=("a", "0"))
    circuit.add("stim", CurrentSource(Pulse(2e-5, per_area=False)), nodes=("0", "a"))
    runs = {
        backend: simulate(circuit, "tran", tstop=0.05, backend=backend)
        for backend in ("native", "spice", "vacask")
    }
    reference = runs.pop("native")
    expected = spike_times(reference.index.to_numpy(), reference["v(a)"].to_numpy(), 0.0)
    assert len(expected) >= 4
    for df in runs.values():
        spikes = spike_times(df.index.to_numpy(), df["v(a)"].to_numpy(), 0.0)
        assert len(spikes) == len(expected) and np.abs(spikes - expected).max() < 2e-5
        assert df["cell.K_out"].iloc[0] == pytest.approx(reference["cell.K_out"].iloc[0], rel=1e-15)
        k_out = np.interp(reference.index, df.index, df["cell.K_out"])
        assert np.abs(k_out / reference["cell.K_out"] - 1).max() < 1e-4


def test_neuroml_export_refuses_pools_instead_of_freezing_them(tmp_path):
    # NeuroML would get the batteries at their start values: a silent wrong answer, refused
    with pytest.raises(DevicekitError, match="ion pools or pumps"):
        write_export(builtin_model("hh-squid-kacc"), "neuroml", tmp_path / "kacc")
    assert not (tmp_path / "kacc").exists()


def test_activity_corrections_apply_where_the_membrane_asks():
    # 150 mM KCl outside, 15 mM KCl + 135 mM NaCl inside: equal ionic strengths (150 mM), so
    # the activities cancel; with 15 mM KCl alone inside they do not. Davies at 25 degC: a
    # monovalent ion at I = 150 mM has gamma = 0.760 (devicekit.electrochem.davies' docstring,
    # 3 digits); the battery is checked against devicekit.electrochem.davies at both ionic
    # strengths. The ionic strength counts the ions the solutions list.
    def membrane(activity):
        return Membrane(
            name="act",
            capacitance=0.01,
            area=1e-4,
            channels=(OhmicChannel("k", 10.0, ion="K"),),
            temperature=298.15,
            inside={"K": 15.0, "Na": 135.0, "Cl": 150.0},
            outside={"K": 150.0, "Cl": 150.0},
            pools=(Pool("K", "inside", volume=1e-12),),
            activity=activity,
        )

    vt = thermal_voltage(298.15)
    ideal = membrane("ideal").equations().batteries["k"]
    assert ideal == pytest.approx(vt * np.log(10.0), rel=1e-12)
    davies = membrane("davies")
    gamma = davies.activity_coefficients()
    assert gamma[("K", "outside")] == pytest.approx(0.760, abs=1e-3)
    assert gamma[("K", "inside")] == gamma[("K", "outside")]  # 150 mM inside too
    assert davies.equations().batteries["k"] == pytest.approx(ideal, rel=1e-3)
    skewed = replace(davies, inside={"K": 15.0, "Cl": 15.0})  # 15 mM ionic strength inside
    gamma_in, gamma_out = davies_gamma(15.0, 1, 298.15), davies_gamma(150.0, 1, 298.15)
    assert skewed.activity_coefficients()[("K", "inside")] == pytest.approx(gamma_in, rel=1e-12)
    expected = vt * np.log(gamma_out * 150.0 / (gamma_in * 15.0))
    assert skewed.equations().batteries["k"] == pytest.approx(expected, rel=1e-12)
    assert abs(expected - ideal) > 1e-3  # the correction is 3.9 mV here
    assert parse_card(tomllib.loads(card_text(skewed)), "again") == skewed
    with pytest.raises(ModelCardError, match="activity = 'debye' is unknown"):
        replace(davies, activity="debye")


def test_exported_library_alone_starts_its_pools_from_their_initial_values(tmp_path):
    # a hand-written transient of the bare library: the subcircuit holds its pools at their
    # initial values for the operating point (.ic inside it), so the run starts where
    # simulate's does, and follows the native run to 0.01 mV over a 10 pA, 1 s pulse
    # (measured 3.4 uV at 1 ms steps)
    model = builtin_model("pump-leak-cell")
    write_export(model, "spice", tmp_path / "cell.lib")
    (tmp_path / "user.cir").write_text(
        "* hand-written\n.include cell.lib\nX1 vm 0 pump_leak_cell\n"
        "I1 0 vm PULSE(0 1e-11 0.5 1e-6 1e-6 1 100)\n.options reltol=1e-6\n.tran 1m 5 0 1m\n.end\n"
    )
    subprocess.run(["ngspice", "-b", "-r", "out.raw", "user.cir"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    raw = read_rawfile(tmp_path / "out.raw")
    assert raw["v(x1.na_in)"][0] == 15.0 and raw["v(x1.k_in)"][0] == 140.0
    pulse = Pulse(1e-11, delay=0.5, width=1.0, edge=1e-6, per_area=False)
    native = simulate(model, "tran", tstop=5.0, max_step=0.01, stimuli=[pulse], backend="native")
    expected = np.interp(raw["time"], native.index, native.v)
    assert np.abs(raw["v(vm)"] - expected).max() < 1e-5


def _clamped_calcium(*pumps, tau=None):
    """A Ca2+ pool filled by a constant current (clamp at -20 mV, fixed 120 mV battery):
    1 A/m2 x 1e-9 m2 into 1 pL, 0.1 uM at the start."""
    return Membrane(
        name="ca-pumped",
        capacitance=0.01,
        area=1e-9,
        channels=(OhmicChannel("ca", 1.0 / 0.14, reversal_potential=0.12, ion="Ca"),),
        inside={"Ca": 1e-4},
        outside={"Ca": 2.0},
        pools=(Pool("Ca", "inside", volume=1e-15, tau=tau),),
        pumps=pumps,
        stimuli=(VoltageClamp(-0.02),),
    )


@pytest.mark.parametrize("backend", ["spice", "native"])
def test_calcium_pump_balances_the_influx_at_its_michaelis_menten_level(backend):
    # influx I = 1 A/m2 (inward) against I_max c/(c + K_m) with I_max = 2 A/m2 and K_m = 1 uM
    # (1e-3 mol/m3): the pool settles where I_max c/(c + K_m) = I, c = K_m I / (I_max - I) =
    # K_m. Both backends' operating points, and a 50 ms transient's end, to 1e-6 relative
    model = _clamped_calcium(Pump("calcium-pump", max_current=2.0, km_ca=1e-3))
    expected = 1e-3 * 1.0 / (2.0 - 1.0)
    op = simulate(model, "op", backend=backend)
    assert op.Ca_in.iloc[0] == pytest.approx(expected, rel=1e-6)
    run = simulate(model, "tran", tstop=0.05, max_step=1e-4, reltol=1e-7, backend=backend)
    assert run.Ca_in.iloc[0] == 1e-4 and run.Ca_in.iloc[-1] == pytest.approx(expected, rel=1e-6)
    # the pump's current is the membrane's too: outward, equal to the influx at the end
    assert -run.clamp_current.iloc[-1] == pytest.approx(0.0, abs=1e-6 * 1e-9)


@pytest.mark.parametrize("backend", ["spice", "native"])
def test_buffer_decays_like_a_relaxing_pool(backend):
    # a buffer (tau 20 ms to 0.1 uM) and a pool relaxing to its bath with the same constants
    # are the same equation: their runs agree to 1e-9 relative, in each backend
    buffered = _clamped_calcium(Pump("buffer", ion="Ca", tau=0.02, resting=1e-4))
    relaxing = _clamped_calcium(tau=0.02)
    a = simulate(buffered, "tran", tstop=0.1, max_step=1e-4, backend=backend)
    b = simulate(relaxing, "tran", tstop=0.1, max_step=1e-4, backend=backend)
    assert a.Ca_in.iloc[-1] > 100 * 1e-4  # it filled
    np.testing.assert_allclose(a.Ca_in.to_numpy(), b.Ca_in.to_numpy(), rtol=1e-9)


def test_sweep_over_a_pool_parameter(tmp_path, kacc_train):
    # sweeps reach pools by path: a slower drain of the periaxonal space piles up more K+, which
    # depolarises the axon into block (4 spikes in 200 ms at tau = 100 ms against 18 at 30 ms)
    out = tmp_path / "tau.csv"
    run_cli("sweep", "hh-squid-kacc", "--param", "pools.K_out.tau=10ms,30ms,100ms", "--stim",
            "20uA/cm2", "--tstop", "200ms", "--workers", "1", "--no-progress", "-o", str(out),
            check=True)  # fmt: skip
    table = pd.read_csv(out)
    counts = dict(zip(table["pools.K_out.tau"], table["spike_count"], strict=True))
    spice, _, _ = kacc_train  # tau = 30 ms is hh-squid-kacc itself: the same count
    assert counts[0.03] == len(spike_times(spice.index.to_numpy(), spice.v.to_numpy(), 0.0))
    assert counts[0.1] < counts[0.03] / 2


def test_verilog_a_pool_rate_and_battery_equal_numpy(tmp_path):
    # the exported module's d[K]_out/dt and K current (verilogae, OpenVAF's front end) equal
    # the numpy evaluation of the same equations to 1e-12 relative, over V, n and K_out
    import verilogae

    model = builtin_model("hh-squid-kacc")
    path = write_export(model, "verilog-a", tmp_path / "kacc.va")
    compiled = verilogae.load(str(path))
    eq = model.equations()
    v, n, k_out = np.meshgrid(
        np.linspace(-0.1, 0.05, 7), np.linspace(0.05, 0.95, 5), np.linspace(5.0, 60.0, 4)
    )
    v, n, k_out = v.ravel(), n.ravel(), k_out.ravel()
    voltages = {"br_vmref": v, "br_k_n": n, "br_k_out": k_out}
    env = {"v": v, "k_n": n, "K_out": k_out}
    params = {k: p.value for k, p in model.definition().parameters.items()}
    rate = compiled.functions["dxdt_k_out"].eval(temperature=300.0, voltages=voltages, **params)
    np.testing.assert_allclose(rate, evaluate(eq.derivatives["K_out"], env), rtol=1e-12)
    current = compiled.functions["i_k"].eval(temperature=300.0, voltages=voltages, **params)
    expected = model.area * evaluate(eq.channel_currents["k"], env)
    np.testing.assert_allclose(current, expected, rtol=1e-12, atol=1e-18)


@pytest.mark.vacask
def test_pump_leak_cell_in_a_circuit_alike_in_three_backends():
    # conserved pools in a circuit: ngspice holds them by the subcircuit's .ic for its
    # operating point, VACASK starts from devicekit's (uic); at 1 ms steps V within 0.02 mV
    # (measured 9 uV in both, at the pulse's end) and Na_in within 1e-6 relative (4e-9) of
    # the native run over a 10 pA pulse
    circuit = Circuit("cell")
    circuit.add("cell", builtin_model("pump-leak-cell"), nodes=("a", "0"))
    circuit.add("stim", CurrentSource(Pulse(1e-11, delay=0.5, width=1.0)), nodes=("0", "a"))
    analysis = Transient(5.0, max_step=1e-3)
    native = simulate(circuit, analysis, backend="native")
    for backend in ("spice", "vacask"):
        df = simulate(circuit, analysis, backend=backend)
        v = np.interp(native.index, df.index, df["v(a)"])
        assert np.abs(v - native["v(a)"]).max() < 2e-5, backend
        na = np.interp(native.index, df.index, df["cell.Na_in"])
        assert np.abs(na / native["cell.Na_in"] - 1).max() < 1e-6, backend
    assert native["v(a)"].max() - native["v(a)"].iloc[0] > 5e-3  # the pulse depolarised it


def test_fit_transient_reaches_a_pump_parameter():
    # pools and pumps are parameters like any other for fits: the pump's I_max from 5 s of a
    # pump-leak cell's V(t) around a 10 pA pulse with 1% noise, from a start 17% off
    model = builtin_model("pump-leak-cell")
    stimulus = Pulse(1e-11, delay=0.5, width=1.0, per_area=False)
    true = apply_values(model, {"pumps.na_k_pump.max_current": 0.012})
    clean = simulate(true, "tran", tstop=5.0, max_step=0.01, sample=0.005, stimuli=[stimulus],
                     backend="native")  # fmt: skip
    rng = np.random.default_rng(2)
    v = clean.v.to_numpy()
    data = pd.DataFrame(
        {
            "time": clean.index.to_numpy(),
            "voltage": v + 0.01 * np.ptp(v) * rng.standard_normal(v.size),
        }
    )
    path = "pumps.na_k_pump.max_current"
    result = fit_transient(model, data, [path], protocol=[stimulus])
    assert abs(result.values[path] - 0.012) < 3 * result.stderr[path]
    assert result.stderr[path] < 0.01 * 0.012


def test_dc_sweep_lets_the_pools_settle_alike_in_both_backends():
    # under a DC clamp each pool settles at every voltage (K_out of hh-squid-kacc where its
    # K current balances the drain to the bath): ngspice's .dc and the native backend agree
    # on the current to 1e-9 of its range and on K_out to 1e-9 relative (measured 3e-12 and
    # 2e-11); a pump-leak cell's DC sweep runs natively, and ngspice refuses it by name
    sweep = DCSweep(-0.1, 0.0, 0.01)
    native = simulate("hh-squid-kacc", sweep, backend="native")
    spice = simulate("hh-squid-kacc", sweep)
    span = np.ptp(native["current"])
    assert np.abs(native["current"] - spice["current"]).max() < 1e-9 * span
    assert np.abs(native["K_out"] / spice["K_out"] - 1).max() < 1e-9
    assert native["K_out"].iloc[-1] > native["K_out"].iloc[0]  # depolarised, more K+ out
    cell = simulate("pump-leak-cell", sweep, backend="native")
    assert (cell["Na_in"] > 0).all() and (cell["K_in"] > 0).all()
    with pytest.raises(DevicekitError, match="DC sweep of pools without relaxation"):
        simulate("pump-leak-cell", sweep)
