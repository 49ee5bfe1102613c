"""Physical constants (CODATA 2018, exact in the 2019 SI) and the thermal voltage.

The Boltzmann constant, the elementary charge and the Avogadro constant are exact in the SI since
2019, so the gas constant ``R = k_B N_A`` and the Faraday constant ``F = e N_A`` are exact too. The
values agree with :mod:`scipy.constants`; they are written out here so that ``import devicekit``
does not import scipy.

Textbooks often use rounded constants (``k = 1.4e-23 J/K``, ``q = 1.6e-19 C``). Build a
:class:`Constants` with those values and pass it as ``constants=`` to reproduce their numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from devicekit.arraytypes import ArrayLike, FloatOrArray
from devicekit.electrochem._checks import check_finite, check_temperature
from devicekit.errors import InvalidInput
from devicekit.expr import Expr

__all__ = [
    "CODATA",
    "ZERO_CELSIUS",
    "Constants",
    "boltzmann_ratio",
    "celsius_to_kelvin",
    "thermal_voltage",
]

#: 0 degC in kelvin [K].
ZERO_CELSIUS = 273.15


@dataclass(frozen=True)
class Constants:
    """A consistent set of the constants that enter kT/q.

    Parameters
    ----------
    boltzmann : float
        Boltzmann constant k_B [J/K].
    elementary_charge : float
        Elementary charge e [C].
    avogadro : float
        Avogadro constant N_A [1/mol].
    vacuum_permittivity : float
        Electric constant epsilon_0 [F/m].
    """

    boltzmann: float = 1.380649e-23
    elementary_charge: float = 1.602176634e-19
    avogadro: float = 6.02214076e23
    vacuum_permittivity: float = 8.8541878128e-12

    def __post_init__(self) -> None:
        for name in ("boltzmann", "elementary_charge", "avogadro", "vacuum_permittivity"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InvalidInput(
                    f"Constants.{name} = {value!r} must be a finite positive number; "
                    "leave it out to use the CODATA value"
                )

    @property
    def gas_constant(self) -> float:
        """Molar gas constant R = k_B N_A [J/(mol K)]."""
        return self.boltzmann * self.avogadro

    @property
    def faraday(self) -> float:
        """Faraday constant F = e N_A [C/mol]."""
        return self.elementary_charge * self.avogadro


#: CODATA 2018 values (exact SI definitions; epsilon_0 is the 2018 recommended value).
CODATA = Constants()


def celsius_to_kelvin(temperature_celsius: ArrayLike) -> FloatOrArray:
    """Convert a temperature from degrees Celsius to kelvin [K]."""
    return np.asarray(temperature_celsius, dtype=float) + ZERO_CELSIUS


@overload
def thermal_voltage(temperature: float = 310.15, constants: Constants = CODATA) -> float: ...


@overload
def thermal_voltage(temperature: Expr, constants: Constants = CODATA) -> Expr: ...


@overload
def thermal_voltage(temperature: ArrayLike, constants: Constants = CODATA) -> FloatOrArray: ...


def thermal_voltage(
    temperature: ArrayLike | Expr = 310.15, constants: Constants = CODATA
) -> FloatOrArray | Expr:
    r"""Thermal voltage k_B T / e [V].

    .. math:: V_T = \frac{k_B T}{e} = \frac{R T}{F}

    Parameters
    ----------
    temperature : array_like or Expr
        Absolute temperature [K]. Default 310.15 K (37 degC). An expression (the ``temp_k``
        symbol of a device definition) gives the expression of V_T, so that this formula is
        the only one in devicekit.
    constants : Constants
        Constants to use; default :data:`CODATA`.

    Returns
    -------
    numpy.ndarray or float or Expr
        Thermal voltage [V]: 26.727 mV at 37 degC, 24.08 mV at 6.3 degC.

    References
    ----------
    .. [1] E. Tiesinga et al., "CODATA recommended values of the fundamental physical constants:
       2018", Rev. Mod. Phys. 93, 025010 (2021). doi:10.1103/RevModPhys.93.025010
    """
    if isinstance(temperature, Expr):  # a symbol of a device definition: an expression
        expression: Expr = kt_over_e(temperature, constants)
        return expression
    return _scalar(kt_over_e(check_temperature(temperature), constants))


def kt_over_e(temperature: Any, constants: Constants = CODATA) -> Any:
    """k_B T / e for a checked temperature (array or expression): the one place devicekit
    writes the thermal voltage; :func:`thermal_voltage` is its checked, public form."""
    return constants.boltzmann * temperature / constants.elementary_charge


def boltzmann_ratio(
    energy_difference: ArrayLike, temperature: ArrayLike = 310.15, constants: Constants = CODATA
) -> FloatOrArray:
    r"""Boltzmann population ratio n1/n2 = exp(-(U1 - U2)/(k_B T)).

    .. math:: \frac{n(x_1)}{n(x_2)} = \exp\left(-\frac{U(x_1) - U(x_2)}{k_B T}\right)

    For an ion of valence z at electric potentials phi1 and phi2, the energy difference is
    ``z e (phi1 - phi2)``; see :func:`devicekit.electrochem.nernst_potential`, which inverts this
    relation.

    Parameters
    ----------
    energy_difference : array_like
        U(x1) - U(x2) per particle [J].
    temperature : array_like
        Absolute temperature [K].
    constants : Constants
        Constants to use; default :data:`CODATA`.

    Returns
    -------
    numpy.ndarray or float
        The ratio n(x1)/n(x2) [-].
    """
    temperature = check_temperature(temperature)
    energy_difference = check_finite(energy_difference, "energy_difference", "J")
    return _scalar(np.exp(-energy_difference / (constants.boltzmann * temperature)))


def _scalar(value: ArrayLike) -> FloatOrArray:
    """Return a Python float for 0-d results and the array otherwise."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value
