"""Built-in circuits, by name (``devicekit simulate hh-pair``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from devicekit.circuits.cables import hh_axon, passive_cable
from devicekit.circuits.circuit import Circuit
from devicekit.circuits.elements import Capacitor, CurrentSource
from devicekit.models.builtin import conical_memristor, iontronic_neuron
from devicekit.models.iontronic import ConicalChannel
from devicekit.models.stimuli import Pulse

__all__ = ["BUILTIN_CIRCUITS", "builtin_circuit", "hh_pair", "iontronic_neuron_circuit"]


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


def iontronic_neuron_circuit(stimulus: Pulse | None = None) -> Circuit:
    """The built-in ``iontronic-neuron`` as a circuit: a capacitor ``cm`` on node ``m`` beside
    two cone devices, each a conical channel in series with its battery (the
    ``conical-memristor`` device with ``battery`` set):

    * ``fast``: one cone of L = 10 um (tau = 8.3 ms) with a +6 V battery, the excitatory branch;
    * ``slow``: twelve cones of L = 60 um in parallel (tau = 300 ms, together 2 g0) with a -4 V
      battery, the restoring branch;
    * ``cm``: 1 fF less the two devices' own 1 aF each, so that node ``m`` carries 1 fF.

    Its equations are those of the single-membrane model, so it rests at -2/3 V and fires
    all-or-none above 0.117 pA for a 20 ms pulse. As in that model, each cone's state follows
    the voltage across its whole branch (cone and battery): a cone whose state followed the
    voltage across the cone alone, with the batteries as separate sources, is another circuit
    (it rests near -2.95 V). With ``stimulus`` (a current [A] waveform), a source ``stim``
    drives node ``m``.
    """
    model = iontronic_neuron()
    fast, slow = (channel.reversal_potential for channel in model.channels)
    cone_fast = conical_memristor(ConicalChannel(length=10e-6), battery=fast)
    cone_slow = conical_memristor(ConicalChannel(length=60e-6), battery=slow)
    g_slow = model.channels[1].conductance
    cone_slow = dataclasses.replace(
        cone_slow,
        channels=(dataclasses.replace(cone_slow.channels[0], conductance=g_slow),),
    )
    c = Circuit("iontronic-neuron-circuit")
    own = cone_fast.capacitance + cone_slow.capacitance
    c.add("cm", Capacitor(model.capacitance - own), nodes=("m", "0"))
    c.add("fast", cone_fast, nodes=("m", "0"))
    c.add("slow", cone_slow, nodes=("m", "0"))
    if stimulus is not None:
        c.add("stim", CurrentSource(stimulus), nodes=("0", "m"))
    return c


#: name -> (factory, one-line description, suggested duration [s])
BUILTIN_CIRCUITS: dict[str, tuple[Callable[[], Circuit], str, float]] = {
    "hh-pair": (hh_pair, "two hh-squid neurons joined by an excitatory synapse", 0.05),
    "passive-cable": (
        lambda: passive_cable(),
        "Rallpack 1: a passive cable of 1000 compartments, 0.1 nA into x = 0",
        0.25,
    ),
    "iontronic-neuron-circuit": (
        lambda: iontronic_neuron_circuit(Pulse(2.4e-13, delay=5e-3, width=20e-3, per_area=False)),
        "iontronic-neuron as a circuit: two cone devices with batteries and 1 fF; a 0.24 pA pulse",
        0.5,
    ),
    "hh-axon": (
        lambda: hh_axon(),
        "Rallpack 3's axon: 1000 HH compartments, 0.1 nA into x = 0 (Rallpack runs 250 ms)",
        0.02,
    ),
}


def builtin_circuit(name: str) -> Circuit:
    return BUILTIN_CIRCUITS[name][0]()
