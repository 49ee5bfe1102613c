"""Synapses: devices between a presynaptic and a postsynaptic compartment.

``chemical-synapse`` is the kinetic synapse of Destexhe, Mainen and Sejnowski (1994): a
conductance ``g r`` in series with a battery ``E_syn`` on the postsynaptic node, whose open
fraction r obeys

.. math:: \\frac{dr}{dt} = \\alpha T (1 - r) - \\beta r, \\qquad
          T = \\frac{T_\\max}{1 + e^{-(V_\\mathrm{pre} - V_p)/K_p}}

with the transmitter concentration T [mol/m^3 = mM] released by the presynaptic voltage.
Presets: excitatory AMPA (alpha 1.1 /(mM ms), beta 0.19 /ms, E 0 mV; the default) and
inhibitory GABA_A (alpha 5 /(mM ms), beta 0.18 /ms, E -80 mV). T_max 1 mM, V_p 2 mV,
K_p 5 mV.

A gap junction (an electrical synapse) is a :class:`~devicekit.circuits.Resistor`.

``iontronic-synapse`` (:func:`iontronic_synapse`) is a conical fluidic memristor between the
pre- and postsynaptic nodes: its conductance g = g0 w, with w relaxing to g_inf(V)/g0 for the
voltage V = V_pre - V_post across it (tau = 8.3 ms), is the synaptic weight. Pre/post activity
that puts V > 0 across it more often than V < 0 raises w (potentiation), and the reverse
lowers it, within g_inf's range (about 0.46 to 2.0 of g0 for |V| up to 2 V); w forgets at the
rate 1/tau. Its state column is ``<instance>.cone_w``.

References
----------
.. [1] A. Destexhe, Z. F. Mainen and T. J. Sejnowski, "An efficient method for computing
   synaptic conductances based on a kinetic model of receptor binding", Neural Comput. 6, 14
   (1994). doi:10.1162/neco.1994.6.1.14
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from devicekit.errors import InvalidInput
from devicekit.expr import Sym, evaluate, exp, real_literal, to_spice, to_verilog_a
from devicekit.models.builtin import conical_memristor
from devicekit.models.membrane import Membrane
from devicekit.models.parameters import quantity

if TYPE_CHECKING:
    from devicekit.expr import Expr
    from devicekit.models.iontronic import ConicalChannel

__all__ = ["PRESETS", "ChemicalSynapse", "iontronic_synapse"]

PRE, POST, R = Sym("v_pre"), Sym("v_post"), Sym("r")


@dataclass(frozen=True)
class ChemicalSynapse:
    """The Destexhe-Mainen-Sejnowski kinetic synapse, pins (pre, post, ref); SI values.

    Parameters
    ----------
    conductance : float
        Maximal conductance g [S] (0 switches the synapse off).
    reversal : float
        Battery E_syn [V].
    alpha : float
        Binding rate [m^3/(mol s)] (1.1 /(mM ms) = 1100).
    beta : float
        Unbinding rate [1/s].
    t_max, v_p, k_p : float
        Transmitter pulse: T_max [mol/m^3], half-release voltage V_p [V], slope K_p [V].
    """

    conductance: float = field(default=1e-9, metadata=quantity("conductance", low=0.0))
    reversal: float = field(default=0.0, metadata=quantity("voltage"))
    alpha: float = field(default=1.1e3, metadata=quantity("dimensionless", low=0.0))
    beta: float = field(default=190.0, metadata=quantity("frequency", low=0.0))
    t_max: float = field(default=1.0, metadata=quantity("concentration", low=0.0))
    v_p: float = field(default=2e-3, metadata=quantity("voltage"))
    k_p: float = field(default=5e-3, metadata=quantity("voltage"))
    kind = "chemical-synapse"
    pins = ("pre", "post", "ref")
    states = ("r",)

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidInput(f"chemical-synapse {item.name} = {value!r} must be a number")
            if not math.isfinite(value):
                raise InvalidInput(f"chemical-synapse {item.name} = {value!r} must be finite")
        for name in ("conductance", "alpha", "t_max"):
            if getattr(self, name) < 0:
                raise InvalidInput(
                    f"chemical-synapse {name} = {getattr(self, name)!r} must be >= 0"
                )
        for name in ("beta", "k_p"):
            if getattr(self, name) <= 0:
                raise InvalidInput(f"chemical-synapse {name} = {getattr(self, name)!r} must be > 0")

    # ------------------------------------------------------------------ the one definition
    def parameters(self) -> dict[str, float]:
        return {item.name: float(getattr(self, item.name)) for item in fields(self)}

    @staticmethod
    def transmitter() -> Expr:
        """T(V_pre) [mol/m^3] as an expression of ``v_pre`` (relative to ``ref``)."""
        return Sym("t_max") / (1.0 + exp(-((PRE - Sym("v_p")) / Sym("k_p"))))

    @classmethod
    def derivative(cls) -> Expr:
        """dr/dt [1/s] as an expression of ``r`` and ``v_pre``."""
        return Sym("alpha") * cls.transmitter() * (1.0 - R) - Sym("beta") * R

    @staticmethod
    def current() -> Expr:
        """The synaptic current [A] out of ``post`` (outward, into the battery)."""
        return Sym("conductance") * R * (POST - Sym("reversal"))

    def rest(self, v_pre: float) -> float:
        """r at steady state for a presynaptic voltage v_pre [V]."""
        t = float(evaluate(self.transmitter(), {**self.parameters(), "v_pre": v_pre}))
        return self.alpha * t / (self.alpha * t + self.beta)

    # ------------------------------------------------------------------ SPICE
    def subcircuit(self, name: str, rest_pre: float = -0.065) -> str:
        """The ``.subckt`` of this synapse type, its parameters as ``params:``."""
        params = " ".join(f"{k}={v!r}" for k, v in self.parameters().items())
        bare = {k: "{" + k + "}" for k in self.parameters()}
        t = to_spice(self.transmitter(), {**bare, "v_pre": "V(pre,ref)"})
        rate = to_spice(
            Sym("alpha") * Sym("t") * (1.0 - R) - Sym("beta") * R,
            {**bare, "t": "V(t)", "r": "V(r)"},
        )
        current = to_spice(
            Sym("conductance") * R * Sym("drive"), {**bare, "r": "V(r)", "drive": "V(post,e)"}
        )
        return "\n".join(
            [
                "* kinetic synapse (Destexhe, Mainen and Sejnowski 1994): g r in series with E_syn",
                f".subckt {name} pre post ref params: {params}",
                "* transmitter T(V_pre) [mol/m^3] on node t",
                f"Bt t 0 V = {t}",
                "* open fraction r on node r: 1 F * dV/dt = dr/dt = alpha T (1 - r) - beta r",
                "Cr r 0 1",
                f"Br 0 r I = {rate}",
                "Ve e ref DC {reversal}",
                f"Bsyn post e I = {current}",
                f".nodeset v(r)={self.rest(rest_pre)!r}",
                f".ends {name}",
            ]
        )

    # ------------------------------------------------------------------ Verilog-A
    def verilog_a(self, name: str) -> str:
        """The Verilog-A module of this synapse type (pins pre, post, ref; the open fraction
        r an internal node), printed from the same expressions."""
        names = {k: k for k in self.parameters()}
        names.update(v_pre="V(pre, ref)", v_post="V(post, ref)", r="V(r)")
        params = [f"    parameter real {k} = {real_literal(v)};" for k, v in
                  self.parameters().items()]  # fmt: skip
        return "\n".join(
            [
                "// devicekit: the kinetic synapse of Destexhe, Mainen and Sejnowski (1994),",
                "// g r in series with E_syn; SI units; pins pre, post, ref",
                '`include "disciplines.vams"',
                "",
                f"module {name}(pre, post, ref);",
                "    inout pre, post, ref;",
                "    electrical pre, post, ref;",
                "    electrical r;  // the open fraction",
                *params,
                "    analog begin",
                "        I(r) <+ ddt(V(r));",
                f"        I(r) <+ -({to_verilog_a(self.derivative(), names)});",
                f"        I(post, ref) <+ {to_verilog_a(self.current(), names)};",
                "    end",
                "endmodule",
                "",
            ]
        )


#: preset name -> keyword values
PRESETS = {
    "excitatory": {"alpha": 1.1e3, "beta": 190.0, "reversal": 0.0},  # AMPA
    "inhibitory": {"alpha": 5e3, "beta": 180.0, "reversal": -0.08},  # GABA_A
}


def iontronic_synapse(geometry: ConicalChannel | None = None) -> Membrane:
    """The ``iontronic-synapse``: a conical channel (``geometry``, default the published cone of
    Kamsma et al. 2023) between a pre- and a postsynaptic node, whose normalised conductance
    ``cone_w`` is the weight (pins: pre, post)."""
    cone = conical_memristor(geometry)
    channel = cone.channels[0]
    gate = dataclasses.replace(channel.gates[0], name="w")
    return dataclasses.replace(
        cone,
        name="iontronic-synapse",
        channels=(dataclasses.replace(channel, gates=(gate,)),),
        description="iontronic synapse: a conical memristor whose conductance is the weight",
    )
