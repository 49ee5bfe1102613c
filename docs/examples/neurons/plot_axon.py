"""
An axon: a spike travels along a cable
======================================

``dk.circuits.cables.cable`` builds a sealed cable of any membrane with values per area:
here 100 compartments of hh-squid membrane over 1 mm of a 1 um axon (Rallpack 3's geometry,
at a tenth of its compartments), a step of 0.1 nA into one end. The spike's crossing of 0 V at
each node gives the conduction velocity.
"""

import matplotlib.pyplot as plt
import numpy as np

import devicekit as dk
from devicekit.circuits.cables import cable

axon = cable("hh-squid", 1e-3, 1e-6, 100, 1.0, current=1e-10)  # SI: m, m, -, ohm m, A
axon.start_at(-0.065)  # Rallpack starts every node at -65 mV, the gates at steady state
df = dk.simulate(axon, dk.Transient(0.008, preset="fast"))

nodes = [f"x{i}" for i in range(100)]
t = df.index.to_numpy()
first = np.array([dk.spike_times(t, df[f"v({n})"].to_numpy())[0] for n in nodes])
x = (np.arange(100) + 0.5) * 1e-5  # each node at its segment's centre [m]
speed = (x[-1] - x[0]) / (first[-1] - first[0])
print(
    f"conduction over {x[-1] - x[0]:.4f} m in {(first[-1] - first[0]) * 1e3:.3f} ms:",
    f"{speed:.3f} m/s",
)

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
for i in (0, 50, 99):
    left.plot(t * 1e3, df[f"v(x{i})"] * 1e3, label=f"x = {x[i] * 1e3:.2f} mm")
left.set_xlabel("time [ms]")
left.set_ylabel("V [mV]")
left.legend()
image = right.imshow(
    np.array([df[f"v({n})"].to_numpy() for n in nodes]) * 1e3,
    aspect="auto",
    origin="lower",
    extent=(t[0] * 1e3, t[-1] * 1e3, 0, 1.0),
    cmap="viridis",
)
right.set_xlabel("time [ms]")
right.set_ylabel("x [mm]")
fig.colorbar(image, ax=right, label="V [mV]")
fig.tight_layout()
