"""Ionic strength and activity coefficients (Debye-Hueckel family).

The empirical constants of these laws are defined on the molar scale, so the functions convert
the SI concentrations they receive (mol/m^3) to mol/L inside. Ion-size parameters are in metres.

The Debye-Hueckel constants depend on temperature through the relative permittivity of water:

.. math::

    A = 1.82 \\times 10^6 \\, (\\varepsilon_r T)^{-3/2} \\quad [(\\mathrm{L/mol})^{1/2}],
    \\qquad
    B = 50.29 \\, (\\varepsilon_r T)^{-1/2} \\quad [\\mathrm{\\AA^{-1}} (\\mathrm{L/mol})^{1/2}]

with eps_r(T) from Malmberg and Maryott (1956). This gives A = 0.510 at 25 degC and 0.522 at
37 degC (tabulated: 0.509 and about 0.52).
"""

from __future__ import annotations

import numpy as np

from devicekit.arraytypes import ArrayLike, FloatArray, FloatOrArray
from devicekit.electrochem._checks import (
    check_finite,
    check_nonnegative,
    check_temperature,
    check_valence,
)
from devicekit.electrochem.constants import ZERO_CELSIUS, _scalar
from devicekit.errors import InvalidInput

__all__ = [
    "activity_coefficient",
    "davies",
    "debye_huckel_a",
    "debye_huckel_b",
    "debye_huckel_extended",
    "debye_huckel_limiting",
    "ionic_strength",
    "water_permittivity",
]

_MOLAR = 1e-3  # mol/m^3 -> mol/L
_ANGSTROM = 1e-10  # m


def ionic_strength(concentrations: ArrayLike, valences: ArrayLike) -> FloatOrArray:
    r"""Ionic strength of a solution [mol/m^3].

    .. math:: I = \frac{1}{2} \sum_i c_i z_i^2

    Parameters
    ----------
    concentrations : array_like
        Concentration of each ionic species [mol/m^3], along the last axis.
    valences : array_like
        Charge number of each species, along the last axis (broadcast with ``concentrations``).

    Returns
    -------
    float or numpy.ndarray
        I [mol/m^3]. 150 mM NaCl has I = 150 mol/m^3.
    """
    c = check_nonnegative(concentrations, "concentrations", "mol/m^3")
    z = check_finite(valences, "valences", "")
    return _scalar(0.5 * np.sum(c * z**2, axis=-1))


def water_permittivity(temperature: ArrayLike = 298.15) -> FloatOrArray:
    r"""Relative permittivity of liquid water, eps_r(T) [-].

    .. math:: \varepsilon_r = 87.740 - 0.40008\,t + 9.398\times10^{-4} t^2
              - 1.410\times10^{-6} t^3, \quad t \text{ in degC}

    Valid from 0 to 100 degC (78.30 at 25 degC).

    References
    ----------
    .. [1] C. G. Malmberg and A. A. Maryott, "Dielectric constant of water from 0 to 100 C",
       J. Res. Natl. Bur. Stand. 56, 1 (1956). doi:10.6028/jres.056.001
    """
    t = check_temperature(temperature) - ZERO_CELSIUS
    if np.any((t < -0.5) | (t > 100.5)):
        raise InvalidInput(
            f"temperature = {float(np.max(np.abs(t))) + ZERO_CELSIUS!r} K is outside the range of "
            "the water permittivity fit (273.15 K to 373.15 K, 0 to 100 degC)"
        )
    return _scalar(87.740 - 0.40008 * t + 9.398e-4 * t**2 - 1.410e-6 * t**3)


def debye_huckel_a(temperature: ArrayLike = 298.15) -> FloatOrArray:
    r"""Debye-Hueckel constant A(T) [(L/mol)^(1/2)], for log10 activity coefficients.

    .. math:: A = 1.82\times10^{6}\,(\varepsilon_r T)^{-3/2}

    References
    ----------
    .. [1] W. Stumm and J. J. Morgan, *Aquatic Chemistry*, 3rd ed., Wiley (1996), Table 3.3.
    """
    temperature = check_temperature(temperature)
    return _scalar(1.82e6 * (water_permittivity(temperature) * temperature) ** -1.5)


def debye_huckel_b(temperature: ArrayLike = 298.15) -> FloatOrArray:
    r"""Debye-Hueckel constant B(T) [1/(Angstrom (mol/L)^(1/2))].

    .. math:: B = 50.29\,(\varepsilon_r T)^{-1/2}

    0.329 at 25 degC.
    """
    temperature = check_temperature(temperature)
    return _scalar(50.29 * (water_permittivity(temperature) * temperature) ** -0.5)


