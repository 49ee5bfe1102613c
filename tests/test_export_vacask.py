"""``devicekit export --format vacask``: a folder that runs as it is in the receiving tools.
The tests compile each exported Verilog-A module with openvaf-r and run the netlist in VACASK,
as a designer would, then compare with the literature reference and with ``simulate``."""

import subprocess

import numpy as np
import pytest

import devicekit as dk
from devicekit.circuits.builtin import builtin_circuit
from devicekit.export.vacask import tools
from devicekit.models.builtin import BUILTIN_MODELS, builtin_model
from devicekit.spice.rawfile import read_rawfile
from tests.conftest import run_cli
from tests.hh_reference import reference_spikes

pytestmark = pytest.mark.vacask


def _run_folder(folder):
    """openvaf-r on every .va in ``folder``, then vacask on its .sim: the rawfile's vectors."""
    vacask, openvaf = tools()
    for source in sorted(folder.glob("*.va")):
        done = subprocess.run([str(openvaf), source.name], cwd=folder, capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "warning" not in (done.stdout + done.stderr).lower()
    (netlist,) = folder.glob("*.sim")
    done = subprocess.run([str(vacask), netlist.name], cwd=folder, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return read_rawfile(folder / "tran1.raw")


@pytest.mark.slow
def test_hh_squid_exported_for_vacask_gives_the_reference_spikes(tmp_path):
    folder = tmp_path / "hh"
    run_cli("export", "hh-squid", "--format", "vacask", "-o", str(folder), "--stim",
            "10uA/cm2", "--tstop", "1s", check=True)  # fmt: skip
    assert sorted(p.name for p in folder.iterdir()) == ["hh_squid.sim", "hh_squid.va"]
    vectors = _run_folder(folder)
    ours = dk.spike_times(vectors["time"], vectors["vm"])
    exact = reference_spikes(10.0, 1000.0)  # tests/hh_reference.py: 69 spikes, LSODA 1e-10
    assert len(ours) == len(exact) == 69
    # issue 14: every spike within 0.02 ms at 10 us (measured 2026-12-03: 0.0029 ms)
    np.testing.assert_allclose(ours, exact, atol=2e-5, rtol=0)


def test_a_circuit_exported_for_vacask_runs_as_simulate_does(tmp_path):
    folder = tmp_path / "neuron"
    run_cli("export", "iontronic-neuron-circuit", "--format", "vacask", "-o", str(folder),
            "--tstop", "0.2s", check=True)  # fmt: skip
    vectors = _run_folder(folder)
    frame = dk.simulate(builtin_circuit("iontronic-neuron-circuit"), dk.Transient(0.2))
    # one spike of the iontronic neuron (two cone modules), both at the accurate preset's
    # 0.8 ms steps: its upstroke through 0.5 V within 0.1 ms of ngspice's (measured 34 us; the
    # flat peak's sample moves by a step) and its peak within 1 mV (measured 0.07 mV)
    ours = dk.spike_times(vectors["time"], vectors["m"], 0.5)
    theirs = dk.spike_times(frame.index.to_numpy(), frame["v(m)"].to_numpy(), 0.5)
    assert ours.size == theirs.size == 1
    assert ours[0] == pytest.approx(theirs[0], abs=1e-4)
    assert vectors["m"].max() == pytest.approx(frame["v(m)"].max(), abs=1e-3)


def test_vacask_export_refuses_what_would_be_lost_or_misread(tmp_path):
    folder = tmp_path / "hh"
    run_cli("export", "hh-squid", "--format", "vacask", "-o", str(folder), check=True)
    again = run_cli("export", "hh-squid", "--format", "vacask", "-o", str(folder))
    assert again.returncode == 2 and "--force" in again.stderr  # nothing is overwritten
    wrong = run_cli("export", "conical-memristor", "--format", "vacask", "-o",
                    str(tmp_path / "c"), "--stim", "10uA/cm2")  # fmt: skip
    assert wrong.returncode == 2 and "takes a current (1nA)" in wrong.stderr
    stim = run_cli("export", "hh-squid", "--format", "spice", "-o", str(tmp_path / "x.lib"),
                   "--stim", "1nA")  # fmt: skip
    assert stim.returncode == 2 and "--format vacask" in stim.stderr


def test_hh_pair_exported_for_vacask_gives_simulates_spikes(tmp_path):
    folder = tmp_path / "pair"
    run_cli("export", "hh-pair", "--format", "vacask", "-o", str(folder), check=True)
    assert sorted(p.name for p in folder.glob("*.va")) == ["dk_chemical_synapse.va", "hh_squid.va"]
    vectors = _run_folder(folder)
    frame = dk.simulate(builtin_circuit("hh-pair"), dk.Transient(0.05))
    for node in ("a", "b"):
        theirs = dk.spike_times(vectors["time"], vectors[node])
        ours = dk.spike_times(frame.index.to_numpy(), frame[f"v({node})"].to_numpy())
        assert len(theirs) == len(ours) == 1
        # issue 14: within 0.02 ms (measured 0.13 us)
        np.testing.assert_allclose(theirs, ours, atol=2e-5, rtol=0)


# (models with ion pools start away from equilibrium, with their pools at their initial values:
# their VACASK runs are checked against ngspice in tests/test_pools.py)
@pytest.mark.parametrize("name", sorted(n for n in BUILTIN_MODELS if not builtin_model(n).pools))
def test_every_built_in_model_exported_for_vacask_rests_where_simulate_does(name, tmp_path):
    # each module compiled by openvaf-r without a warning; the netlist starts VACASK at
    # devicekit's operating point (VACASK's own op finds Morris-Lecar's unstable equilibrium
    # at -9.5 mV), and the compiled module must hold it: after 5 ms, V and every state are
    # still at devicekit's rest, which only an equilibrium of the same equations does
    folder = tmp_path / name
    run_cli("export", name, "--format", "vacask", "-o", str(folder), "--tstop", "5ms",
            check=True)  # fmt: skip
    vectors = _run_folder(folder)
    rest = dk.simulate(name, "op")
    assert vectors["time"][-1] == pytest.approx(5e-3, rel=1e-9)
    for at in (0, -1):
        assert vectors["vm"][at] == pytest.approx(rest["v"].iloc[0], abs=1e-6)
        for state in rest.columns.drop("v"):
            simulated = vectors[f"x1:{state.lower()}"][at]
            assert simulated == pytest.approx(rest[state].iloc[0], abs=1e-6)
