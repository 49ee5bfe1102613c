"""
A conical fluidic memristor: physics against a smooth curve
===========================================================

``kamsma-conical-channel-ginf`` holds the steady-state conductance g_inf(V)/g0 of a conical
channel. Two fits: the physical model of Kamsma et al. (Delta_g, Pe and the radius ratio
free), and a four-parameter sigmoid, which devicekit turns into a memristor card of its own.
"""

import matplotlib.pyplot as plt

import devicekit as dk

data = dk.datasets.load("kamsma-conical-channel-ginf")
physical = dk.fit("conical", data)
smooth = dk.fit("sigmoid", data)
for result in (physical, smooth):
    print(
        f"{result.model.name}: RMSE {100 * result.relative_rmse:.2f}% of the data range, "
        f"R^2 {result.r_squared:.4f}"
    )
print(smooth.report())

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(data["voltage"], data.iloc[:, 1], "o", ms=3, label="measured")
ax.plot(physical.x, physical.predict(), label="conical (Kamsma et al.)")
ax.plot(smooth.x, smooth.predict(), "--", label="sigmoid")
ax.set_xlabel("voltage [V]")
ax.set_ylabel("g_inf / g0")
ax.legend()
fig.tight_layout()

# %%
# A memristor from the sigmoid
# ----------------------------
# ``memristor_from_sigmoid`` puts the fitted g_inf(V) into the conical memristor (its g0 and
# tau kept), and the device runs under a sine clamp: a pinched hysteresis loop.

from devicekit.models.builtin import memristor_from_sigmoid  # noqa: E402
from devicekit.models.stimuli import SineClamp  # noqa: E402

device = memristor_from_sigmoid(smooth.values)
loop = dk.simulate(device, dk.Transient(0.2, max_step=1e-4), stimuli=[SineClamp(1.5, 19.1)])
g0 = device.channels[0].conductance
current = g0 * loop["cone_x"] * loop["v"]
fig, ax = plt.subplots(figsize=(5, 4))
ax.plot(loop["v"], current * 1e12)
ax.set_xlabel("voltage [V]")
ax.set_ylabel("current [pA]")
fig.tight_layout()
