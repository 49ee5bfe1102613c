"""Organic electrochemical transistors (OECTs): the Bernards-Malliaras model, with the doping
of the channel bounded between undoped and fully doped.

Bernards and Malliaras (Adv. Funct. Mater. 17, 3538, 2007) split an OECT into an ionic circuit
(the gate's electrolyte resistance in series with the channel's volumetric capacitance) and an
electronic one (drift of the channel's carriers, whose density the injected ions change). In
the gradual-channel form of Rivnay et al. (Sci. Adv. 1, e1400251, 2015) the drain current is

.. math:: I_D = k \\,\\Delta V \\int_0^{V_D} \\psi(V_G - u)\\, du, \\qquad
          k = \\mu C^* \\frac{W d}{L}

where u is the channel potential from source to drain and psi the doped fraction of the channel
at gate-to-channel voltage V. For a p-type channel psi = (V_T - V) / Delta V: integrating gives
Bernards' linear regime ``k (V_T - V_G + V_D/2) V_D`` and, where psi reaches 0 before the drain,
their saturation ``-k (V_T - V_G)^2 / 2``. devicekit's choice (documented, not theirs): psi is
bounded to [0, 1], since a channel cannot be more than fully doped, by a smooth clip
``h(x) - h(x - 1)`` with the hyperbolic ramp ``h(x) = (x + sqrt(x^2 + e^2)) / 2`` of width
``e = smoothing`` (a fraction of Delta V). Without the upper bound the current grows without
limit at negative gate voltage, which measured transfer curves do not show. The ramp has an
elementary antiderivative, ``H(x) = x^2/4 + x sqrt(x^2 + e^2)/4 + e^2 asinh(x/e)/4``, so the
integral is exact (no quadrature) in numpy and in ngspice alike, and as e -> 0 it is
Bernards' piecewise model, clipped. An n-type channel has psi = (V - V_T) / Delta V. The
threshold V_T may take either sign (depletion or accumulation mode).
"""

from __future__ import annotations

from devicekit.errors import InvalidInput
from devicekit.expr import Expr, ExprLike, Fn, ifelse, ln, sqrt

__all__ = ["OECT_PARAMETERS", "doped_fraction", "oect_current"]

#: name -> (SI unit, description)
OECT_PARAMETERS = {
    "k": ("A/V2", "mu C* W d / L: transconductance factor"),
    "v_t": ("V", "threshold: psi = 0 there (pinch-off of a p-type depletion channel)"),
    "delta_v": ("V", "gate-voltage span from undoped to fully doped"),
    "smoothing": ("1", "width of the bounds of psi, as a fraction of delta_v"),
}


def _ramp(x: Expr, width: ExprLike) -> Expr:
    """h(x) = (x + sqrt(x^2 + e^2)) / 2: max(x, 0) with corners of width e."""
    return (x + sqrt(x * x + width * width)) * 0.5


def _ramp_integral(x: Expr, width: ExprLike) -> Expr:
    """H(x), the antiderivative of h: x^2/4 + x r/4 + e^2 asinh(x/e)/4, r = sqrt(x^2 + e^2),
    with asinh(x/e) written without cancellation as sign(x) (ln(|x| + r) - ln(e))."""
    r = sqrt(x * x + width * width)
    inverse = ln(Fn("abs", (x,)) + r) - ln(width)
    signed = ifelse(x, inverse, -inverse)
    return x * x * 0.25 + x * r * 0.25 + width * width * signed * 0.25


def _x(v: Expr, v_t: ExprLike, delta_v: ExprLike, carrier: str) -> Expr:
    if carrier not in ("p", "n"):
        raise InvalidInput(f"carrier = {carrier!r}: choose 'p' (holes) or 'n' (electrons)")
    return (v_t - v) / delta_v if carrier == "p" else (v - v_t) / delta_v


def doped_fraction(
    v: Expr, v_t: ExprLike, delta_v: ExprLike, smoothing: ExprLike, carrier: str = "p"
) -> Expr:
    """psi(V), the doped fraction at gate-to-channel voltage V, smoothly bounded to [0, 1]."""
    x = _x(v, v_t, delta_v, carrier)
    return _ramp(x, smoothing) - _ramp(x - 1.0, smoothing)


def oect_current(
    v_g: Expr,
    v_d: ExprLike,
    k: ExprLike,
    v_t: ExprLike,
    delta_v: ExprLike,
    smoothing: ExprLike,
    carrier: str = "p",
) -> Expr:
    """I_D [A], drain to source through the channel, at gate and drain voltages against the
    source (expressions or numbers; parameters may be symbols): ``k dV^2 (Psi(x_d) - Psi(x_s))``
    with Psi the antiderivative of psi in x = (V_T - V)/dV, from the source (V = V_G) to the
    drain (V = V_G - V_D); for an n-type channel the sign of x and of the integral flip."""
    start = _x(v_g, v_t, delta_v, carrier)
    end = _x(v_g - v_d, v_t, delta_v, carrier)

    def antiderivative(x: Expr) -> Expr:
        return _ramp_integral(x, smoothing) - _ramp_integral(x - 1.0, smoothing)

    sign = 1.0 if carrier == "p" else -1.0
    return sign * k * delta_v * delta_v * (antiderivative(end) - antiderivative(start))
