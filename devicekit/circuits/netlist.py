"""A circuit as one ngspice netlist: one ``.subckt`` per device type, an instance line per
device with its parameters, the elements and sources, and the analysis.

Each membrane or synapse instance is joined to its first node through a 0 V source
(``vsense_<instance>``), whose current is the instance's current ``i(<instance>)``: into the
membrane's inside pin, or out of the synapse's postsynaptic pin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.analyses import Transient
from devicekit.circuits.circuit import Circuit
from devicekit.errors import InvalidInput
from devicekit.expr import evaluate
from devicekit.models.membrane import Membrane
from devicekit.spice.compiler import Formulation, compile_membrane, num, spice_name
from devicekit.spice.netlist import pool_tolerance

if TYPE_CHECKING:
    from devicekit.models.definition import Definition

__all__ = ["CircuitNetlist", "circuit_netlist", "full_start", "structure"]


@dataclass
class CircuitNetlist:
    text: str
    vectors: list[str]
    #: vector -> column of the result
    columns: dict[str, str] = field(default_factory=dict)


def structure(definition: Definition) -> Any:
    """What makes two membrane definitions one subcircuit type: everything but the values."""
    return (
        tuple(definition.parameters),
        tuple(definition.derived.items()),
        tuple(definition.derivatives.items()),
        tuple(definition.algebraic.items()),
        tuple((k, t.current) for k, t in definition.channels.items()),
        definition.area,
    )


def circuit_netlist(
    circuit: Circuit, analysis: Transient, dialect: str = "ngspice"
) -> CircuitNetlist:
    """The netlist that runs a transient of ``circuit``, in ``dialect`` (``ngspice``, or
    ``ltspice`` for LTspice's if() in the device subcircuits)."""
    if not isinstance(analysis, Transient):
        raise InvalidInput("a circuit runs a transient (dk.Transient(tstop)) for now")
    circuit.check()
    tstop = analysis.tstop
    subckts: dict[object, tuple[str, object]] = {}  # structure key -> (name, base device)
    texts, lines, columns = [], [], {}
    for node in sorted(circuit.nodes):
        columns[f"v({node.lower()})"] = f"v({node})"
    uic = full_start(circuit)
    formulation = Formulation(parameters=True, nodeset=not uic, dialect=dialect)
    for instance in circuit.instances.values():
        name, device, nodes = instance.name, instance.device, instance.nodes
        if isinstance(device, Membrane):
            d = device.definition()
            key = ("membrane", structure(d))
            if key not in subckts:
                sub = spice_name(device.name)
                sub = sub if all(s[0] != sub for s in subckts.values()) else f"{sub}_{name}".lower()
                texts.append(compile_membrane(device, formulation, sub).text)
                subckts[key] = (sub, device)
            sub, base = subckts[key]
            base_values = base.definition().values()
            params = " ".join(
                f"{k}={num(v)}"
                for k, v in d.values().items()
                if k in d.parameters and v != base_values[k]
            )
            lines.append(f"vsense_{name} {nodes[0]} {name}__in 0")
            lines.append(f"x{name} {name}__in {nodes[1]} {sub} {params}".rstrip())
            for state in d.states:
                columns[f"v(x{name}.{state.lower()})".lower()] = f"{name}.{state}"
            columns[f"i(vsense_{name})".lower()] = f"i({name})"
        elif instance.kind == "chemical-synapse":
            key = ("chemical-synapse",)
            if key not in subckts:
                texts.append(device.subcircuit("dk_chemical_synapse"))
                subckts[key] = ("dk_chemical_synapse", device)
            params = " ".join(f"{k}={num(v)}" for k, v in device.parameters().items())
            lines.append(f"vsense_{name} {nodes[1]} {name}__post 0")
            lines.append(f"x{name} {nodes[0]} {name}__post {nodes[2]} dk_chemical_synapse {params}")
            columns[f"v(x{name}.r)".lower()] = f"{name}.r"
            columns[f"i(vsense_{name})".lower()] = f"i({name})"
        else:
            lines.append(device.spice(name, nodes, tstop))
            if instance.kind == "vsource":
                columns[f"i(v{name})".lower()] = f"i({name})"
    step, reltol = analysis.settings(circuit.time_scale())
    membranes = [i.device for i in circuit.instances.values() if isinstance(i.device, Membrane)]
    if uic:  # states are the instance subcircuits' nodes: v(x<instance>.<state>)
        held = [f"{k if k.startswith('v(') else 'v(x' + k + ')'}={num(v)}" for k, v in uic.items()]
        lines += [
            "* start: every node and state given (Rallpack's start), so no operating point:",
            "* the transient starts from these values (uic)",
            *(".ic " + " ".join(held[i : i + 8]) for i in range(0, len(held), 8)),
        ]
    elif circuit.start:  # held during the operating point, which sets the states there
        held = [f"v({node})={num(v)}" for node, v in sorted(circuit.start.items())]
        lines += [
            "* start: these nodes held at their voltages while the operating point is found",
            *(".ic " + " ".join(held[i : i + 8]) for i in range(0, len(held), 8)),
        ]
    text = "\n".join(
        [
            f"* devicekit circuit '{circuit.name}': {len(circuit.instances)} instances",
            *texts,
            *lines,
            f".options reltol={num(reltol)}{pool_tolerance(membranes)}",
            ".save " + " ".join(columns),
            f".tran {num(step)} {num(tstop)} 0 {num(step)}{' uic' if uic else ''}",
            ".end",
        ]
    )
    return CircuitNetlist(text + "\n", ["time", *columns], columns)


def full_start(circuit: Circuit) -> dict[str, float]:
    """Every node's, pin's and state's start when the start gives every node's voltage, else
    {}: ``v(<node>)`` for nodes and each instance's inner pin (``<instance>__in`` or
    ``__post``), ``<instance>.<state>`` for states, at their steady values there.

    ngspice applies ``.ic`` and ``.nodeset`` during an operating point through a search of
    every node per given node (quadratic: 200 s of a 1000-compartment axon's 205 s), so a start
    that is known outright skips the operating point (``uic``) and states every value instead.
    """
    if not circuit.start or set(circuit.start) != circuit.nodes - {"0"}:
        return {}

    def volts(node):
        return 0.0 if node == "0" else circuit.start[node]

    values = {f"v({node})": volts(node) for node in sorted(circuit.start)}
    steady: dict[tuple, list[tuple[str, float]]] = {}  # (device, v) -> states (a cable's
    for instance in circuit.instances.values():  # thousand compartments share one device)
        name, device, nodes = instance.name, instance.device, instance.nodes
        if isinstance(device, Membrane):
            v = volts(nodes[0]) - volts(nodes[1])
            if (id(device), v) not in steady:
                eq = device.equations()
                steady[(id(device), v)] = [
                    (state, float(evaluate(eq.steady_states[state], {"v": v})))
                    for state in eq.states
                ]
            values[f"v({name}__in)"] = volts(nodes[0])
            values.update((f"{name}.{state}", x) for state, x in steady[(id(device), v)])
        elif instance.kind == "chemical-synapse":
            values[f"v({name}__post)"] = volts(nodes[1])
            values[f"{name}.r"] = device.rest(volts(nodes[0]) - volts(nodes[2]))
    return values


def element_currents(circuit: Circuit, frame) -> dict:
    """``i(<instance>)`` of resistors, capacitors and current sources, computed from the node
    voltages and the waveforms (SPICE convention: from the first node to the second)."""
    time = frame.index.to_numpy()
    out = {}

    def voltage(node):
        return np.zeros_like(time) if node == "0" else frame[f"v({node})"].to_numpy()

    for instance in circuit.instances.values():
        a, b = instance.nodes[0], instance.nodes[-1]
        if instance.kind == "resistor":
            out[f"i({instance.name})"] = (voltage(a) - voltage(b)) / instance.device.resistance
        elif instance.kind == "capacitor":
            dv = np.gradient(voltage(a) - voltage(b), time)
            out[f"i({instance.name})"] = instance.device.capacitance * dv
        elif instance.kind == "isource":
            out[f"i({instance.name})"] = instance.device.waveform.value(time)
    return out
