"""Goldman-Hodgkin-Katz (GHK) current and voltage equations.

The GHK current equation contains ``u / (1 - exp(-u))`` with ``u = z F V / (R T)``, a removable
0/0 at V = 0. It is evaluated through :func:`exprel`, ``(exp(x) - 1)/x``, which is exactly 1 at 0,
so the current is finite and continuous through 0 V and needs no special case.
"""

from __future__ import annotations

import numpy as np

from devicekit import expr
from devicekit.arraytypes import ArrayLike, FloatArray, FloatOrArray
from devicekit.electrochem._checks import (
    check_concentration,
    check_finite,
    check_nonnegative,
    check_temperature,
    check_valence,
)
from devicekit.electrochem.constants import CODATA, Constants, _scalar, kt_over_e
from devicekit.errors import InvalidInput

__all__ = ["exprel", "ghk_current_density", "ghk_current_expr", "ghk_voltage"]


def exprel(x: ArrayLike) -> FloatOrArray:
    r"""Relative error exponential, (exp(x) - 1)/x, with its limit 1 at x = 0.

    ``expm1(x)/x`` keeps full relative precision for small x (expm1 is accurate to an ulp there),
    so only x = 0 itself needs its limit.
    """
    x = np.asarray(x, dtype=float)
    zero = x == 0.0
    safe = np.where(zero, 1.0, x)
    return _scalar(np.where(zero, 1.0, np.expm1(safe) / safe))


def _ghk_flux_factor(u: FloatArray, c_in: FloatArray, c_out: FloatArray) -> FloatArray:
    """(c_in - c_out e^-u) u / (1 - e^-u), in the branch that cannot overflow."""
    positive = u >= 0
    # u >= 0: (c_in - c_out e^-u) / exprel(-u);  u < 0: (c_in e^u - c_out) / exprel(u)
    u_pos = np.where(positive, u, 0.0)
    u_neg = np.where(positive, 0.0, u)
    upper = (c_in - c_out * np.exp(-u_pos)) / exprel(-u_pos)
    lower = (c_in * np.exp(u_neg) - c_out) / exprel(u_neg)
    return np.where(positive, upper, lower)


def ghk_current_density(
    voltage: ArrayLike,
    permeability: ArrayLike,
    c_in: ArrayLike,
    c_out: ArrayLike,
    z: ArrayLike,
    temperature: ArrayLike = 310.15,
    *,
    constants: Constants = CODATA,
) -> FloatOrArray:
    r"""GHK current density of one ion species [A/m^2], outward positive.

    .. math::

        I = P z^2 \frac{F^2 V}{R T}
            \frac{c_\mathrm{in} - c_\mathrm{out} e^{-z F V/RT}}{1 - e^{-z F V/RT}}

    evaluated as ``P z F (c_in - c_out e^-u) / exprel(-u)`` with ``u = zFV/RT`` (and the
    equivalent form in ``e^u`` for u < 0), so that it is finite at V = 0, where it equals
    ``P z F (c_in - c_out)``, and cannot overflow for large ``|V|``.

    Parameters
    ----------
    voltage : array_like
        Membrane potential V = phi_in - phi_out [V].
    permeability : array_like
        Permeability P [m/s] (1 cm/s = 0.01 m/s); must be >= 0.
    c_in, c_out : array_like
        Concentrations inside and outside [mol/m^3]; must be > 0.
    z : array_like
        Valence, non-zero.
    temperature : array_like
        [K], default 310.15 K.
    constants : Constants
        Physical constants, default CODATA.

    Returns
    -------
    float or numpy.ndarray
        Current density [A/m^2] (1 A/m^2 = 0.1 mA/cm^2). It vanishes at the Nernst potential.

    References
    ----------
    .. [1] D. E. Goldman, "Potential, impedance, and rectification in membranes",
       J. Gen. Physiol. 27, 37 (1943). doi:10.1085/jgp.27.1.37
    .. [2] A. L. Hodgkin and B. Katz, "The effect of sodium ions on the electrical activity of the
       giant axon of the squid", J. Physiol. 108, 37 (1949). doi:10.1113/jphysiol.1949.sp004310
    """
    v = check_finite(voltage, "voltage", "V")
    p = check_nonnegative(permeability, "permeability", "m/s")
    c_in = check_concentration(c_in, "c_in")
    c_out = check_concentration(c_out, "c_out")
    z = check_valence(z)
    temperature = check_temperature(temperature)
    faraday = constants.faraday
    u = z * v / kt_over_e(temperature, constants)
    return _scalar(p * z * faraday * _ghk_flux_factor(u, c_in, c_out))


