"""
An iontronic neuron from two fluidic memristors
===============================================

After Kamsma et al. (PRL 130, 268401, 2023): a 1 fF capacitor in parallel with a fast conical
channel behind a +6 V battery (excitatory) and twelve slow ones behind -4 V (restoring). Each
cone's conductance relaxes to its voltage-dependent steady state g_inf(V) with tau = L^2/(12 D),
like a Hodgkin-Huxley gate. The device works in its own units: currents in A, not A/m^2.
"""

import matplotlib.pyplot as plt

import devicekit as dk

model = dk.load_model("iontronic-neuron")
print(model.description)
fig, ax = plt.subplots(figsize=(7, 3.5))
for amplitude in (0.08e-12, 0.3e-12):  # below and above the 0.117 pA threshold of a 20 ms pulse
    pulse = dk.Pulse(amplitude, delay=5e-3, width=20e-3, per_area=False)
    df = dk.simulate(model, dk.Transient(0.3), stimuli=[pulse])
    spikes = dk.spike_times(df.index.to_numpy(), df["v"].to_numpy(), 0.5)
    print(f"{amplitude * 1e12:.2f} pA for 20 ms: {spikes.size} spike(s)")
    ax.plot(df.index * 1e3, df["v"], label=f"{amplitude * 1e12:.2f} pA")
ax.set_xlabel("time [ms]")
ax.set_ylabel("V [V]")
ax.legend()
fig.tight_layout()
