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

fig, ax = plt.subplots(figsize=(6, 4.5))
for step in result.steps.values():
    t = np.linspace(0, step.x.max(), 200)
    (line,) = ax.plot(step.x * 1e3, step.y / 10, "o", ms=3)  # S/m^2 -> mS/cm^2
    ax.plot(t * 1e3, step.predict(t) / 10, "-", color=line.get_color())
ax.set_xlabel("time after the step [ms]")
ax.set_ylabel("g_Na [mS/cm2]")
fig.tight_layout()
