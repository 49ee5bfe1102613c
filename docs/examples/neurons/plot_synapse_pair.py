"""
Two neurons joined by a synapse
===============================

A circuit places devices between named nodes (``"0"`` is ground). Here two hh-squid neurons
are joined by the kinetic excitatory synapse of Destexhe, Mainen and Sejnowski (1994); a 1 ms
pulse into the first makes it fire, and the synapse makes the second fire after it.
"""

import matplotlib.pyplot as plt

import devicekit as dk

c = dk.Circuit("pair")
c.add("pre", "hh-squid", nodes=("a", "0"))
c.add("post", "hh-squid", nodes=("b", "0"))
c.add("syn", "chemical-synapse", nodes=("a", "b", "0"), conductance=5e-4, reversal=0.0)
c.add("stim", dk.CurrentSource(dk.Pulse(1e-5, delay=1e-3, width=1e-3)), nodes=("0", "a"))
df = dk.simulate(c, dk.Transient(0.02))

pre = dk.spike_times(df.index.to_numpy(), df["v(a)"].to_numpy())
post = dk.spike_times(df.index.to_numpy(), df["v(b)"].to_numpy())
print(f"presynaptic spike at {pre[0] * 1e3:.3f} ms, postsynaptic at {post[0] * 1e3:.3f} ms")
print("columns:", ", ".join(df.columns[:8]), "...")

# %%
# Columns are node voltages ``v(<node>)``, states ``<instance>.<state>`` and currents
# ``i(<instance>)``. The synapse's open fraction ``syn.r`` rises with the presynaptic spike.

fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7, 5))
top.plot(df.index * 1e3, df["v(a)"] * 1e3, label="pre (a)")
top.plot(df.index * 1e3, df["v(b)"] * 1e3, label="post (b)")
top.set_ylabel("V [mV]")
top.legend()
bottom.plot(df.index * 1e3, df["syn.r"])
bottom.set_ylabel("synapse open fraction r")
bottom.set_xlabel("time [ms]")
fig.tight_layout()
