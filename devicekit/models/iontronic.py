"""Iontronic devices: the conical fluidic memristor of Kamsma et al.

A conical channel (length L, base radius R_b, tip radius R_t) joins two reservoirs of salt at
concentration c_b. A voltage drives electro-osmotic flow that accumulates or depletes salt in the
channel, so its conductance g relaxes towards a voltage-dependent g_inf(V) with a single time
constant tau = L^2 / (12 D). With x = g / g0 that is exactly a gate of power 1 with a constant
time constant, so a conical channel is an :class:`~devicekit.models.channels.HHChannel` whose
gate's steady state is :class:`ConicalRate`, and every pipeline of devicekit (native, SPICE,
cards, fitting) applies to it unchanged.

.. math::

    \\frac{g_\\infty(V)}{g_0} = 1 + \\Delta g \\int_0^1 \\left[\\frac{\\xi R_t}{R(\\xi)}
        - \\frac{e^{Pe(V)\\, \\xi R_t^2 / (R_b R(\\xi))} - 1}{e^{Pe(V) R_t/R_b} - 1}\\right] d\\xi,
    \\qquad R(\\xi) = R_b - (R_b - R_t)\\,\\xi

with Pe(V) = R_b eps psi_0 V / (eta D R_t), Du = sigma / (2 c_b R_t) (charges, particles),
w = e D eta / (k_B T eps psi_0) and Delta_g = -2 w (R_b - R_t)/R_b Du.

The integral has no elementary closed form (its second term is an exponential integral), so it
is evaluated by Gauss-Legendre quadrature with a fixed number of nodes, written out as one
expression: numpy and the generated SPICE compute the same sum. The fraction is written
``s exprel(Pe s) / (b exprel(Pe b))`` (s = xi R_t^2/(R_b R), b = R_t/R_b), finite at V = 0, where
g_inf = g0 exactly, and its shared denominator stands outside the sum (one exprel per node).
With 32 nodes the sum matches adaptive quadrature (scipy.integrate.quad) to about 1e-15 within
+-2 V and 1.2e-10 at +-5 V for the published geometry (tests/test_iontronic.py); the boundary
layer at the tip sharpens as |Pe V| grows. Keep |Pe V R_t/R_b| below about 700, where exp()
overflows.

References
----------
.. [1] T. M. Kamsma, W. Q. Boon, T. ter Rele, C. Spitoni, R. van Roij, "Iontronic neuromorphic
   signaling with conical microfluidic memristors", Phys. Rev. Lett. 130, 268401 (2023).
   doi:10.1103/PhysRevLett.130.268401
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from devicekit.arraytypes import ArrayLike
from devicekit.electrochem.constants import CODATA
from devicekit.errors import ModelCardError
from devicekit.expr import Expr, Sym, evaluate, exprel
from devicekit.models.parameters import quantity

__all__ = ["ConicalChannel", "ConicalRate"]

V = Sym("v")

# the constants of devicekit.electrochem (CODATA 2018), not copies
ELEMENTARY_CHARGE = CODATA.elementary_charge
BOLTZMANN = CODATA.boltzmann
AVOGADRO = CODATA.avogadro
VACUUM_PERMITTIVITY = CODATA.vacuum_permittivity


@dataclass(frozen=True)
class ConicalRate:
    """g_inf(V)/g0 of a conical channel, usable as a gate's steady state (``form = "conical"``
    in model cards).

    Parameters
    ----------
    delta_g : float
        Conductance swing Delta_g [-].
    peclet_per_volt : float
        Pe / V [1/V].
    radius_ratio : float
        R_t / R_b, in (0, 1).
    nodes : int
        Gauss-Legendre nodes of the quadrature (default 32).
    """

    delta_g: float
    peclet_per_volt: float = field(metadata=quantity("inverse_voltage", doc="Pe / V"))
    radius_ratio: float = field(metadata=quantity("dimensionless", doc="R_t / R_b"))
    nodes: int = 32
    form = "conical"

    def __post_init__(self) -> None:
        if not (0 < self.radius_ratio < 1):
            raise ModelCardError(
                f"conical radius_ratio = {self.radius_ratio!r} must be between "
                "0 and 1 (tip radius / base radius)"
            )
        for name in ("delta_g", "peclet_per_volt"):
            if not np.isfinite(getattr(self, name)):
                raise ModelCardError(f"conical {name} = {getattr(self, name)!r} is not finite")
        if not (isinstance(self.nodes, int) and 4 <= self.nodes <= 200):
            raise ModelCardError(f"conical nodes = {self.nodes!r} must be an integer 4..200")

    def expr(self, v: Expr = V) -> Expr:
        b = self.radius_ratio
        xi, weights = np.polynomial.legendre.leggauss(self.nodes)
        xi, weights = 0.5 * (xi + 1.0), 0.5 * weights  # [-1, 1] -> [0, 1]
        peclet = self.peclet_per_volt * v
        # sum_k w_k l_k [1 - exprel(Pe s_k) / exprel(Pe b)] with l_k = s_k / b, written
        # sum_k c_k - (sum_k c_k exprel(Pe s_k)) / exprel(Pe b): one exprel per node plus one
        # (not two per node), half the work in numpy and SPICE; at V = 0 every exprel is 1
        # and both sums are the same floats in the same order, so g_inf(0) = g0 exactly
        constant = 0.0
        numerator: Expr | None = None
        for node, weight in zip(xi, weights, strict=True):
            radius = 1.0 - (1.0 - b) * node  # R(xi) / R_b
            s = float(node * b * b / radius)
            c = float(weight * node * b / radius)
            constant += c
            term = c * exprel(peclet * s)
            numerator = term if numerator is None else numerator + term
        if numerator is None:  # nodes >= 4, checked when made
            raise ModelCardError("conical rate without quadrature nodes")
        return 1.0 + self.delta_g * (constant - numerator / exprel(peclet * b))

    def __call__(self, v: ArrayLike) -> Any:
        return evaluate(self.expr(), {"v": np.asarray(v, dtype=float)})

    def describe(self) -> str:
        return (
            f"conical g_inf/g0: Delta_g {self.delta_g:.4g}, Pe {self.peclet_per_volt:.4g}/V, "
            f"R_t/R_b {self.radius_ratio:.4g} ({self.nodes}-node quadrature)"
        )


@dataclass(frozen=True)
class ConicalChannel:
    """Geometry, electrolyte and wall of a conical channel (SI units), and what follows.

    The defaults are the published parameters of Kamsma et al. (PRL 130, 268401, 2023):
    R_b = 200 nm, R_t = 50 nm, L = 10 um, c_b = 0.1 mM, D = 1e-9 m^2/s, eta = 1.01 mPa s,
    eps = 80.23 eps_0, T = 293.15 K, sigma = -0.0015 e/nm^2, psi_0 = -10.2464 mV.
    """

    length: float = 10e-6
    base_radius: float = 200e-9
    tip_radius: float = 50e-9
    concentration: float = 0.1  # mol/m^3
    diffusivity: float = 1e-9
    viscosity: float = 1.01e-3
    relative_permittivity: float = 80.23
    temperature: float = 293.15
    surface_charge: float = -0.0015 * ELEMENTARY_CHARGE / 1e-18  # C/m^2
    zeta_potential: float = -10.2464e-3

    def __post_init__(self) -> None:
        for name in (
            "length",
            "base_radius",
            "tip_radius",
            "concentration",
            "diffusivity",
            "viscosity",
            "relative_permittivity",
            "temperature",
        ):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ModelCardError(f"conical channel {name} = {value!r} must be > 0")
        if not self.tip_radius < self.base_radius:
            raise ModelCardError("conical channel: the tip radius must be smaller than the base")

    @property
    def permittivity(self) -> float:
        return self.relative_permittivity * VACUUM_PERMITTIVITY

    @property
    def peclet_per_volt(self) -> float:
        """Pe / V = Q L / (D pi R_t^2 V) = R_b eps psi_0 / (eta D R_t) [1/V]."""
        return (
            self.base_radius
            * self.permittivity
            * self.zeta_potential
            / (self.viscosity * self.diffusivity * self.tip_radius)
        )

    @property
    def dukhin(self) -> float:
        """Du = sigma / (2 c_b R_t), sigma in charges/m^2 and c_b in particles/m^3."""
        charges = self.surface_charge / ELEMENTARY_CHARGE
        particles = self.concentration * AVOGADRO
        return charges / (2 * particles * self.tip_radius)

    @property
    def w(self) -> float:
        """w = e D eta / (k_B T eps psi_0)."""
        return (
            ELEMENTARY_CHARGE
            * self.diffusivity
            * self.viscosity
            / (BOLTZMANN * self.temperature * self.permittivity * self.zeta_potential)
        )

    @property
    def delta_g(self) -> float:
        """Delta_g = -2 w (R_b - R_t) / R_b * Du."""
        return -2 * self.w * (self.base_radius - self.tip_radius) / self.base_radius * self.dukhin

    @property
    def tau(self) -> float:
        """tau = L^2 / (12 D) [s] (8.3 ms for L = 10 um)."""
        return self.length**2 / (12 * self.diffusivity)

    @property
    def bulk_conductance(self) -> float:
        """g0 = kappa pi R_t R_b / L, kappa = 2 c_b N_A e^2 D / (k_B T) (1:1 salt, both ions
        with diffusivity D) [S]."""
        kappa = (
            2
            * self.concentration
            * AVOGADRO
            * ELEMENTARY_CHARGE**2
            * self.diffusivity
            / (BOLTZMANN * self.temperature)
        )
        return kappa * np.pi * self.tip_radius * self.base_radius / self.length

    def rate(self, nodes: int = 32) -> ConicalRate:
        return ConicalRate(
            self.delta_g, self.peclet_per_volt, self.tip_radius / self.base_radius, nodes
        )
