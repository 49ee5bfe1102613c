"""Input validation shared by the electrochemistry functions.

Each check converts its argument to a float array and raises :class:`InvalidInput` naming the
argument, the offending value, the valid range and a fix.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from devicekit.arraytypes import ArrayLike, FloatArray
from devicekit.errors import ImplausibleValueWarning, InvalidInput, warn


def _first_bad(array: FloatArray, bad: npt.NDArray[np.bool_]) -> float:
    value = array[bad].flat[0] if array.ndim else array.item()
    return float(value)


def as_float_array(value: ArrayLike, name: str) -> FloatArray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{name} = {value!r} is not a number; give a number in SI units"
        ) from None


def check_finite(value: ArrayLike, name: str, unit: str) -> FloatArray:
    array = as_float_array(value, name)
    bad = ~np.isfinite(array)
    if np.any(bad):
        raise InvalidInput(
            f"{name} = {_first_bad(array, bad)!r} {unit} is not finite; give a finite value"
        )
    return array


def check_concentration(value: ArrayLike, name: str) -> FloatArray:
    """Concentrations must be finite and strictly positive [mol/m^3]."""
    array = as_float_array(value, name)
    bad = ~(np.isfinite(array) & (array > 0))
    if np.any(bad):
        raise InvalidInput(
            f"{name} = {_first_bad(array, bad)!r} mol/m^3 is not a valid concentration: it must "
            "be finite and > 0 (1 mM = 1 mol/m^3); a species absent on one side has no Nernst "
            "potential, so give a small positive value or leave the ion out"
        )
    return array


def check_nonnegative(value: ArrayLike, name: str, unit: str) -> FloatArray:
    array = as_float_array(value, name)
    bad = ~(np.isfinite(array) & (array >= 0))
    if np.any(bad):
        raise InvalidInput(f"{name} = {_first_bad(array, bad)!r} {unit} must be finite and >= 0")
    return array


def check_valence(value: ArrayLike, name: str = "z") -> FloatArray:
    array = as_float_array(value, name)
    bad = ~(np.isfinite(array) & (array != 0))
    if np.any(bad):
        raise InvalidInput(
            f"{name} = {_first_bad(array, bad)!r} is not a valid valence: it must be a non-zero "
            "charge number such as 1 (K+), 2 (Ca2+) or -1 (Cl-); a neutral species has no "
            "equilibrium potential"
        )
    return array


#: temperatures outside this range [K] are warned about (a number in degC given as K, say)
PLAUSIBLE_TEMPERATURE = (200.0, 400.0)


def check_temperature(
    value: ArrayLike, name: str = "temperature", *, plausible: bool = True
) -> FloatArray:
    """An absolute temperature [K] > 0. With ``plausible`` (the default) a value outside
    :data:`PLAUSIBLE_TEMPERATURE` gives an :class:`ImplausibleValueWarning`: 37 K is most likely
    37 degC. Switch the check off with ``plausible=False``, or filter the warning class."""
    array = as_float_array(value, name)
    bad = ~(np.isfinite(array) & (array > 0))
    if np.any(bad):
        raise InvalidInput(
            f"{name} = {_first_bad(array, bad)!r} K is not a valid absolute temperature: it must "
            "be > 0 K; to convert from Celsius add 273.15 (37 degC = 310.15 K)"
        )
    low, high = PLAUSIBLE_TEMPERATURE
    odd = (array < low) | (array > high)
    if plausible and np.any(odd):
        first = float(_first_bad(array, odd))
        hint = f"; if you meant {first:g} degC, give {first + 273.15:.2f} K" if first < low else ""
        warn(
            f"{name} = {first:g} K is outside {low:g} to {high:g} K, which is implausible for "
            f"an electrolyte{hint} (pass plausible=False to silence this check)",
            ImplausibleValueWarning,
        )
    return array


def check_positive_coefficient(value: ArrayLike, name: str) -> FloatArray:
    array = as_float_array(value, name)
    bad = ~(np.isfinite(array) & (array > 0))
    if np.any(bad):
        raise InvalidInput(
            f"{name} = {_first_bad(array, bad)!r} must be finite and > 0 (an activity "
            "coefficient of 1 means an ideal solution)"
        )
    return array
