"""
NeuroML, run in NEURON
======================

``devicekit export hh-squid --format neuroml -o hh/`` writes a NeuroML 2 document (channels
with their Q10 settings, a cell, a network at the model's temperature) and, with ``--stim``
or ``--tstop``, a LEMS simulation file. pyNeuroML runs it in NEURON (the ``neuroml`` extra and
Java); jNeuroML validates the document first.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import devicekit as dk

folder = Path(tempfile.mkdtemp()) / "hh"
subprocess.run(
    [
        sys.executable,
        "-m",
        "devicekit",
        "export",
        "hh-squid",
        "--format",
        "neuroml",
        "-o",
        str(folder),
        "--stim",
        "10uA/cm2",
        "--tstop",
        "100ms",
    ],
    check=True,
    capture_output=True,
)
print(sorted(p.name for p in folder.iterdir()))

# pynml and NEURON's nrnivmodl live beside this Python; NEURON_HOME points jNeuroML at them
bin_dir = Path(sys.executable).parent
env = {**os.environ, "NEURON_HOME": str(bin_dir.parent), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
valid = subprocess.run(
    [str(bin_dir / "pynml"), "-validate", "hh_squid.net.nml"],
    cwd=folder,
    capture_output=True,
    text=True,
    env=env,
    timeout=600,
)
print(
    "jNeuroML:",
    "valid" if "All valid and no warnings" in valid.stdout + valid.stderr else "NOT valid",
)
run = subprocess.run(
    [str(bin_dir / "pynml"), "LEMS_hh_squid.xml", "-neuron", "-run", "-nogui"],
    cwd=folder,
    capture_output=True,
    text=True,
    env=env,
    timeout=600,
)
assert run.returncode == 0, (run.stdout + run.stderr)[-2000:]
data = np.loadtxt(folder / "hh_squid.v.dat")
theirs = dk.spike_times(data[:, 0], data[:, 1])

ours = dk.simulate("hh-squid", dk.Transient(0.1), stimuli=[dk.Pulse(0.1)])
mine = dk.spike_times(ours.index.to_numpy(), ours["v"].to_numpy())
print(
    f"NEURON: {theirs.size} spikes; ngspice: {mine.size}; first spikes "
    f"{theirs[0] * 1e3:.3f} and {mine[0] * 1e3:.3f} ms"
)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(data[:, 0] * 1e3, data[:, 1] * 1e3, label="NEURON (from NeuroML)")
ax.plot(ours.index * 1e3, ours["v"] * 1e3, "--", label="ngspice (simulate)")
ax.set_xlabel("time [ms]")
ax.set_ylabel("V [mV]")
ax.legend()
fig.tight_layout()
