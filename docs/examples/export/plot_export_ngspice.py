"""
An ngspice library, run from a hand-written netlist
===================================================

``devicekit export hh-squid -o hh-squid.lib`` (or ``write_export`` in Python) writes one
``.subckt`` with the model's parameters as ``params:``. A designer includes it and
instantiates it like any subcircuit: here two neurons joined by a 100 Mohm gap junction, run
in ``ngspice -b`` with no devicekit code in the loop. The library starts by itself at rest.
The same library in the LTspice dialect runs in ngspice's PSpice-compatible mode.
"""

import subprocess
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import devicekit as dk
from devicekit.export import write_export
from devicekit.spice.rawfile import read_rawfile

folder = Path(tempfile.mkdtemp())
write_export(dk.load_model("hh-squid"), "spice", folder / "hh-squid.lib")
print((folder / "hh-squid.lib").read_text()[:600], "...")

# %%
# A netlist of our own: it only includes the library.

netlist = """* two hh-squid neurons and a gap junction
.include hh-squid.lib
X1 a 0 hh_squid
X2 b 0 hh_squid
R1 a b 100Meg
I1 0 a PULSE(0 10u 5m 1u 1u 1m 100)
.tran 10u 30m
.end
"""
(folder / "pair.cir").write_text(netlist)
done = subprocess.run(
    ["ngspice", "-b", "-r", "pair.raw", "pair.cir"],
    cwd=folder,
    capture_output=True,
    text=True,
    timeout=300,
)
assert done.returncode == 0, done.stdout + done.stderr
vectors = read_rawfile(folder / "pair.raw")
first = dk.spike_times(vectors["time"], vectors["v(a)"])
print(f"ngspice -b: neuron a fires at {first[0] * 1e3:.3f} ms")

# %%
# The check: ``simulate`` of the same stimulus on one neuron (the gap junction's 100 Mohm
# barely loads it) fires at the same time.

alone = dk.simulate(
    "hh-squid", dk.Transient(0.03), stimuli=[dk.Pulse(1e-5, delay=5e-3, width=1e-3, per_area=False)]
)
ours = dk.spike_times(alone.index.to_numpy(), alone["v"].to_numpy())
print(f"simulate: {ours[0] * 1e3:.3f} ms; difference {abs(ours[0] - first[0]) * 1e6:.1f} us")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(vectors["time"] * 1e3, vectors["v(a)"] * 1e3, label="v(a), ngspice -b")
ax.plot(vectors["time"] * 1e3, vectors["v(b)"] * 1e3, label="v(b), ngspice -b")
ax.plot(alone.index * 1e3, alone["v"] * 1e3, "--", label="simulate(), one neuron")
ax.set_xlabel("time [ms]")
ax.set_ylabel("V [mV]")
ax.legend()
fig.tight_layout()

# %%
# The LTspice dialect
# -------------------
# ``--format ltspice`` prints the same definition with LTspice's functions (``if()`` where
# ngspice has ``?:``). ngspice reads that dialect with ``set ngbehavior=psa``.

write_export(dk.load_model("hh-squid"), "ltspice", folder / "hh-lt.lib")
(folder / ".spiceinit").write_text("set ngbehavior=psa\n")
(folder / "lt.cir").write_text(netlist.replace("hh-squid.lib", "hh-lt.lib"))
done = subprocess.run(
    ["ngspice", "-b", "-r", "lt.raw", "lt.cir"],
    cwd=folder,
    capture_output=True,
    text=True,
    timeout=300,
)
assert done.returncode == 0, done.stdout + done.stderr
lt = read_rawfile(folder / "lt.raw")
print(
    f"LTspice dialect in ngspice (psa): first spike at "
    f"{dk.spike_times(lt['time'], lt['v(a)'])[0] * 1e3:.3f} ms"
)