def ghk_current_expr(
    v: expr.Expr | float,
    battery: expr.Expr | float,
    c_in: expr.Expr | float,
    z: int,
    thermal: expr.Expr | float,
    permeability: expr.Expr | float,
    *,
    constants: Constants = CODATA,
) -> expr.Expr:
    r"""The GHK current density of one ion [A/m^2] as an expression tree, in series-battery
    form, for the device definitions that every backend prints.

    With ``u = z V / V_T`` and the ion's Nernst potential ``E`` (the battery):

    .. math:: I = P z F c_\mathrm{in} \frac{1 - e^{-z (V - E)/V_T}}{\mathrm{exprel}(-u)}

    which equals :func:`ghk_current_density` because ``c_out / c_in = exp(z E / V_T)``. It
    vanishes at V = E exactly and is finite at V = 0 (``exprel(0) = 1``).

    Parameters
    ----------
    v, battery, c_in, thermal, permeability : Expr
        Membrane voltage [V], battery E [V], inside concentration [mol/m^3], thermal voltage
        k_B T / e [V] and permeability [m/s], as expressions (symbols or numbers).
    z : int
        Valence.
    """
    v, battery, c_in = expr.as_expr(v), expr.as_expr(battery), expr.as_expr(c_in)
    slope = float(z) / expr.as_expr(thermal)
    drive = 1.0 - expr.exp(-(slope * (v - battery)))
    scale = expr.as_expr(permeability) * (float(z) * constants.faraday) * c_in
    return scale * drive / expr.exprel(-(slope * v))


