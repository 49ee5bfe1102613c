"""Nernst equilibrium potential, driving force and ohmic current.

Sign conventions (used throughout devicekit):

* the membrane potential is ``V_m = phi_in - phi_out``;
* outward current (positive charge leaving the cell) is positive;
* the driving force on ion i is ``V_m - E_i`` and its ohmic current is ``I_i = g_i (V_m - E_i)``.
"""

from __future__ import annotations

import numpy as np

from devicekit.arraytypes import ArrayLike, FloatOrArray
from devicekit.electrochem._checks import (
    check_concentration,
    check_finite,
    check_nonnegative,
    check_positive_coefficient,
    check_temperature,
    check_valence,
)
from devicekit.electrochem.constants import CODATA, Constants, _scalar, kt_over_e

__all__ = ["driving_force", "nernst_potential", "ohmic_current"]


def nernst_potential(
    c_in: ArrayLike,
    c_out: ArrayLike,
    z: ArrayLike,
    temperature: ArrayLike = 310.15,
    *,
    activity_coefficient_in: ArrayLike = 1.0,
    activity_coefficient_out: ArrayLike = 1.0,
    constants: Constants = CODATA,
    plausible: bool = True,
) -> FloatOrArray:
    r"""Nernst (equilibrium, reversal) potential of an ion species [V].

    .. math::

        E_i = \frac{R T}{z_i F} \ln\frac{a_\mathrm{out}}{a_\mathrm{in}},
        \qquad a = \gamma c

    It is the membrane potential ``phi_in - phi_out`` at which the Boltzmann distribution of the
    ion across the membrane, ``a_in / a_out = exp(-z e V / k_B T)``, holds, so that no net
    current of that ion flows.

    Parameters
    ----------
    c_in, c_out : array_like
        Concentration inside and outside [mol/m^3] (1 mM = 1 mol/m^3). Must be > 0.
    z : array_like
        Valence (charge number), non-zero: +1 for K+, +2 for Ca2+, -1 for Cl-.
    temperature : array_like
        Absolute temperature [K]. Default 310.15 K (37 degC).
    activity_coefficient_in, activity_coefficient_out : array_like
        Activity coefficients gamma [-], default 1 (ideal). See
        :mod:`devicekit.electrochem.activity` for the Debye-Hueckel and Davies estimates.
    constants : Constants
        Physical constants; default CODATA. Pass rounded textbook constants to reproduce a
        textbook's numbers.
    plausible : bool
        Warn (:class:`~devicekit.errors.ImplausibleValueWarning`) about a temperature below
        200 K or above 400 K, which is most likely degC given as K (default True).

    Returns
    -------
    float or numpy.ndarray
        E_i [V]; the arguments broadcast against each other.

    Raises
    ------
    InvalidInput
        For a concentration <= 0 or NaN, z = 0, or a temperature <= 0 K.

    Examples
    --------
    >>> round(nernst_potential(140.0, 5.0, 1, 310.15) * 1e3, 2)  # K+ in a mammalian neuron
    -89.06

    References
    ----------
    .. [1] B. Hille, *Ion Channels of Excitable Membranes*, 3rd ed., Sinauer (2001), ch. 1.
    .. [2] W. Nernst, "Die elektromotorische Wirksamkeit der Jonen", Z. Phys. Chem. 4, 129 (1889).
    """
    c_in = check_concentration(c_in, "c_in")
    c_out = check_concentration(c_out, "c_out")
    z = check_valence(z)
    temperature = check_temperature(temperature, plausible=plausible)
    gamma_in = check_positive_coefficient(activity_coefficient_in, "activity_coefficient_in")
    gamma_out = check_positive_coefficient(activity_coefficient_out, "activity_coefficient_out")
    thermal = kt_over_e(temperature, constants)
    # log of a ratio of products, written as a sum of logs so that extreme ratios do not overflow
    log_ratio = np.log(c_out) - np.log(c_in) + np.log(gamma_out) - np.log(gamma_in)
    return _scalar(thermal / z * log_ratio)


def driving_force(membrane_potential: ArrayLike, reversal_potential: ArrayLike) -> FloatOrArray:
    r"""Driving force on an ion, V_m - E_i [V].

    Positive driving force pushes positive charge outward (outward current is positive).
    """
    v = check_finite(membrane_potential, "membrane_potential", "V")
    e = check_finite(reversal_potential, "reversal_potential", "V")
    return _scalar(v - e)


def ohmic_current(
    conductance: ArrayLike, membrane_potential: ArrayLike, reversal_potential: ArrayLike
) -> FloatOrArray:
    r"""Ohmic (chord) current of a conductance in series with a Nernst battery.

    .. math:: I_i = g_i (V_m - E_i)

    Parameters
    ----------
    conductance : array_like
        Conductance [S], or conductance per area [S/m^2]; must be >= 0.
    membrane_potential : array_like
        V_m = phi_in - phi_out [V].
    reversal_potential : array_like
        E_i [V].

    Returns
    -------
    float or numpy.ndarray
        Current [A] (or current density [A/m^2]), outward positive.
    """
    g = check_nonnegative(conductance, "conductance", "S")
    return _scalar(g * driving_force(membrane_potential, reversal_potential))
