"""
An organic electrochemical transistor's transfer curve
======================================================

``bongartz-oect-transfer`` is a measured, hysteretic transfer curve of an OECT (Bongartz et
al., Nat. Commun. 15, 6819, 2024). The ``oect`` model (Bernards and Malliaras in Rivnay's form,
the doped fraction bounded to [0, 1]) is fitted to the forward sweep as it is; ``bistable-oect``
fits both directions at once from the doping free energy.
"""

import matplotlib.pyplot as plt

import devicekit as dk

data = dk.datasets.load("bongartz-oect-transfer")
print(data.columns.tolist(), len(data), "points")
forward = data[data["sweep"] == "forward"]
result = dk.fit("oect", forward)
print(result.report())

both = dk.fit("bistable-oect", data)
print(f"bistable-oect on both sweeps: RMSE {100 * both.relative_rmse:.2f}% of the range")

fig, ax = plt.subplots(figsize=(6, 4))
for direction, marker in (("forward", "o"), ("backward", "s")):
    part = data[data["sweep"] == direction]
    ax.plot(
        part["gate_voltage"],
        part["drain_current"] * 1e3,
        marker,
        ms=3,
        mfc="none",
        label=f"measured, {direction}",
    )
ax.plot(result.x, result.predict() * 1e3, "-", label="oect fit (forward)")
ax.set_xlabel("gate voltage [V]")
ax.set_ylabel("drain current [mA]")
ax.legend()
fig.tight_layout()
