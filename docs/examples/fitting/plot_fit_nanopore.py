"""
A DNA nanopore's I-V: an ohmic fit
==================================

The packaged data set ``howorka-dna-nanopore-iv`` is the measured current-voltage curve of a
DNA nanopore in a lipid bilayer. An ohmic pathway, I = g (V - E), is the simplest device
devicekit fits; every fit reports standard errors and 95% intervals, and is checked in ngspice.
"""

import matplotlib.pyplot as plt

import devicekit as dk

data = dk.datasets.load("howorka-dna-nanopore-iv")  # SI columns; metadata in .attrs
print(data.attrs["citation"] if "citation" in data.attrs else data.attrs.get("source", ""))
result = dk.fit("ohmic", data)
print(result.report())

# %%
# ``verify_in_spice`` compiles the fitted device, sweeps it in ngspice over the measured
# voltages, and compares with the numpy evaluation of the same model.

check = result.verify_in_spice()
print(f"ngspice against numpy: largest deviation {check['relative']:.1e} of the data range")

fig, (top, bottom) = plt.subplots(
    2, 1, sharex=True, figsize=(6, 5), gridspec_kw={"height_ratios": [3, 1]}
)
top.plot(result.x * 1e3, result.y * 1e12, "o", label="measured")
top.plot(result.x * 1e3, result.predict() * 1e12, "-", label="ohmic fit")
top.set_ylabel("current [pA]")
top.legend()
bottom.plot(result.x * 1e3, (result.y - result.predict()) * 1e12, "o")
bottom.axhline(0, color="grey", lw=0.8)
bottom.set_xlabel("voltage [mV]")
bottom.set_ylabel("residual [pA]")
fig.tight_layout()

# %%
# The fitted device is a model card that loads, simulates and exports like a built-in:
# ``result.to_card()`` (or ``devicekit fit howorka-dna-nanopore-iv --model ohmic --out
# pore.toml``).

print(result.to_card()[:400])
