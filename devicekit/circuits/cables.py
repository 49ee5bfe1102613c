"""Cables: unbranched chains of membrane compartments joined by axial resistors.

:func:`cable` cuts a cylinder of ``length`` and ``diameter`` into ``compartments`` equal
segments. Segment i is a compartment of the model's densities on its own area
(pi d length/N), on node ``x{i}`` (at the segment's centre, (i + 1/2) length/N from the end
x = 0), and neighbouring nodes are joined by the axial resistance of one segment,
R_a (length/N) / (pi d^2/4). The ends are sealed.

Built-ins (Rallpack, Bhalla et al. 1992):

* ``passive-cable`` (Rallpack 1): 1 mm, 1 um, R_m 4 Ohm m^2, C_m 0.01 F/m^2, R_a 1 Ohm m,
  E_m -65 mV, 1000 compartments, 0.1 nA into x = 0 from t = 0;
* ``hh-axon`` (Rallpack 3 geometry): the same cable with HH 1952 channels at 6.3 degC
  (g_Na 1200 S/m^2, E 50 mV; g_K 360 S/m^2, E -77 mV; leak 0.25 S/m^2, E -65 mV), 0.1 nA at
  x = 0.

References
----------
.. [1] U. S. Bhalla, D. H. Bilitch and J. M. Bower, "Rallpacks: a set of benchmarks for
   neuronal simulators", Trends Neurosci. 15, 453 (1992). doi:10.1016/0166-2236(92)90009-W
"""

from __future__ import annotations

import dataclasses
import math

from devicekit.circuits.circuit import Circuit
from devicekit.circuits.elements import CurrentSource, Resistor
from devicekit.errors import InvalidInput
from devicekit.models.builtin import hh_squid
from devicekit.models.cards import load_model
from devicekit.models.channels import OhmicChannel
from devicekit.models.membrane import Membrane
from devicekit.models.stimuli import Pulse

__all__ = ["cable", "hh_axon", "passive_cable"]


def cable(
    model: str | Membrane,
    length: float,
    diameter: float,
    compartments: int,
    axial_resistivity: float,
    *,
    name: str | None = None,
    current: float | None = None,
) -> Circuit:
    """An unbranched, sealed cable of ``model``'s membrane (a name, a card or a Membrane with
    per-area values), SI units; with ``current`` [A], a step into ``x0`` from t = 0."""
    source = model if isinstance(model, str) else None
    membrane = load_model(model) if isinstance(model, str) else model
    if not isinstance(membrane, Membrane) or not membrane.per_area:
        raise InvalidInput("a cable is made of a membrane with values per area (S/m2, F/m2)")
    for label, value in (("length", length), ("diameter", diameter), ("axial_resistivity",
                         axial_resistivity)):  # fmt: skip
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise InvalidInput(f"cable {label} = {value!r} must be a finite number > 0 (SI)")
    if isinstance(compartments, bool) or not isinstance(compartments, int) or compartments < 1:
        raise InvalidInput(f"cable compartments = {compartments!r} must be a whole number >= 1")
    dx = length / compartments
    area = math.pi * diameter * dx
    axial = axial_resistivity * dx / (math.pi * diameter**2 / 4)
    segment = dataclasses.replace(membrane, area=area, stimuli=())
    circuit = Circuit(name or f"{membrane.name}-cable")
    for i in range(compartments):
        instance = circuit.add(f"c{i}", segment, nodes=(f"x{i}", "0"))
        if source is not None:  # a card names it by its model and area
            circuit.instances[instance.name] = dataclasses.replace(
                instance, source=source, overrides={"area": area}
            )
    for i in range(compartments - 1):
        circuit.add(f"ra{i}", Resistor(axial), nodes=(f"x{i}", f"x{i + 1}"))
    if current is not None:
        step = Pulse(current, per_area=False)
        circuit.add("stim", CurrentSource(step), nodes=("0", "x0"))
    circuit.geometry = {"length": length, "diameter": diameter, "compartments": compartments,
                        "axial_resistivity": axial_resistivity}  # fmt: skip
    return circuit


def passive_cable(compartments: int = 1000) -> Circuit:
    """Rallpack 1: a passive cable, 0.1 nA into x = 0."""
    leak = OhmicChannel("leak", 0.25, reversal_potential=-0.065)  # 1/R_m, R_m = 4 Ohm m^2
    membrane = Membrane(
        "passive",
        0.01,
        1e-12,
        (leak,),
        279.45,
        description="passive membrane of Rallpack 1: R_m 4 Ohm m^2, C_m 0.01 F/m^2, -65 mV",
    )
    return cable(membrane, 1e-3, 1e-6, compartments, 1.0, name="passive-cable", current=1e-10)


def hh_axon(compartments: int = 1000) -> Circuit:
    """Rallpack 3's geometry with HH 1952 channels (leak 0.25 S/m^2 at -65 mV), 0.1 nA into
    x = 0."""
    base = hh_squid()
    channels = tuple(
        dataclasses.replace(c, conductance=0.25, reversal_potential=-0.065)
        if c.name == "leak"
        else c
        for c in base.channels
    )
    membrane = dataclasses.replace(base, name="hh-axon", channels=channels)
    axon = cable(membrane, 1e-3, 1e-6, compartments, 1.0, name="hh-axon", current=1e-10)
    axon.start_at(-0.065)  # as Rallpack 3: -65 mV everywhere, gates at steady state there
    return axon