def _prepare(
    ionic_strength_value: ArrayLike, z: ArrayLike, temperature: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatOrArray]:
    strength = check_nonnegative(ionic_strength_value, "ionic_strength", "mol/m^3") * _MOLAR
    z = check_valence(z)
    return strength, z, debye_huckel_a(temperature)


def debye_huckel_limiting(
    ionic_strength: ArrayLike, z: ArrayLike, temperature: ArrayLike = 298.15
) -> FloatOrArray:
    r"""Activity coefficient by the Debye-Hueckel limiting law [-].

    .. math:: \log_{10}\gamma = -A z^2 \sqrt{I}

    Accurate only for I below about 5 mM.

    Parameters
    ----------
    ionic_strength : array_like
        I [mol/m^3].
    z : array_like
        Valence of the ion.
    temperature : array_like
        [K], default 298.15 K.
    """
    strength, z, a = _prepare(ionic_strength, z, temperature)
    return _scalar(10.0 ** (-a * z**2 * np.sqrt(strength)))


def debye_huckel_extended(
    ionic_strength: ArrayLike, z: ArrayLike, ion_size: ArrayLike, temperature: ArrayLike = 298.15
) -> FloatOrArray:
    r"""Activity coefficient by the extended Debye-Hueckel law [-].

    .. math:: \log_{10}\gamma = -\frac{A z^2 \sqrt{I}}{1 + B a \sqrt{I}}

    Useful up to about 100 mM.

    Parameters
    ----------
    ionic_strength : array_like
        I [mol/m^3].
    z : array_like
        Valence of the ion.
    ion_size : array_like
        Ion-size parameter a [m] (Kielland 1937: K+ 3e-10, Na+ 4.5e-10, Ca2+ 6e-10 m).
    temperature : array_like
        [K], default 298.15 K.

    References
    ----------
    .. [1] J. Kielland, "Individual activity coefficients of ions in aqueous solutions",
       J. Am. Chem. Soc. 59, 1675 (1937). doi:10.1021/ja01288a032
    """
    strength, z, a = _prepare(ionic_strength, z, temperature)
    size = check_nonnegative(ion_size, "ion_size", "m") / _ANGSTROM
    b = debye_huckel_b(temperature)
    root = np.sqrt(strength)
    return _scalar(10.0 ** (-a * z**2 * root / (1.0 + b * size * root)))


def davies(
    ionic_strength: ArrayLike, z: ArrayLike, temperature: ArrayLike = 298.15
) -> FloatOrArray:
    r"""Activity coefficient by the Davies equation [-].

    .. math:: \log_{10}\gamma = -A z^2 \left(\frac{\sqrt{I}}{1+\sqrt{I}} - 0.3 I\right)

    Useful up to about 0.5 M. A monovalent ion in 150 mM NaCl at 25 degC has gamma = 0.760.

    References
    ----------
    .. [1] C. W. Davies, *Ion Association*, Butterworths, London (1962), pp. 37-53.
    """
    strength, z, a = _prepare(ionic_strength, z, temperature)
    root = np.sqrt(strength)
    return _scalar(10.0 ** (-a * z**2 * (root / (1.0 + root) - 0.3 * strength)))


_MODELS = ("ideal", "debye-huckel-limiting", "debye-huckel-extended", "davies")


def activity_coefficient(
    model: str,
    ionic_strength: ArrayLike,
    z: ArrayLike,
    temperature: ArrayLike = 298.15,
    ion_size: ArrayLike | None = None,
) -> FloatOrArray:
    """Activity coefficient by a named model: one of ``ideal``, ``debye-huckel-limiting``,
    ``debye-huckel-extended`` (needs ``ion_size`` [m]) or ``davies``."""
    if model == "ideal":
        check_valence(z)
        return _scalar(np.ones(np.broadcast(np.asarray(ionic_strength), np.asarray(z)).shape))
    if model == "debye-huckel-limiting":
        return debye_huckel_limiting(ionic_strength, z, temperature)
    if model == "davies":
        return davies(ionic_strength, z, temperature)
    if model == "debye-huckel-extended":
        if ion_size is None:
            raise InvalidInput(
                "activity model 'debye-huckel-extended' needs ion_size [m]; give the Kielland "
                "size (for example 3e-10 m for K+) or use 'davies'"
            )
        return debye_huckel_extended(ionic_strength, z, ion_size, temperature)
    raise InvalidInput(f"activity model {model!r} is unknown; choose one of {', '.join(_MODELS)}")
