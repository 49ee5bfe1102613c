"""
A Hodgkin-Huxley neuron in ngspice
==================================

``hh-squid`` is the squid giant axon of Hodgkin and Huxley (1952) on 1 cm2 of membrane at
6.3 degC. devicekit compiles it into an ngspice subcircuit (a capacitor, and per channel a
behavioural conductance in series with its battery) and runs it through PySpice. The same
equations integrated by scipy (``backend="native"``) are the check.
"""

import matplotlib.pyplot as plt
import numpy as np

import devicekit as dk

stimulus = dk.Pulse(0.1, delay=0.005)  # 0.1 A/m^2 = 10 uA/cm2 from 5 ms on
spice = dk.simulate("hh-squid", dk.Transient(0.1), stimuli=[stimulus])
native = dk.simulate("hh-squid", dk.Transient(0.1), stimuli=[stimulus], backend="native")

t_spice = dk.spike_times(spice.index.to_numpy(), spice["v"].to_numpy())
t_native = dk.spike_times(native.index.to_numpy(), native["v"].to_numpy())
print(f"{t_spice.size} spikes in 100 ms; first at {t_spice[0] * 1e3:.3f} ms")
print(
    "largest spike-time difference ngspice - scipy:",
    f"{np.abs(t_spice - t_native).max() * 1e6:.2f} us",
)

# %%
# The columns are the membrane potential and the gates, in SI, indexed by time in seconds.

fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7, 5))
top.plot(spice.index * 1e3, spice["v"] * 1e3, label="ngspice")
top.plot(native.index * 1e3, native["v"] * 1e3, "--", label="scipy (native)")
top.set_ylabel("V [mV]")
top.legend(loc="upper right")
for gate in ("na_m", "na_h", "k_n"):
    bottom.plot(spice.index * 1e3, spice[gate], label=gate)
bottom.set_xlabel("time [ms]")
bottom.set_ylabel("gate")
bottom.legend(loc="upper right")
fig.tight_layout()

# %%
# The f-I curve
# -------------
# ``fi_curve`` steps the current and reports the rate from the last interspike interval.
# Hodgkin and Huxley's axon has a type II onset: from silence it jumps straight to a rate
# of tens of hertz, where a type I neuron (Morris-Lecar's first set) starts from zero.

fi = dk.fi_curve("hh-squid", np.linspace(0.0, 0.2, 11), duration=0.2, preset="fast")
print(fi)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(fi.index * 100, fi["rate_hz"], "o-")  # A/m^2 -> uA/cm2
ax.set_xlabel("step current [uA/cm2]")
ax.set_ylabel("rate [Hz]")
fig.tight_layout()
