"""Circuit cards (parsed, never executed) and circuits on the command line: `devicekit simulate`
and `devicekit export` of a circuit, and the exported netlist run in `ngspice -b`."""

import json
import subprocess
import tomllib

import numpy as np
import pytest

import devicekit as dk
from devicekit.circuits.builtin import hh_pair
from devicekit.circuits.cables import hh_axon
from devicekit.circuits.cards import circuit_card_text, load_circuit, parse_circuit_card
from devicekit.errors import ModelCardError
from devicekit.spice.rawfile import read_rawfile
from tests.conftest import run_cli

PAIR = """devicekit = 1

[circuit]
name = "pair"
nodes = ["a", "b"]
tstop = "30ms"

[[instances]]
name = "pre"
device = "hh-squid"
nodes = ["a", "0"]

[[instances]]
name = "post"
device = "hh-squid"
nodes = ["b", "0"]
set = { "k.conductance" = "30mS/cm2" }

[[instances]]
name = "syn"
device = "chemical-synapse"
nodes = ["a", "b", "0"]
set = { conductance = "0.5mS" }

[[instances]]
name = "gap"
device = "resistor"
nodes = ["a", "b"]
resistance = "1000MOhm"

[[instances]]
name = "stim"
device = "isource"
nodes = ["0", "a"]
waveform = { kind = "pulse", amplitude = "10uA", delay = "1ms", width = "1ms" }

[[instances]]
name = "hold"
device = "vsource"
nodes = ["c", "0"]
waveform = { kind = "dc", amplitude = "-65mV" }

[[instances]]
name = "load"
device = "capacitor"
nodes = ["c", "0"]
capacitance = "1pF"
"""


def _card(tmp_path, text=PAIR, name="pair.toml"):
    path = tmp_path / name
    path.write_text(text.replace('nodes = ["a", "b"]', 'nodes = ["a", "b", "c"]', 1))
    return path


def test_a_card_reads_into_the_circuit_it_describes(tmp_path):
    circuit, tstop = load_circuit(_card(tmp_path))
    assert tstop == pytest.approx(0.03, rel=1e-15)
    post = circuit.instances["post"].device
    assert post.definition().parameters["g_k"].value == 300.0  # 30 mS/cm2 in S/m2
    assert circuit.instances["syn"].device.conductance == pytest.approx(5e-4, rel=1e-15)
    assert circuit.instances["gap"].device.resistance == pytest.approx(1e9, rel=1e-15)
    assert circuit.instances["hold"].device.waveform.amplitude == pytest.approx(-0.065)
    # round trip: the card of the circuit reads back to the same circuit
    again, t2 = parse_circuit_card(tomllib.loads(circuit_card_text(circuit, tstop)), "again")
    assert again == circuit and t2 == tstop


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('nodes = ["b", "0"]', 'nodes = ["q", "0"]', "'q' are not declared"),
        ('nodes = ["a", "b", "0"]', 'nodes = ["a", "b"]', "3 pins"),
        ('"k.conductance" = "30mS/cm2"', '"k.colour" = "1"', "colour"),
        ('conductance = "0.5mS"', 'weight = "1"', "weight"),
        ('resistance = "1000MOhm"', 'resistance = "1000MV"', "resistance"),
        ('device = "resistor"', 'device = "fuse"', "fuse"),
        ('name = "gap"', 'name = "gap"\ncolour = "red"', "unknown key"),
        ('amplitude = "10uA"', "amplitude = \"__import__('os')\"", "10uA|unit|number"),
    ],
)
def test_bad_circuit_cards_are_refused(tmp_path, old, new, message):
    path = _card(tmp_path, PAIR.replace(old, new, 1))
    with pytest.raises((ModelCardError, dk.errors.InvalidInput), match=message):
        load_circuit(path)


def test_a_floating_node_and_a_voltage_source_loop_in_a_card(tmp_path):
    floating = PAIR.replace('nodes = ["c", "0"]\ncapacitance', 'nodes = ["c", "d"]\ncapacitance')
    text = floating.replace('["a", "b"]', '["a", "b", "d"]', 1)
    path = tmp_path / "f.toml"
    path.write_text(text.replace('nodes = ["a", "b", "d"]', 'nodes = ["a", "b", "c", "d"]', 1))
    circuit, _ = load_circuit(path)
    with pytest.raises(dk.errors.InvalidInput, match="floating"):
        circuit.check()
    loop = PAIR + '\n[[instances]]\nname = "hold2"\ndevice = "vsource"\nnodes = ["c", "0"]\n'
    loop += 'waveform = { kind = "dc", amplitude = "-60mV" }\n'
    circuit, _ = load_circuit(_card(tmp_path, loop, "loop.toml"))
    with pytest.raises(dk.errors.InvalidInput, match="loop of voltage sources"):
        circuit.check()


