"""
Hodgkin and Huxley's voltage-clamp family
=========================================

``hh1952-fig6-sodium`` holds the experimental points of Hodgkin and Huxley's Fig. 6 (J.
Physiol. 117, 500, 1952): the sodium conductance after twelve clamp steps from rest, as
digitised by Daly et al. (2015). Fitted as they did, step by step with m^3 h and g_max held,
each step gives m_inf, h_inf and their time constants, hence the rates alpha and beta.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

import devicekit as dk

data = dk.datasets.load("hh1952-fig6-sodium")
data["voltage"] = -0.065 + data["depolarization"]  # hh-squid's convention: rest at -65 mV
with warnings.catch_warnings(record=True) as caught:  # the small steps are poorly determined
    warnings.simplefilter("always")
    result = dk.fit_hh_kinetics(
        data,
        gates={"m": 3, "h": 1},
        g_max=1200.0,
        start={"m": 0.0529, "h": 0.596},
        conductance="conductance_density",
    )
for w in caught:
    print("warning:", str(w.message)[:120])
print(result.table[["m_inf", "tau_m", "h_inf", "tau_h"]].round(5))

# %%
# With several gates the steps are fitted together: one fit of the whole family, its steps laid
# end to end in time (each at 1.1 times the longest trace), with a figure of it below.

joint = next(iter(result.steps.values()))
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(joint.x * 1e3, joint.y / 10, "o", ms=3, label="Hodgkin and Huxley (1952), Fig. 6")
fine = np.linspace(0.0, joint.x.max(), 4000)  # the fitted model between the measured points
ax.plot(fine * 1e3, joint.predict(fine) / 10, "-", lw=1, label="m^3 h fit, g_max 120 mS/cm2")
ax.set_xlabel("time, the twelve steps laid end to end [ms]")
ax.set_ylabel("g_Na [mS/cm2]")
ax.legend()
fig.tight_layout()
