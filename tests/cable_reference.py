"""An independent reference for Rallpack 3's HH axon, written for the tests from the equations
alone (no devicekit code, and a different method from both of devicekit's backends).

The cable of ``n`` compartments (1 mm, 1 um diameter, R_a 100 Ohm cm, C_m 1 uF/cm2; HH 1952 at
6.3 degC with g_Na 120, g_K 36, leak 0.025 mS/cm2 at -65 mV), sealed at both ends, a 0.1 nA step
(1 us rise) into compartment 0, starting at -65 mV with every gate at its steady state there.

Method: the staggered Crank-Nicolson scheme of Hines (1984) as NEURON uses it with
``secondorder = 2``: the gates live at half steps and advance exactly over a step with their
rates frozen at V(t); V then advances by Crank-Nicolson with the conductances at the half step,
one tridiagonal solve per step. Second order in dt; ``conduction_ms(dt)`` and
``conduction_ms(dt / 2)`` agree to the order of dt^2 (the tests check it).

Units: mV, ms, cm, mS/cm2, uA/cm2.

M. Hines, "Efficient computation of branched nerve equations", Int. J. Bio-Med. Comput. 15, 69
(1984). doi:10.1016/0020-7101(84)90008-4
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.linalg import solve_banded

LENGTH_CM, DIAMETER_CM, RA_OHM_CM = 0.1, 1e-4, 100.0
G_NA, G_K, G_L, E_NA, E_K, E_L = 120.0, 36.0, 0.025, 50.0, -77.0, -65.0
CURRENT_NA = 0.1  # nA


def _vtrap(x, y):
    """x / (exp(x/y) - 1), with its limit y at x = 0."""
    u = x / y
    small = np.abs(u) < 1e-6
    safe = np.where(small, 1.0, u)
    return np.where(small, y * (1 - u / 2), x / np.expm1(safe))


def _rates(v):
    am = 0.1 * _vtrap(-(v + 40.0), 10.0)
    bm = 4.0 * np.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * np.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
    an = 0.01 * _vtrap(-(v + 55.0), 10.0)
    bn = 0.125 * np.exp(-(v + 65.0) / 80.0)
    return (am, bm), (ah, bh), (an, bn)


def _advance(x, ab, dt):
    """x after dt of dx/dt = a (1 - x) - b x with a, b constant: exact."""
    a, b = ab
    s = a + b
    inf = a / s
    return inf + (x - inf) * np.exp(-s * dt)


def _crossings(t, v):
    """Upward 0 mV crossings, interpolated linearly."""
    i = np.nonzero((v[:-1] < 0.0) & (v[1:] >= 0.0))[0]
    return t[i] + (0.0 - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


def first_spikes_ms(n: int = 1000, dt: float = 0.005, tstop: float = 10.0):
    """(first spike time at compartment 0, at compartment n - 1) [ms]."""
    return tuple(float(times[0]) for times in spike_times_ms(n, dt, tstop))


@functools.cache
def spike_times_ms(n: int = 1000, dt: float = 0.005, tstop: float = 10.0):
    """(spike times at compartment 0, at compartment n - 1) [ms]."""
    dx = LENGTH_CM / n
    area = np.pi * DIAMETER_CM * dx  # cm2
    g_axial = DIAMETER_CM / (4.0 * RA_OHM_CM * dx * dx) * 1e3  # mS/cm2 between neighbours
    stim = np.zeros(n)
    stim_density = CURRENT_NA * 1e-3 / area  # uA/cm2 in compartment 0
    # A = -(the coupling by neighbours), sealed ends: row i is lower[i] V[i-1] + diag[i] V[i]
    # + upper[i] V[i+1] (lower[0] and upper[-1] unused)
    lower = np.full(n, -g_axial)
    upper = np.full(n, -g_axial)
    diag = np.full(n, 2.0 * g_axial)
    diag[0] = diag[-1] = g_axial  # sealed ends: one neighbour
    v = np.full(n, -65.0)
    m_ab, h_ab, n_ab = _rates(v)
    m, h, k = (ab[0] / (ab[0] + ab[1]) for ab in (m_ab, h_ab, n_ab))
    steps = round(tstop / dt)
    t = np.arange(steps + 1) * dt
    v_first = np.empty(steps + 1)
    v_last = np.empty(steps + 1)
    v_first[0], v_last[0] = v[0], v[-1]
    # gates start half a step ahead (at dt/2), from their steady values at t = 0
    m, h, k = _advance(m, m_ab, dt / 2), _advance(h, h_ab, dt / 2), _advance(k, n_ab, dt / 2)
    for j in range(steps):
        g_na = G_NA * m**3 * h
        g_k = G_K * k**4
        g = g_na + g_k + G_L
        e = (g_na * E_NA + g_k * E_K + G_L * E_L) / g
        t_half = (j + 0.5) * dt
        stim[0] = stim_density * min(t_half / 1e-3, 1.0)  # the 1 us rise of the step
        # C (V1 - V0)/dt = -g ((V1 + V0)/2 - e) - A (V1 + V0)/2 + stim, C = 1 uF/cm2
        ab = np.zeros((3, n))
        ab[0, 1:] = 0.5 * upper[:-1]
        ab[1] = 1.0 / dt + 0.5 * (g + diag)
        ab[2, :-1] = 0.5 * lower[1:]
        av = diag * v
        av[1:] += lower[1:] * v[:-1]
        av[:-1] += upper[:-1] * v[1:]
        rhs = v / dt - 0.5 * (g * v + av) + g * e + stim
        v = solve_banded((1, 1), ab, rhs)
        m_ab, h_ab, n_ab = _rates(v)
        m, h, k = _advance(m, m_ab, dt), _advance(h, h_ab, dt), _advance(k, n_ab, dt)
        v_first[j + 1], v_last[j + 1] = v[0], v[-1]
    return _crossings(t, v_first), _crossings(t, v_last)
