"""An independent Hodgkin-Huxley reference for the tests: the equations of Hodgkin and Huxley,
J. Physiol. 117, 500 (1952), in the modern convention (rest at -65 mV), written with plain math
(no devicekit code), integrated by scipy's LSODA at rtol 1e-10, atol 1e-12.

Units: mV and ms (as printed in the literature); the stimulus is a step of ``amplitude`` uA/cm2
that ramps up over the first 1 us, the same waveform devicekit's Pulse gives ngspice."""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.integrate import solve_ivp


def _vtrap(x: float, y: float) -> float:
    """x / (exp(x/y) - 1) with its limit y at x = 0 (the HH 0/0 points)."""
    u = x / y
    return y if u == 0 else x / math.expm1(u)


def rates(v: float):
    am = 0.1 * _vtrap(-(v + 40.0), 10.0)
    bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    an = 0.01 * _vtrap(-(v + 55.0), 10.0)
    bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


def rhs(t, y, amplitude):
    v, m, h, n = y
    am, bm, ah, bh, an, bn = rates(v)
    stim = amplitude * min(t / 1e-3, 1.0)  # 1 us = 1e-3 ms ramp
    i_ion = 120.0 * m**3 * h * (v - 50.0) + 36.0 * n**4 * (v + 77.0) + 0.3 * (v + 54.387)
    return [stim - i_ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def rest_state():
    from scipy.optimize import brentq

    def steady(v):
        am, bm, ah, bh, an, bn = rates(v)
        m, h, n = am / (am + bm), ah / (ah + bh), an / (an + bn)
        return 120 * m**3 * h * (v - 50) + 36 * n**4 * (v + 77) + 0.3 * (v + 54.387), (m, h, n)

    v = brentq(lambda x: steady(x)[0], -70.0, -60.0, xtol=1e-14)
    return v, *steady(v)[1]


@functools.cache
def reference_spikes(amplitude: float = 10.0, tstop_ms: float = 1000.0) -> np.ndarray:
    """Upward 0 mV crossings [s] located by LSODA's event root finding."""
    y0 = list(rest_state())

    def crossing(t, y, amplitude):
        return y[0]

    crossing.direction = 1.0
    first = solve_ivp(
        rhs, (0.0, 1e-3), y0, method="LSODA", rtol=1e-10, atol=1e-12, args=(amplitude,)
    )
    rest = solve_ivp(
        rhs,
        (1e-3, tstop_ms),
        first.y[:, -1],
        method="LSODA",
        rtol=1e-10,
        atol=1e-12,
        args=(amplitude,),
        events=crossing,
    )
    return np.asarray(rest.t_events[0]) * 1e-3


def m3h_step(t, params, start: dict, g_max: float):
    """g(t) of an m^3 h conductance after a clamp step, each gate relaxing from its start:
    params = (m_inf, tau_m, h_inf, tau_h) [1, s, 1, s] (Hodgkin and Huxley 1952, eq. 14-16),
    written here apart from devicekit for the tests' independent fits."""
    m_inf, tau_m, h_inf, tau_h = params
    m = m_inf - (m_inf - start["m"]) * np.exp(-t / tau_m)
    h = h_inf - (h_inf - start["h"]) * np.exp(-t / tau_h)
    return g_max * m**3 * h
