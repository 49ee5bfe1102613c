"""Built-in circuits, by name (``devicekit simulate hh-pair``)."""

from __future__ import annotations

from collections.abc import Callable

from devicekit.circuits.cables import passive_cable
from devicekit.circuits.circuit import Circuit
from devicekit.circuits.elements import CurrentSource
from devicekit.models.stimuli import Pulse

__all__ = ["BUILTIN_CIRCUITS", "builtin_circuit", "hh_pair"]


def hh_pair(conductance: float = 5e-4) -> Circuit:
    """Two hh-squid neurons, ``pre`` on node ``a`` and ``post`` on ``b``, joined by an
    excitatory (AMPA) kinetic synapse ``syn`` of ``conductance`` [S], with a 10 uA pulse of
    1 ms at t = 1 ms into ``a`` (``stim``). Run it for 50 ms."""
    c = Circuit("hh-pair")
    c.add("pre", "hh-squid", nodes=("a", "0"))
    c.add("post", "hh-squid", nodes=("b", "0"))
    c.add("syn", "chemical-synapse", nodes=("a", "b", "0"), conductance=conductance)
    c.add("stim", CurrentSource(Pulse(1e-5, delay=1e-3, width=1e-3, per_area=False)), ("0", "a"))
    return c


#: name -> (factory, one-line description, suggested duration [s])
BUILTIN_CIRCUITS: dict[str, tuple[Callable[[], Circuit], str, float]] = {
    "hh-pair": (hh_pair, "two hh-squid neurons joined by an excitatory synapse", 0.05),
    "passive-cable": (
        lambda: passive_cable(),
        "Rallpack 1: a passive cable of 1000 compartments, 0.1 nA into x = 0",
        0.25,
    ),
}


def builtin_circuit(name: str) -> Circuit:
    return BUILTIN_CIRCUITS[name][0]()
