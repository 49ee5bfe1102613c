"""Resting potential as a non-equilibrium steady state.

Three estimates are provided:

* :func:`chord_conductance_potential`: the ohmic current balance of conductances in series with
  Nernst batteries, optionally with a pump current;
* :func:`devicekit.electrochem.ghk_voltage`: the zero of the total GHK current;
* :func:`pump_resting_potential` and :func:`mullins_noda_potential`: the steady state in which an
  electrogenic Na/K pump (3 Na+ out for 2 K+ in) balances the Na+ and K+ leaks exactly.
"""

from __future__ import annotations

import numpy as np

from devicekit.arraytypes import ArrayLike, FloatOrArray
from devicekit.electrochem._checks import (
    check_concentration,
    check_finite,
    check_nonnegative,
    check_temperature,
)
from devicekit.electrochem.constants import CODATA, Constants, _scalar, kt_over_e
from devicekit.errors import InvalidInput

__all__ = ["chord_conductance_potential", "mullins_noda_potential", "pump_resting_potential"]


def chord_conductance_potential(
    conductance: ArrayLike, reversal_potential: ArrayLike, pump_current: ArrayLike = 0.0
) -> FloatOrArray:
    r"""Resting potential from the chord-conductance equation [V].

    The steady state of conductances g_i in series with batteries E_i, plus a pump current I_p
    (outward positive), is where the total current vanishes:

    .. math::

        \sum_i g_i (V - E_i) + I_p = 0
        \quad\Rightarrow\quad
        V = \frac{\sum_i g_i E_i - I_p}{\sum_i g_i}

    Without a pump V is a conductance-weighted mean of the E_i, so it lies between the extreme
    Nernst potentials. An outward pump current hyperpolarises the membrane by I_p / sum(g_i).

    Parameters
    ----------
    conductance : array_like
        g_i [S] or [S/m^2], one per pathway along the last axis; >= 0 and not all 0.
    reversal_potential : array_like
        E_i [V], one per pathway along the last axis.
    pump_current : array_like
        Net pump current I_p [A] or [A/m^2] (same area convention as ``conductance``), outward
        positive. A 3Na/2K pump carries one positive charge outward per cycle, so I_p > 0.

    Returns
    -------
    float or numpy.ndarray
        V [V].

    References
    ----------
    .. [1] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed. (2001), ch. 14.
    """
    g = check_nonnegative(conductance, "conductance", "S")
    e = check_finite(reversal_potential, "reversal_potential", "V")
    i_pump = check_finite(pump_current, "pump_current", "A")
    g, e = np.broadcast_arrays(g, e)
    total = np.sum(g, axis=-1)
    if np.any(total <= 0):
        raise InvalidInput(
            "conductance is 0 for every pathway, so the membrane potential is undefined; give at "
            "least one positive conductance"
        )
    return _scalar((np.sum(g * e, axis=-1) - i_pump) / total)


