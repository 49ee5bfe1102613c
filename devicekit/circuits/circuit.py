"""``Circuit``: named nodes and device instances placed between them.

>>> import devicekit as dk
>>> c = dk.Circuit("pair")
>>> _ = c.add("pre", "hh-squid", nodes=("a", "0"))
>>> _ = c.add("post", "hh-squid", nodes=("b", "0"), **{"k.conductance": 300.0})
>>> _ = c.add("gap", dk.Resistor(1e8), nodes=("a", "b"))
>>> sorted(c.nodes)
['a', 'b']

Node ``"0"`` is ground. An instance is a membrane model (a built-in name, a card path or a
:class:`~devicekit.models.membrane.Membrane`; pins inside and outside), a synapse
(``"chemical-synapse"``; pins pre, post, ref) or an element (:mod:`devicekit.circuits.elements`).
Keyword overrides set parameters of that instance by their path (``"k.conductance"`` for a
membrane, ``conductance`` for a synapse), in SI.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from devicekit.circuits.elements import ELEMENTS
from devicekit.circuits.synapses import PRESETS, ChemicalSynapse, iontronic_synapse
from devicekit.errors import InvalidInput
from devicekit.models.cards import load_model
from devicekit.models.membrane import HH_TIME_SCALE, Membrane
from devicekit.models.paths import apply_values

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["Circuit", "Instance"]

MAX_NAME = 32
_NAME = re.compile(rf"[A-Za-z_][A-Za-z0-9_]{{0,{MAX_NAME - 1}}}")
_NODE = re.compile(rf"0|[A-Za-z_][A-Za-z0-9_]{{0,{MAX_NAME - 1}}}")
#: kinds that conduct between their pins at DC (pin index pairs)
_DC_PATHS = {"membrane": ((0, 1),), "chemical-synapse": ((1, 2),), "resistor": ((0, 1),),
             "vsource": ((0, 1),)}  # fmt: skip


@dataclass(frozen=True)
class Instance:
    """One placed device: its name, the device (overrides applied), its nodes, and how a card
    names it (``source``: a built-in or card path; ``overrides``: what was set)."""

    name: str
    device: object
    nodes: tuple[str, ...]
    source: str | None = None
    overrides: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "membrane" if isinstance(self.device, Membrane) else self.device.kind

    @property
    def pins(self) -> tuple[str, ...]:
        return ("vm", "ref") if isinstance(self.device, Membrane) else self.device.pins


def membrane_named(name: str) -> Membrane:
    """A membrane a circuit names: ``iontronic-synapse``, a built-in model or a card path."""
    return iontronic_synapse() if name == "iontronic-synapse" else load_model(name)


def _device(spec, overrides: dict, where: str):
    """The device an ``add`` names, with its overrides applied, and its card source."""
    if isinstance(spec, str):
        if spec == "chemical-synapse" or spec.startswith("chemical-synapse:"):
            preset = spec.partition(":")[2] or "excitatory"
            if preset not in PRESETS:
                raise InvalidInput(
                    f"{where}: synapse preset {preset!r} is unknown; choose one of "
                    f"{', '.join(PRESETS)}"
                )
            return _synapse(ChemicalSynapse(**PRESETS[preset]), overrides, where), spec
        return _membrane(membrane_named(spec), overrides, where), spec
    if isinstance(spec, Membrane):
        return _membrane(spec, overrides, where), None
    if isinstance(spec, ChemicalSynapse):
        return _synapse(spec, overrides, where), None
    if isinstance(spec, tuple(ELEMENTS.values())):
        if overrides:
            raise InvalidInput(
                f"{where}: a {spec.kind} takes no overrides ({', '.join(overrides)}); give its "
                "value when you make it"
            )
        return spec, None
    raise InvalidInput(
        f"{where}: cannot place {type(spec).__name__}; give a model name or card, a Membrane, "
        "'chemical-synapse', or an element (Resistor, Capacitor, VoltageSource, CurrentSource)"
    )


def _membrane(model: Membrane, overrides: dict, where: str) -> Membrane:
    try:
        return apply_values(model, overrides) if overrides else model
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error}") from None


def _synapse(synapse: ChemicalSynapse, overrides: dict, where: str) -> ChemicalSynapse:
    known = [f.name for f in dataclasses.fields(synapse)]
    unknown = [k for k in overrides if k not in known]
    if unknown:
        raise InvalidInput(
            f"{where}: chemical-synapse has no parameter {', '.join(map(repr, unknown))}; its "
            f"parameters are {', '.join(known)}"
        )
    return dataclasses.replace(synapse, **{k: float(v) for k, v in overrides.items()})


class Circuit:
    """Named nodes (``"0"`` is ground) and device instances between them."""

    def __init__(self, name: str = "circuit"):
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}", name):
            raise InvalidInput(
                f"circuit name {name!r} must be 1 to 64 letters, digits, '-', '_', '.' or '+'"
            )
        self.name = name
        self.instances: dict[str, Instance] = {}
        #: node -> voltage [V] held while the starting point is found (Rallpack's start at
        #: -65 mV everywhere): the states start at their steady values for these voltages
        self.start: dict[str, float] = {}
        #: a cable's length, diameter [m], compartments and axial resistivity [Ohm m], set by
        #: :func:`devicekit.cable`: its conduction velocity and space-time figure use them
        self.geometry: dict | None = None

    def __repr__(self) -> str:
        return (
            f"Circuit({self.name!r}, {len(self.instances)} instances, nodes {sorted(self.nodes)})"
        )

    def time_scale(self) -> float:
        """The fastest relevant time constant [s] of the circuit's membranes (the shortest of
        their :meth:`~devicekit.models.membrane.Membrane.time_scale`), which sets the steps of
        the transient presets; hh-squid's for a circuit without membranes."""
        scales = [i.device.time_scale() for i in self.instances.values()
                  if isinstance(i.device, Membrane)]  # fmt: skip
        return min(scales, default=HH_TIME_SCALE)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Circuit)
            and self.name == other.name
            and list(self.instances.values()) == list(other.instances.values())
            and self.start == other.start
        )

    @property
    def nodes(self) -> set[str]:
        """The circuit's nodes, ground excepted."""
        return {n for i in self.instances.values() for n in i.nodes} - {"0"}

    def add(self, name: str, device: Any, nodes: Sequence[str], **overrides: Any) -> Instance:
        """Place ``device`` between ``nodes`` under ``name``; keyword overrides set parameters
        of this instance by path (SI values)."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidInput(
                f"instance name {name!r} must be an ASCII identifier of 1 to {MAX_NAME} "
                "letters, digits and underscores, starting with a letter (pre, syn1, gap)"
            )
        if name.lower() in {n.lower() for n in self.instances}:
            raise InvalidInput(f"instance {name!r} is already in circuit {self.name!r}")
        where = f"instance {name!r}"
        made, source = _device(device, overrides, where)
        instance = Instance(name, made, tuple(nodes) if not isinstance(nodes, str) else (nodes,),
                            source, dict(overrides))  # fmt: skip
        if len(instance.nodes) != len(instance.pins):
            raise InvalidInput(
                f"{where}: a {instance.kind} has {len(instance.pins)} pins "
                f"({', '.join(instance.pins)}), so it needs {len(instance.pins)} nodes, not "
                f"{len(instance.nodes)} ({', '.join(map(str, instance.nodes))})"
            )
        for node in instance.nodes:
            if not isinstance(node, str) or not _NODE.fullmatch(node):
                raise InvalidInput(
                    f"{where}: node {node!r} must be '0' (ground) or an ASCII identifier of at "
                    f"most {MAX_NAME} characters (a, x0, soma)"
                )
        self.instances[name] = instance
        return instance

    def start_at(self, voltage: float, nodes: Iterable[str] | None = None) -> None:
        """Start the transient with ``nodes`` (default: every node) at ``voltage`` [V] and the
        states at their steady values there, instead of at the operating point."""
        if (
            isinstance(voltage, bool)
            or not isinstance(voltage, (int, float))
            or not (abs(voltage) < 1e3)
        ):
            raise InvalidInput(f"start voltage {voltage!r} must be a finite number of volts")
        for node in self.nodes if nodes is None else nodes:
            if node not in self.nodes:
                raise InvalidInput(f"start_at: {node!r} is not a node of {self.name!r}")
            self.start[node] = float(voltage)

    def check(self) -> None:
        """Refuse a circuit SPICE cannot solve: a node with no DC path to ground (floating), or
        a loop of voltage sources."""
        if not self.instances:
            raise InvalidInput(f"circuit {self.name!r} is empty; add instances first")
        parent: dict[str, str] = {}

        def find(node):
            while parent.setdefault(node, node) != node:
                node = parent[node]
            return node

        for instance in self.instances.values():
            if instance.kind == "vsource":
                a, b = (find(n) for n in instance.nodes)
                if a == b:
                    raise InvalidInput(
                        f"voltage source {instance.name!r} closes a loop of voltage sources "
                        f"(between {instance.nodes[0]!r} and {instance.nodes[1]!r}); remove one"
                    )
                parent[a] = b
        grounded = {"0"}
        paths = [
            (inst.nodes[i], inst.nodes[j])
            for inst in self.instances.values()
            for i, j in _DC_PATHS.get(inst.kind, ())
        ]
        changed = True
        while changed:
            changed = False
            for a, b in paths:
                if (a in grounded) != (b in grounded):
                    grounded |= {a, b}
                    changed = True
        floating = sorted(self.nodes - grounded)
        if floating:
            raise InvalidInput(
                f"node(s) {', '.join(map(repr, floating))} of circuit {self.name!r} have no DC "
                "path to ground (floating): connect them through a membrane, a resistor or a "
                "source"
            )