def test_cli_simulates_a_circuit_card_and_reports_each_instance(tmp_path):
    path = _card(tmp_path)
    result = run_cli("simulate", str(path), "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["instances"]) == {"pre", "post"}
    assert data["instances"]["pre"]["spike_count"] == 1
    assert data["instances"]["post"]["spike_count"] == 1
    assert data["first_spike_latency_s"]["post"] > 0
    bad = run_cli("simulate", str(path), "--stim", "1nA")
    assert bad.returncode == 2 and "apply to single models" in bad.stderr


def _ngspice_batch(netlist):
    """The vectors of ``ngspice -b`` run on ``netlist`` as it is, beside it."""
    result = subprocess.run(
        ["ngspice", "-b", "-r", "out.raw", netlist.name],
        cwd=netlist.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0 and "error" not in (result.stdout + result.stderr).lower()
    return read_rawfile(netlist.parent / "out.raw")


def test_exported_hh_pair_runs_unchanged_in_ngspice(tmp_path):
    netlist = tmp_path / "pair.cir"
    run_cli("export", "hh-pair", "--format", "spice", "-o", str(netlist), check=True)
    vectors = _ngspice_batch(netlist)
    frame = dk.simulate(hh_pair(), dk.Transient(0.05))
    for node in ("a", "b"):
        theirs = dk.spike_times(vectors["time"], vectors[f"v({node})"])
        ours = dk.spike_times(frame.index.to_numpy(), frame[f"v({node})"].to_numpy())
        assert len(theirs) == len(ours) == 1
        # the same netlist in ngspice -b and through PySpice: 0.01 ms (the bound)
        np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=0)


@pytest.mark.slow
@pytest.mark.scale  # the 1000-compartment axon in ngspice twice: 90 s to 3 min
def test_exported_axon_starts_from_its_given_values_in_ngspice(tmp_path):
    # a circuit started on every node (Rallpack's start) exports as a uic transient
    netlist = tmp_path / "axon.cir"
    run_cli("export", "hh-axon", "--format", "spice", "-o", str(netlist), "--tstop", "3ms",
            check=True)  # fmt: skip
    text = netlist.read_text()
    assert " uic" in text and "v(xc999.k_n)=" in text
    vectors = _ngspice_batch(netlist)
    assert vectors["v(x500)"][0] == pytest.approx(-0.065, abs=1e-6)  # no operating point
    frame = dk.simulate(hh_axon(), dk.Transient(0.003))
    for node in ("x0", "x300"):
        theirs = dk.spike_times(vectors["time"], vectors[f"v({node})"])
        ours = dk.spike_times(frame.index.to_numpy(), frame[f"v({node})"].to_numpy())
        assert len(theirs) == len(ours) == 1
        # the same netlist in ngspice -b and through PySpice: 0.01 ms
        np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=0)


def test_a_start_voltage_round_trips_through_a_card(tmp_path):
    text = PAIR.replace('tstop = "30ms"', 'tstop = "30ms"\nstart = "-65mV"')
    circuit, tstop = load_circuit(_card(tmp_path, text))
    assert circuit.start == {"a": -0.065, "b": -0.065, "c": -0.065}
    again, _ = parse_circuit_card(tomllib.loads(circuit_card_text(circuit, tstop)), "again")
    assert again == circuit


def test_cli_probe_names_a_node_or_instance_of_a_circuit(tmp_path):
    bad = run_cli("simulate", "hh-pair", "--probe", "c")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "--probe 'c'" in bad.stderr and "a, b, post, pre" in bad.stderr
    single = run_cli("simulate", "hh-squid", "--probe", "a")
    assert single.returncode == 2 and "a single model plots" in single.stderr
    figure = tmp_path / "pair.png"
    good = run_cli("simulate", "hh-pair", "--probe", "post", "--plot", str(figure), timeout=300)
    assert good.returncode == 0, good.stderr
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a single model's operating point runs in VACASK too (hh-squid's rest, -64.9964 mV, as
    # ngspice and the native backend give it); ion pools are refused there, in one line
    compiled = run_cli("simulate", "hh-squid", "--backend", "vacask", "--analysis", "op")
    assert compiled.returncode == 0 and "-64.996" in compiled.stdout, compiled.stderr
    refused = run_cli("simulate", "pump-leak-cell", "--backend", "vacask", "--analysis", "op")
    assert refused.returncode == 2 and "voltage clamp or ion pools" in refused.stderr
    assert refused.stderr.count("\n") == 1
    listed = run_cli("models")
    assert "hh-axon" in listed.stdout and "iontronic-neuron-circuit" in listed.stdout


def test_an_iontronic_synapse_round_trips_through_a_card():
    c = dk.Circuit("plastic")
    c.add("pre", dk.VoltageSource(dk.DC(1.0)), nodes=("a", "0"))
    c.add("post", dk.Resistor(1e6), nodes=("b", "0"))
    c.add("syn", "iontronic-synapse", nodes=("a", "b"), **{"cone.conductance": 5e-12})
    again, _ = parse_circuit_card(tomllib.loads(circuit_card_text(c, 0.01)), "again")
    assert again == c
    assert again.instances["syn"].device.channels[0].conductance == 5e-12
