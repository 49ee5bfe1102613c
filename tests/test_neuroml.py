"""NeuroML 2 export, proven in the receiving tools: jNeuroML's schema validation, a LEMS run in
NEURON through pyNeuroML, and jNeuroML's own simulator (the ``neuroml`` extra and Java, which
``make test`` installs)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import devicekit as dk
from devicekit.export import export_text
from devicekit.export.neuroml import LEMS_STEP_MS
from devicekit.models.builtin import builtin_model
from tests.conftest import run_cli
from tests.hh_reference import reference_spikes

pytestmark = pytest.mark.neuroml
BIN = Path(sys.executable).parent


def _pynml(folder, *args, timeout=600):
    """pyNeuroML's command line in ``folder``; NEURON_HOME points jNeuroML at the venv's
    NEURON (its nrnivmodl), as the README says to."""
    env = {**os.environ, "NEURON_HOME": str(BIN.parent), "PATH": f"{BIN}:{os.environ['PATH']}"}
    done = subprocess.run([str(BIN / "pynml"), *args], cwd=folder, capture_output=True,
                          text=True, timeout=timeout, env=env)  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def hh_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nml") / "hh"
    run_cli("export", "hh-squid", "--format", "neuroml", "-o", str(folder), "--stim",
            "10uA/cm2", "--tstop", "1s", check=True)  # fmt: skip
    return folder


def test_the_exported_folder_passes_jneuromls_validation(hh_folder):
    assert sorted(p.name for p in hh_folder.iterdir()) == ["LEMS_hh_squid.xml", "hh_squid.net.nml"]
    out = _pynml(hh_folder, "-validate", "hh_squid.net.nml")
    assert "All valid and no warnings" in out
    text = (hh_folder / "hh_squid.net.nml").read_text()
    # q10Settings inside each gate, a gate-less leak, clean numbers, a cell and a network
    assert text.count("<q10Settings") == 3 and '<ionChannelHH id="leak"' in text
    assert 'experimentalTemp="6.3 degC"' in text and "000000001" not in text
    assert 'condDensity="120 mS_per_cm2"' in text and 'temperature="6.3 degC"' in text


def test_a_broken_document_fails_jneuromls_validation(tmp_path, hh_folder):
    # the validation above really checks: a wrong attribute fails it
    broken = tmp_path / "bad.nml"
    broken.write_text((hh_folder / "hh_squid.net.nml").read_text().replace("instances=", "copies="))
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    done = subprocess.run([str(BIN / "pynml"), "-validate", "bad.nml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert "All valid" not in done.stdout + done.stderr


def _spikes_of_a_run(tmp_path, hh_folder, *simulator):
    """Copy the exported folder, run its LEMS file with pynml ``simulator`` options, and
    return the spike times [s] of the V it records."""
    folder = tmp_path / "run"
    folder.mkdir()
    for path in hh_folder.iterdir():
        (folder / path.name).write_text(path.read_text())
    _pynml(folder, "LEMS_hh_squid.xml", *simulator, "-nogui")
    data = np.loadtxt(folder / "hh_squid.v.dat")
    return dk.spike_times(data[:, 0], data[:, 1])


@pytest.mark.slow
def test_the_lems_file_runs_in_neuron_and_gives_the_reference_spikes(tmp_path, hh_folder):
    # the step the README documents is the one the file sets
    assert f'step="{LEMS_STEP_MS:g}ms"' in (hh_folder / "LEMS_hh_squid.xml").read_text()
    ours = _spikes_of_a_run(tmp_path, hh_folder, "-neuron", "-run")
    exact = reference_spikes(10.0, 1000.0)  # tests/hh_reference.py, LSODA at 1e-10
    assert len(ours) == len(exact) == 69
    # issue 14, at the LEMS file's fixed step of 2.5 us: the first spike and the steady
    # interspike interval within 0.02 ms (measured: 0.007 ms and 0.012 ms; NEURON's fixed
    # step drifts 0.8 ms by the 69th spike, which the issue does not bound)
    assert abs(ours[0] - exact[0]) < 2e-5
    assert abs(np.diff(ours)[-1] - np.diff(exact)[-1]) < 2e-5


@pytest.mark.slow
def test_the_lems_file_runs_in_jneuromls_own_simulator(tmp_path, hh_folder):
    spikes = _spikes_of_a_run(tmp_path, hh_folder)
    assert abs(len(spikes) - 69) <= 1  # issue 14: the count within 1 (measured: 69)


def test_what_neuroml_cannot_express_is_refused_with_the_reason(tmp_path):
    with pytest.raises(dk.errors.InvalidInput, match="steady state and time constant"):
        export_text(builtin_model("morris-lecar"), "neuroml")
    with pytest.raises(dk.errors.InvalidInput, match="own units"):
        export_text(builtin_model("conical-memristor"), "neuroml")
    refused = run_cli("export", "morris-lecar", "--format", "neuroml", "-o", str(tmp_path / "m"))
    assert refused.returncode == 2 and not (tmp_path / "m").exists()
