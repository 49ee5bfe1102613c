"""
First steps: a Nernst potential, a simulation, a fit and an export
==================================================================

The four things of :doc:`/getting-started`, run. Everything is in SI units: volts, amperes,
siemens, seconds, kelvin and mol/m^3 (1 mM = 1 mol/m^3).
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import devicekit as dk
from devicekit.export import write_export

# %%
# A Nernst potential
# ------------------
# K+ at 140 mM inside and 5 mM outside, at 37 degC. The GHK voltage of several ions with
# relative permeabilities (Hodgkin and Katz's squid axon, 6.3 degC) follows the same way.

e_k = dk.nernst_potential(140.0, 5.0, z=1, temperature=310.15)
print(f"E_K = {e_k * 1e3:.2f} mV")
v_rest = dk.ghk_voltage([1, 0.04, 0.45], [400, 50, 40], [20, 440, 560], [1, 1, -1], 279.45)
print(f"GHK voltage of the squid axon: {v_rest * 1e3:.2f} mV")

# %%
# A simulation
# ------------
# hh-squid under 10 uA/cm2 (0.1 A/m^2), compiled to an ngspice subcircuit and run through
# PySpice. The result is a DataFrame indexed by time.

df = dk.simulate("hh-squid", dk.Transient(0.05), stimuli=[dk.Pulse(0.1)])
spikes = dk.spike_times(df.index.to_numpy(), df["v"].to_numpy())
print(f"{spikes.size} spikes in 50 ms, the first at {spikes[0] * 1e3:.3f} ms")
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(df.index * 1e3, df["v"] * 1e3)
ax.set_xlabel("time [ms]")
ax.set_ylabel("V [mV]")
fig.tight_layout()

# %%
# A fit
# -----
# The packaged DNA-nanopore I-V, fitted by a conductance in series with a battery, then
# checked in ngspice.

result = dk.fit("ohmic", dk.datasets.load("howorka-dna-nanopore-iv"))
print(result.report())
print(f"ngspice check: {result.verify_in_spice()['relative']:.1e} of the data range")

# %%
# An export
# ---------
# The same neuron as an ngspice library and as a Verilog-A module; the format follows from the
# extension on the command line (``devicekit export hh-squid -o hh_squid.va``).

folder = Path(tempfile.mkdtemp())
for name in ("hh-squid.lib", "hh_squid.va"):
    fmt = "spice" if name.endswith(".lib") else "verilog-a"
    path = write_export(dk.load_model("hh-squid"), fmt, folder / name)
    print(f"{path.name}: {len(path.read_text().splitlines())} lines")