def pump_resting_potential(
    conductance_na: ArrayLike,
    conductance_k: ArrayLike,
    e_na: ArrayLike,
    e_k: ArrayLike,
    coupling_ratio: float = 1.5,
) -> FloatOrArray:
    r"""Steady state with a Na/K pump that balances the Na+ and K+ leaks [V].

    In a true steady state the pump extrudes the Na+ that leaks in and takes up the K+ that leaks
    out, at its stoichiometry r = Na/K = 3/2. With ohmic leaks, I_Na,leak = -3 J F and
    I_K,leak = 2 J F for a pump turnover J, so ``g_Na (V - E_Na) + r g_K (V - E_K) = 0`` and the
    pump current ``I_p = J F = g_K (V - E_K) / 2``. The two flux balances fix V:

    .. math:: V = \frac{g_{Na} E_{Na} + r g_K E_K}{g_{Na} + r g_K}

    and the total current ``I_Na + I_K + I_p`` then vanishes by construction, so any other,
    non-pumped ion (such as Cl-) must be passively distributed, at its Nernst potential V.

    Parameters
    ----------
    conductance_na, conductance_k : array_like
        Leak conductances of Na+ and K+ [S] or [S/m^2].
    e_na, e_k : array_like
        Nernst potentials [V].
    coupling_ratio : float
        Na+ extruded per K+ taken up, r (3/2 for the Na/K-ATPase); must be > 1 for an
        electrogenic pump.

    Returns
    -------
    float or numpy.ndarray
        V [V].

    References
    ----------
    .. [1] L. J. Mullins and K. Noda, "The influence of sodium-free solutions on the membrane
       potential of frog muscle fibers", J. Gen. Physiol. 47, 117 (1963).
       doi:10.1085/jgp.47.1.117
    """
    g_na = check_nonnegative(conductance_na, "conductance_na", "S")
    g_k = check_nonnegative(conductance_k, "conductance_k", "S")
    e_na = check_finite(e_na, "e_na", "V")
    e_k = check_finite(e_k, "e_k", "V")
    r = float(coupling_ratio)
    if not (np.isfinite(r) and r > 1):
        raise InvalidInput(
            f"coupling_ratio = {coupling_ratio!r} must be > 1 (3/2 for the Na/K pump); a ratio "
            "of 1 is electroneutral and needs no pump current"
        )
    if np.any(g_na + g_k <= 0):
        raise InvalidInput("conductance_na and conductance_k are both 0; give a positive value")
    # Na balance g_Na (V - E_Na) = -r J' and K balance g_K (V - E_K) = J' (J' = 2 J F for r = 3/2)
    return _scalar((g_na * e_na + r * g_k * e_k) / (g_na + r * g_k))


def mullins_noda_potential(
    permeability_k: ArrayLike,
    permeability_na: ArrayLike,
    k_in: ArrayLike,
    k_out: ArrayLike,
    na_in: ArrayLike,
    na_out: ArrayLike,
    temperature: ArrayLike = 310.15,
    coupling_ratio: float = 1.5,
    *,
    constants: Constants = CODATA,
) -> FloatOrArray:
    r"""GHK steady state with an electrogenic Na/K pump (Mullins-Noda equation) [V].

    .. math::

        V = \frac{RT}{F}\ln\frac{r P_K [K]_o + P_{Na}[Na]_o}{r P_K [K]_i + P_{Na}[Na]_i}

    with r = 3/2, the pump's Na:K stoichiometry. Compared with the plain GHK voltage the pump
    weights K+ by r and so hyperpolarises the membrane.

    Parameters
    ----------
    permeability_k, permeability_na : array_like
        Permeabilities [m/s] or relative permeabilities [-].
    k_in, k_out, na_in, na_out : array_like
        Concentrations [mol/m^3].
    temperature : array_like
        [K], default 310.15 K.
    coupling_ratio : float
        r, default 1.5.

    References
    ----------
    .. [1] L. J. Mullins and K. Noda, J. Gen. Physiol. 47, 117 (1963). doi:10.1085/jgp.47.1.117
    """
    p_k = check_nonnegative(permeability_k, "permeability_k", "m/s")
    p_na = check_nonnegative(permeability_na, "permeability_na", "m/s")
    concentrations = [
        check_concentration(c, name)
        for c, name in ((k_in, "k_in"), (k_out, "k_out"), (na_in, "na_in"), (na_out, "na_out"))
    ]
    k_in, k_out, na_in, na_out = concentrations
    temperature = check_temperature(temperature)
    r = float(coupling_ratio)
    if not (np.isfinite(r) and r > 0):
        raise InvalidInput(f"coupling_ratio = {coupling_ratio!r} must be > 0 (1.5 for Na/K)")
    thermal = kt_over_e(temperature, constants)
    numerator = r * p_k * k_out + p_na * na_out
    denominator = r * p_k * k_in + p_na * na_in
    return _scalar(thermal * (np.log(numerator) - np.log(denominator)))
