"""Exported ngspice libraries start by themselves: a hand-written netlist that only includes a
library, instantiates it and adds a source finds rest in ``.op``, runs a transient from rest
that gives simulate()'s spikes, and couples two instances through a resistor. No devicekit
code touches these netlists: they run in ``ngspice -b``."""

import subprocess

import numpy as np
import pytest

from devicekit.analyses import Transient
from devicekit.export import write_export
from devicekit.models.builtin import BUILTIN_MODELS, builtin_model
from devicekit.models.stimuli import Pulse
from devicekit.native import steady_state
from devicekit.simulation import simulate
from devicekit.spice.compiler import spice_name
from devicekit.spice.rawfile import read_rawfile
from devicekit.spikes import spike_times


def _run(tmp_path, netlist: str) -> dict:
    (tmp_path / "user.cir").write_text(netlist)
    result = subprocess.run(
        ["ngspice", "-b", "-r", "out.raw", "user.cir"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "error" not in output.lower(), output
    return read_rawfile(tmp_path / "out.raw")


# a pump-leak cell's pools conserve their amount, so its .op is singular by its physics (every
# amount has a rest); its transient starts from the pools the library holds (test_pools.py)
@pytest.mark.parametrize("name", sorted(set(BUILTIN_MODELS) - {"pump-leak-cell"}))
def test_op_finds_rest_from_a_bare_include(name, tmp_path):
    model = builtin_model(name)
    write_export(model, "spice", tmp_path / "device.lib")
    vectors = _run(
        tmp_path,
        f"""* hand-written: the operating point of the library alone
.include device.lib
X1 vm 0 {spice_name(model.name)}
.op
.end
""",
    )
    # expected: devicekit's native rest (the stable zero of the steady-state current, found by
    # bisection to 1e-15 V; with ion pools, where they settle: dk.steady_state); tolerance
    # 0.1 mV, the acceptance bound
    rest = (steady_state(model) if model.pools else model.resting_state())["v"]
    assert float(np.asarray(vectors["v(vm)"])[0]) == pytest.approx(rest, abs=1e-4)


#: model -> (step amplitude [A], delay [s], tstop [s], max step [s], spike threshold [V]);
#: 10, 45 and 100 uA/cm2 on the 1 cm2 membranes (0.1, 0.45 and 1 A/m2 times 1e-4 m2)
TRANSIENTS = {
    "hh-squid": (1e-5, 5e-3, 0.05, 10e-6, 0.0),
    "morris-lecar": (4.5e-5, 5e-3, 0.3, 10e-6, 0.0),
    "morris-lecar-ii": (1e-4, 5e-3, 0.3, 10e-6, 0.0),
    "iontronic-neuron": (0.5e-12, 0.05, 1.0, 1e-4, 0.0),
}


def _step_netlist(model, name: str) -> str:
    """A hand-written netlist: a current step into the library, from its operating point."""
    amplitude, delay, tstop, step, _ = TRANSIENTS[name]
    return f"""* hand-written: a current step into the library, from its operating point
.include device.lib
X1 vm 0 {spice_name(model.name)}
I1 0 vm PULSE(0 {amplitude!r} {delay!r} 1e-06 1e-06 10 100)
.options reltol=1e-4
.tran {step!r} {tstop!r} 0 {step!r}
.end
"""


@pytest.mark.parametrize("name", sorted(TRANSIENTS))
def test_transient_from_rest_matches_simulate(name, tmp_path):
    model = builtin_model(name)
    amplitude, delay, tstop, step, threshold = TRANSIENTS[name]
    write_export(model, "spice", tmp_path / "device.lib")
    vectors = _run(tmp_path, _step_netlist(model, name))
    theirs = spike_times(vectors["time"], vectors["v(vm)"], threshold)
    frame = simulate(
        model,
        Transient(tstop, max_step=step),
        stimuli=[Pulse(amplitude, delay=delay, per_area=False)],
    )
    ours = spike_times(frame.index.to_numpy(), frame["v"].to_numpy(), threshold)
    assert len(ours) >= 1
    # the same spikes, each to 0.01 ms (the bound): the library and simulate's test
    # bench print the same definition, once with params: and once with numbers
    assert len(theirs) == len(ours)
    np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "name, resistance, amplitude, tstop, step",
    [("hh-squid", 100e6, 1e-5, 0.05, 10e-6), ("iontronic-neuron", 1e12, 0.5e-12, 1.0, 1e-4)],
)
def test_two_instances_joined_by_a_resistor(name, resistance, amplitude, tstop, step, tmp_path):
    model = builtin_model(name)
    sub = spice_name(model.name)
    write_export(model, "spice", tmp_path / "device.lib")
    vectors = _run(
        tmp_path,
        f"""* hand-written: two instances joined by a resistor; a step drives the first
.include device.lib
X1 a 0 {sub}
X2 b 0 {sub}
R1 a b {resistance!r}
I1 0 a PULSE(0 {amplitude!r} 0.005 1e-06 1e-06 10 100)
.options reltol=1e-4
.tran {step!r} {tstop!r} 0 {step!r}
.end
""",
    )
    rest = model.resting_state()["v"]
    v_a, v_b = np.asarray(vectors["v(a)"]), np.asarray(vectors["v(b)"])
    # both start at rest (the operating point of the pair, expected: the single cell's rest,
    # as no current flows between equal cells at rest)
    assert v_a[0] == pytest.approx(rest, abs=1e-4)
    assert v_b[0] == pytest.approx(rest, abs=1e-4)
    # the driven cell fires; the coupling current reaches the second cell (it depolarises),
    # and it is finite everywhere
    assert len(spike_times(vectors["time"], v_a, 0.0)) >= 1
    assert np.all(np.isfinite(v_b)) and v_b.max() > rest


@pytest.mark.parametrize("name", ["hh-squid", "iontronic-neuron"])
def test_ltspice_dialect_library_starts_by_itself_in_ngspice_lt_mode(name, tmp_path):
    # ngspice reads LTspice's if() in its LTspice compatibility mode (ngbehavior=ltpsa, set in
    # the .spiceinit of the folder it runs in): the LTspice library, unchanged, finds the same
    # rest and gives the same spikes as the ngspice library (LTspice itself does not run here)
    model = builtin_model(name)
    threshold = TRANSIENTS[name][-1]
    runs = {}
    for dialect in ("spice", "ltspice"):
        folder = tmp_path / dialect
        folder.mkdir()
        if dialect == "ltspice":
            (folder / ".spiceinit").write_text("set ngbehavior=ltpsa\n")
        write_export(model, dialect, folder / "device.lib")
        runs[dialect] = _run(folder, _step_netlist(model, name))
    lt, ng = runs["ltspice"], runs["spice"]
    assert lt["v(vm)"][0] == pytest.approx(model.resting_state()["v"], abs=1e-4)
    spikes = [spike_times(r["time"], r["v(vm)"], threshold) for r in (lt, ng)]
    assert len(spikes[0]) == len(spikes[1]) >= 1
    np.testing.assert_allclose(spikes[0], spikes[1], atol=1e-5, rtol=0)
