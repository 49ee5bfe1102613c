"""Circuit cards: a circuit as a TOML file, parsed, never executed.

::

    devicekit = 1

    [circuit]
    name = "pair"
    nodes = ["a", "b"]            # every node but ground ("0"), declared
    tstop = "50ms"                # the duration `devicekit simulate` and exports run
    # start = "-65mV"             # optional: nodes held there while the start is found

    [[instances]]
    name = "pre"
    device = "hh-squid"           # a built-in, a model card (relative to this file), ...
    nodes = ["a", "0"]

    [[instances]]
    name = "post"
    device = "hh-squid"
    nodes = ["b", "0"]
    set = { "k.conductance" = "30mS/cm2" }      # per-instance overrides, with units

    [[instances]]
    name = "syn"
    device = "chemical-synapse"   # or chemical-synapse:inhibitory
    nodes = ["a", "b", "0"]
    set = { conductance = "0.5mS" }

    [[instances]]
    name = "gap"
    device = "resistor"           # resistor, capacitor, vsource, isource
    nodes = ["a", "b"]
    resistance = "1MOhm"

    [[instances]]
    name = "stim"
    device = "isource"
    nodes = ["0", "a"]
    waveform = { kind = "pulse", amplitude = "10uA", delay = "1ms", width = "1ms" }

Every quantity carries its unit, read by the field metadata of what it sets; unknown keys,
nodes that are not declared, wrong numbers of nodes and unknown parameters are refused.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from devicekit import __version__
from devicekit.circuits.builtin import BUILTIN_CIRCUITS
from devicekit.circuits.circuit import Circuit, membrane_named
from devicekit.circuits.elements import ELEMENTS, Capacitor, Resistor
from devicekit.circuits.synapses import ChemicalSynapse
from devicekit.errors import InvalidInput, ModelCardError
from devicekit.io import read_regular, write_text_atomic
from devicekit.models.builtin import BUILTIN_MODELS
from devicekit.models.cards import CARD_VERSION, MAX_CARD_BYTES
from devicekit.models.cards.codec import Context, decode, encode, quantity_for_card
from devicekit.models.cards.reader import Reader
from devicekit.models.parameters import describe
from devicekit.models.paths import path_kind, value_parser
from devicekit.tomltext import load_toml
from devicekit.units import quantity_text

if TYPE_CHECKING:
    import os

__all__ = [
    "circuit_card_text",
    "find_circuit",
    "is_circuit_card",
    "load_circuit",
    "parse_circuit_card",
    "save_circuit",
]

_VALUES = {"resistor": ("resistance", "resistance"), "capacitor": ("capacitance", "capacitance")}


def _toml(path: Path) -> dict:
    raw = read_regular(path, what="circuit card", max_bytes=MAX_CARD_BYTES, error=ModelCardError)
    return load_toml(raw, str(path), ModelCardError, what="circuit card")


def is_circuit_card(path: str | os.PathLike[str]) -> bool:
    """Whether a .toml file is a circuit card (it has a ``[circuit]`` table)."""
    return "circuit" in _toml(Path(path))


def load_circuit(path: str | os.PathLike[str]) -> tuple[Circuit, float | None]:
    """A circuit card: the circuit and its ``tstop`` [s] (None when the card gives none)."""
    path = Path(path)
    return parse_circuit_card(_toml(path), str(path), base=path.parent)


def _overrides(reader: Reader, device: str, base: Path | None, where: str) -> dict:
    if "set" not in reader.table:
        return {}
    table = reader.sub("set")
    values = {}
    if device.startswith("chemical-synapse"):
        names = [f.name for f in dataclasses.fields(ChemicalSynapse)]
        for key in table.table:
            if key not in names:
                raise ModelCardError(
                    f"{where}.set: chemical-synapse has no parameter {key!r}; its parameters "
                    f"are {', '.join(names)}"
                )
            values[key] = table.quantity(key, describe(ChemicalSynapse, key).kind_of(None))
        return values
    model = membrane_named(_resolve(device, base))
    for key, text in table.table.items():
        if not isinstance(text, (str, int, float)) or isinstance(text, bool):
            raise ModelCardError(f"{where}.set.{key} must be a quantity string")
        try:
            values[key] = value_parser(key, model)(str(text))
        except InvalidInput as error:
            raise ModelCardError(f"{where}.set.{key}: {error}") from None
    return values


def _resolve(device: str, base: Path | None) -> str:
    """A device named by a card: a built-in name, or a card path relative to the card."""
    if device.endswith(".toml") and base is not None and not Path(device).is_absolute():
        return str(base / device)
    return device


def parse_circuit_card(
    data: dict[str, Any], source: str = "circuit card", base: Path | None = None
) -> tuple[Circuit, float | None]:
    """Build a circuit (and its tstop) from a parsed circuit card."""
    root = Reader(data, "card", source)
    root.check_keys({"devicekit", "circuit", "instances"})
    version = root.number("devicekit", CARD_VERSION)
    if version != CARD_VERSION:
        raise ModelCardError(f"{source}: card format version {version!r} is not supported")
    head = root.sub("circuit")
    head.check_keys({"name", "nodes", "tstop", "description", "start"})
    nodes = head.required("nodes")
    if not isinstance(nodes, list) or not all(isinstance(n, str) for n in nodes):
        raise ModelCardError(f"{source}: circuit.nodes must be a list of node names")
    circuit = Circuit(head.text("name", Path(source).stem or "circuit"))
    tstop = head.quantity("tstop", "time")
    for i in range(len(root.array("instances"))):
        reader = root.sub("instances", i)
        device = reader.text("device", required=True)
        where = f"{source}: {reader.where}"
        name = reader.text("name", required=True)
        at = reader.required("nodes")
        if not isinstance(at, list):
            raise ModelCardError(f"{where}.nodes must be a list of node names")
        unknown = [n for n in at if n != "0" and n not in nodes]
        if unknown:
            raise ModelCardError(
                f"{where}: node(s) {', '.join(map(repr, unknown))} are not declared in "
                f"circuit.nodes ({', '.join(nodes)}); declare them, or fix the name"
            )
        if device in ELEMENTS:
            element = _element(reader, device, where)
            try:
                circuit.add(name, element, nodes=tuple(at))
            except InvalidInput as error:
                raise ModelCardError(f"{source}: {error}") from None
            continue
        if not (
            device.startswith("chemical-synapse")
            or device == "iontronic-synapse"
            or device in BUILTIN_MODELS
            or device.lower().endswith(".toml")
        ):
            raise ModelCardError(
                f"{where}.device = {device!r} is unknown; give a built-in model "
                f"({', '.join(BUILTIN_MODELS)}), a model card path (.toml), "
                f"chemical-synapse[:excitatory|:inhibitory], iontronic-synapse or an element "
                f"({', '.join(ELEMENTS)})"
            )
        reader.check_keys({"name", "device", "nodes", "set"})
        overrides = _overrides(reader, device, base, where)
        try:
            instance = circuit.add(name, _resolve(device, base), nodes=tuple(at), **overrides)
        except InvalidInput as error:
            raise ModelCardError(f"{source}: {error}") from None
        circuit.instances[name] = dataclasses.replace(instance, source=device)
    unused = sorted(set(nodes) - circuit.nodes)
    if unused:
        raise ModelCardError(f"{source}: declared node(s) {unused} connect to nothing")
    if "start" in head.table:  # one voltage for every node, or a table by node
        if isinstance(head.table["start"], dict):
            held = head.sub("start")
            for node in held.table:
                circuit.start_at(held.quantity(node, "voltage"), [node])
        else:
            circuit.start_at(head.quantity("start", "voltage"))
    return circuit, tstop


def _element(reader: Reader, kind: str, where: str):
    if kind in _VALUES:
        key, quantity = _VALUES[kind]
        reader.check_keys({"name", "device", "nodes", key})
        return ELEMENTS[kind](reader.quantity(key, quantity, required=True))
    reader.check_keys({"name", "device", "nodes", "waveform"})
    context = Context(absolute=True, voltage_source=kind == "vsource")
    return ELEMENTS[kind](decode(reader.sub("waveform"), "stimulus", context))


def circuit_card_text(circuit: Circuit, tstop: float | None = None) -> str:
    """The TOML text of a circuit card. Instances must name their devices (built-ins or
    card paths), as circuits read from cards and made with names do."""
    head = {"name": circuit.name, "nodes": sorted(circuit.nodes)}
    if tstop is not None:
        head["tstop"] = quantity_text(tstop, "ms", "time")
    if circuit.start:
        values = set(circuit.start.values())
        if len(values) == 1 and set(circuit.start) == circuit.nodes:
            head["start"] = quantity_for_card(values.pop(), "voltage")
        else:
            head["start"] = {
                n: quantity_for_card(v, "voltage") for n, v in sorted(circuit.start.items())
            }
    instances = []
    for inst in circuit.instances.values():
        table = {"name": inst.name, "device": inst.kind, "nodes": list(inst.nodes)}
        if isinstance(inst.device, (Resistor, Capacitor)):
            key, quantity = _VALUES[inst.kind]
            table[key] = quantity_for_card(getattr(inst.device, key), quantity)
        elif inst.kind in ELEMENTS:
            context = Context(absolute=True, voltage_source=inst.kind == "vsource")
            table["waveform"] = encode(inst.device.waveform, "stimulus", context)
        else:
            if inst.source is None:
                raise InvalidInput(
                    f"instance {inst.name!r} was given as an object, so a card cannot name it; "
                    "save the model as a card (save_model) and add it by its path"
                )
            table["device"] = inst.source
            if inst.overrides:
                table["set"] = {
                    key: _override_text(inst, key, value) for key, value in inst.overrides.items()
                }
        instances.append(table)
    data = {"devicekit": CARD_VERSION, "circuit": head, "instances": instances}
    header = f"# devicekit circuit card, written by devicekit {__version__}.\n\n"
    return header + tomli_w.dumps(data)


def _override_text(inst, key: str, value: float) -> str | float:
    if isinstance(inst.device, ChemicalSynapse):
        kind = describe(ChemicalSynapse, key).kind_of(None)
    else:
        kind = path_kind(inst.device, key) or "dimensionless"
    return quantity_for_card(float(value), kind)


def save_circuit(
    circuit: Circuit,
    path: str | os.PathLike[str],
    *,
    tstop: float | None = None,
    force: bool = False,
) -> Path:
    """Write a circuit card atomically; an existing file is replaced only with ``force``."""
    return write_text_atomic(Path(path), circuit_card_text(circuit, tstop), force=force)


def find_circuit(name_or_path: str | os.PathLike[str]) -> tuple[Circuit, float | None] | None:
    """A built-in circuit by name, or a circuit card by path, with its duration; None when the
    name is neither (it may then be a model)."""
    if isinstance(name_or_path, str) and name_or_path in BUILTIN_CIRCUITS:
        factory, _, duration = BUILTIN_CIRCUITS[name_or_path]
        return factory(), duration
    path = Path(str(name_or_path))
    try:
        is_card = path.suffix.lower() == ".toml" and path.is_file()
    except OSError:
        return None
    if is_card and is_circuit_card(path):
        return load_circuit(path)
    return None