def ghk_voltage(
    permeability: ArrayLike,
    c_in: ArrayLike,
    c_out: ArrayLike,
    z: ArrayLike,
    temperature: ArrayLike = 310.15,
    *,
    constants: Constants = CODATA,
) -> FloatOrArray:
    r"""GHK reversal (zero-current) potential of several permeant ions [V].

    When every ion is monovalent the closed form applies:

    .. math::

        V = \frac{R T}{F} \ln \frac{\sum_{cations} P_i c_{i,out} + \sum_{anions} P_j c_{j,in}}
                                    {\sum_{cations} P_i c_{i,in} + \sum_{anions} P_j c_{j,out}}

    When any ``|z|`` differs from 1 (Ca2+, Mg2+) there is no closed form, and V is the root of the
    total GHK current, found by Brent's method between the smallest and the largest Nernst
    potential (each single-ion current increases monotonically with V and vanishes at its own
    Nernst potential, so the root lies there and is unique).

    Parameters
    ----------
    permeability : array_like
        Permeabilities [m/s] or relative permeabilities [-] (only ratios matter), one per ion
        along the last axis; >= 0 and not all 0.
    c_in, c_out : array_like
        Concentrations [mol/m^3], one per ion along the last axis.
    z : array_like
        Valences, one per ion along the last axis.
    temperature : array_like
        [K], default 310.15 K. Broadcasts with the leading axes of the other arguments.
    constants : Constants
        Physical constants, default CODATA.

    Returns
    -------
    float or numpy.ndarray
        V [V], with the shape of the broadcast leading axes.

    Examples
    --------
    Squid axon at rest, P_K : P_Na : P_Cl = 1 : 0.04 : 0.45, 6.3 degC:

    >>> v = ghk_voltage([1, 0.04, 0.45], [400, 50, 40], [20, 440, 560], [1, 1, -1], 279.45)
    >>> round(v * 1e3, 2)
    -59.36

    References
    ----------
    .. [1] A. L. Hodgkin and B. Katz, J. Physiol. 108, 37 (1949).
       doi:10.1113/jphysiol.1949.sp004310
    """
    p = check_nonnegative(permeability, "permeability", "m/s")
    c_in = check_concentration(c_in, "c_in")
    c_out = check_concentration(c_out, "c_out")
    z = check_valence(z)
    temperature = check_temperature(temperature)
    p, c_in, c_out, z = np.broadcast_arrays(p, c_in, c_out, z)
    if p.ndim == 0:
        raise InvalidInput(
            "ghk_voltage needs one permeability, concentration and valence per ion along the "
            "last axis (for example [P_K, P_Na]); for a single ion use nernst_potential"
        )
    if np.any(np.sum(p, axis=-1) <= 0):
        raise InvalidInput(
            "permeability is 0 for every ion, so the GHK potential is undefined; give at least "
            "one positive permeability"
        )
    thermal = kt_over_e(temperature, constants)
    # only ratios of permeabilities matter: scale them to at most 1, so that 1e308 m/s cannot
    # overflow the sums (and concentrations by their largest, for the same reason)
    p = p / np.max(p, axis=-1, keepdims=True)
    scale = np.maximum(np.max(c_in, axis=-1, keepdims=True), np.max(c_out, axis=-1, keepdims=True))
    c_in, c_out = c_in / scale, c_out / scale
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if np.all(np.abs(z) == 1):
            cation = z > 0
            numerator = np.sum(p * np.where(cation, c_out, c_in), axis=-1)
            denominator = np.sum(p * np.where(cation, c_in, c_out), axis=-1)
            v = thermal * (np.log(numerator) - np.log(denominator))
        else:
            v = _ghk_root(p, c_in, c_out, z, np.broadcast_to(thermal, p.shape[:-1]))  # type: ignore[arg-type]
    if not np.all(np.isfinite(v)):
        raise InvalidInput(
            "the GHK voltage is not finite for these inputs: the weighted concentrations "
            "underflow or overflow double precision; check the magnitudes and units of the "
            "permeabilities and concentrations"
        )
    return _scalar(v)


def _ghk_root(
    p: FloatArray, c_in: FloatArray, c_out: FloatArray, z: FloatArray, thermal: FloatArray
) -> FloatArray:
    from scipy.optimize import brentq  # imported here to keep `import devicekit` light

    out = np.empty(p.shape[:-1])
    for index in np.ndindex(out.shape):
        pi, ci, co, zi, vt = p[index], c_in[index], c_out[index], z[index], thermal[index]
        active = pi > 0
        pi, ci, co, zi = pi[active], ci[active], co[active], zi[active]
        nernst = vt / zi * (np.log(co) - np.log(ci))

        def total(
            v: float,
            pi: FloatArray = pi,
            ci: FloatArray = ci,
            co: FloatArray = co,
            zi: FloatArray = zi,
            vt: FloatArray = vt,
        ) -> float:
            # total current / F; the factor F is common and does not move the root
            return float(np.sum(pi * zi * _ghk_flux_factor(zi * v / vt, ci, co)))

        low, high = float(nernst.min()), float(nernst.max())
        if high - low < 1e-15:
            out[index] = low
            continue
        # xtol 1e-20 V: a permeability of 1 m/s to 400 mM Ca2+ has a slope of about
        # 4e9 A/m^2/V, so a root to 1e-15 V (the old tolerance) left 4e-6 A/m^2 of 830 A/m^2
        # (hypothesis found it); at most ~65 bisections from a 0.1 V bracket
        out[index] = brentq(total, low, high, xtol=1e-20, rtol=4 * np.finfo(float).eps, maxiter=200)
    return out
