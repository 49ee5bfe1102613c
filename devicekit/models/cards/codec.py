"""Cards written and read from the dataclass fields and their metadata.

One generic writer (:func:`encode`) and one generic reader (:func:`decode`) serve every device
part (channels, gates, rates, stimuli): each field's metadata gives its quantity kind (so its
unit), its name in the card, and whether it is a nested table; nothing is written twice by hand.

* a quantity is written as the shortest text in its display unit that reads back as exactly the
  same number (``"120mS/cm2"``); in a device in its own units, per-area kinds become absolute
  and get the SI prefix that suits them (``"2.4pS"``);
* a dimensionless quantity, an integer or another number is a TOML number, a string a string;
* a nested part is a table tagged with its family's tag (``kind`` or ``form``);
* a field equal to its default is left out (reading restores the default), and so is None.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from devicekit.errors import ModelCardError
from devicekit.models.channels import GHKChannel, HHChannel, OhmicChannel
from devicekit.models.definition import ABSOLUTE_KINDS
from devicekit.models.iontronic import ConicalRate
from devicekit.models.kinetics import FORMS, ROLE_KINDS, Gate, RateFunction
from devicekit.models.parameters import card_options, describe
from devicekit.models.pools import PUMP_KINDS, Pool, Pump
from devicekit.models.stimuli import STIMULUS_KINDS
from devicekit.units import KINDS, engineering_unit, quantity_text

if TYPE_CHECKING:
    from devicekit.models.cards.reader import Reader

#: a dataclass field
Field: TypeAlias = "dataclasses.Field[Any]"

__all__ = ["FAMILIES", "Context", "decode", "encode", "quantity_for_card"]

#: display units of quantities in cards, by kind
DISPLAY_UNITS = {
    "capacitance_density": "uF/cm2",
    "area": "cm2",
    "temperature": "degC",
    "conductance_density": "mS/cm2",
    "voltage": "mV",
    "permeability": "cm/s",
    "concentration": "mM",
    "frequency": "/ms",
    "time": "ms",
    "current_density": "uA/cm2",
    "inverse_voltage": "/V",
    "volume": "um3",
}
#: kinds written with the SI prefix that suits each value (devices in their own units)
ENGINEERING = {"conductance": "S", "capacitance": "F", "current": "A"}

#: family -> (tag key, tag value -> class)
FAMILIES: dict[str, tuple[str | None, dict[Any, type]]] = {
    "channel": ("kind", {"ohmic": OhmicChannel, "ghk": GHKChannel, "hh": HHChannel}),
    "stimulus": ("kind", dict(STIMULUS_KINDS)),
    "rate": ("form", {**{form: RateFunction for form in FORMS}, "conical": ConicalRate}),
    "gate": (None, {None: Gate}),
    "pool": (None, {None: Pool}),
    "pump": ("kind", dict.fromkeys(PUMP_KINDS, Pump)),
}


@dataclass(frozen=True)
class Context:
    """What a part's kinds depend on: whether the device is in its own units, and the role
    of a rate in its gate."""

    absolute: bool = False
    role: str | None = None
    #: the waveform of a voltage source: its "currents" are volts
    voltage_source: bool = False


def _kind(owner: Any, item: Field, context: Context) -> str | None:
    """The quantity kind of field ``item`` of ``owner`` (an instance when writing, a class when
    reading), or None when it is no quantity or its kind follows its unit (alternatives)."""
    described = describe(owner, item.name)
    if described is None:
        return None
    if card_options(item)["role"]:
        return ROLE_KINDS[context.role or ""]
    if callable(described.kind):
        if isinstance(owner, type):
            return None  # decided by the alternatives when reading
        kind = described.kind(owner)
        if context.voltage_source and kind in ("current", "current_density"):
            return "voltage"
    else:
        kind = described.kind
    if context.absolute and described.per_area:
        kind = ABSOLUTE_KINDS.get(kind, kind)
    return kind


def quantity_for_card(value: float, kind: str) -> str | float:
    if kind == "dimensionless":
        return value
    if kind in ENGINEERING:
        return quantity_text(value, engineering_unit(value, ENGINEERING[kind], kind), kind)
    return quantity_text(value, DISPLAY_UNITS.get(kind, KINDS[kind][0]), kind)


def _fields(cls: type, tag: str | None) -> list[Field]:
    return [
        item
        for item in dataclasses.fields(cls)
        if item.init and not card_options(item)["skip"] and item.name != tag
    ]


def _key(item: Field) -> str:
    return str(card_options(item)["key"] or item.name)


def _default(item: Field) -> Any:
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return dataclasses.MISSING


# ----------------------------------------------------------------------------- writing
def encode(obj: Any, family: str, context: Context = Context()) -> dict[str, Any]:
    """The card table of a device part."""
    tag, _ = FAMILIES[family]
    table: dict[str, Any] = {} if tag is None else {tag: getattr(obj, tag)}
    for item in _fields(type(obj), tag):
        value = getattr(obj, item.name)
        if value is None or value == _default(item):
            continue
        options = card_options(item)
        if options["nested"]:
            inner = Context(context.absolute, item.name if options["nested"] == "rate" else None)
            if options["many"]:
                table[_key(item)] = [encode(v, options["nested"], inner) for v in value]
            else:
                table[_key(item)] = encode(value, options["nested"], inner)
            continue
        kind = _kind(obj, item, context)
        if kind is None:
            table[_key(item)] = value
        elif isinstance(value, tuple):
            table[_key(item)] = [quantity_for_card(v, kind) for v in value]
        else:
            table[_key(item)] = quantity_for_card(value, kind)
    return table


# ----------------------------------------------------------------------------- reading
def decode(reader: Reader, family: str, context: Context = Context()) -> Any:
    """A device part from its card table (a :class:`~devicekit.models.cards.reader.Reader`)."""
    tag, classes = FAMILIES[family]
    value = None if tag is None else reader.text(tag, required=True)
    if value not in classes:
        what = "is not a channel kind" if family == "channel" else "is unknown"
        raise ModelCardError(
            f"{reader.source}: {reader.where}.{tag} = {value!r} {what}; choose one of "
            f"{', '.join(classes)}"
        )
    cls = classes[value]
    items = {_key(item): item for item in _fields(cls, tag)}
    reader.check_keys(set(items) | ({tag} if tag else set()))
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {tag: value} if tag is not None and tag in init else {}
    flags: dict[str, Any] = {}
    for key, item in items.items():
        if key not in reader.table:
            if _default(item) is dataclasses.MISSING:
                raise ModelCardError(f"{reader.source}: {reader.where} needs '{key}'")
            continue
        kwargs[item.name] = _read(reader, cls, item, key, context, flags)
    kwargs.update(flags)
    return cls(**kwargs)


def _read(
    reader: Reader, cls: type, item: Field, key: str, context: Context, flags: dict[str, Any]
) -> Any:
    options = card_options(item)
    if options["nested"]:
        inner = Context(context.absolute, item.name if options["nested"] == "rate" else None)
        if options["many"]:
            return tuple(
                decode(reader.sub(key, i), options["nested"], inner)
                for i in range(len(reader.array(key)))
            )
        return decode(reader.sub(key), options["nested"], inner)
    kind = _kind(cls, item, context)
    if kind is None and options["alternatives"]:
        return _read_alternatives(reader, key, options["alternatives"], flags, context)
    many = "tuple" in str(item.type)
    if kind is None or kind == "dimensionless":
        if "str" in str(item.type):
            return reader.text(key)
        if many:
            return tuple(reader.table[key])
        number = reader.number(key, required=True, integer=str(item.type) == "int")
        if number is None:  # required: the reader refuses a missing key
            raise ModelCardError(f"{reader.source}: {reader.where} needs '{key}'")
        return number if str(item.type) == "int" else float(number)
    if many:
        return reader.quantities(key, kind)
    return reader.quantity(key, kind)


def _read_alternatives(
    reader: Reader,
    key: str,
    alternatives: dict[str, dict[str, Any]],
    flags: dict[str, Any],
    context: Context,
) -> Any:
    """A quantity whose unit decides a flag: a unit with "/" is a density (``uA/cm2``, the
    first alternative, per_area), else the last (a current, ``nA``). All the quantities of one
    part must agree. A voltage source's waveform is in volts (and absolute)."""
    values = reader.table[key]
    texts = values if isinstance(values, list) else [values]
    kinds = list(alternatives)
    kind = kinds[0] if any("/" in str(text) for text in texts) else kinds[-1]
    if context.voltage_source:
        flags.update(alternatives[kinds[-1]])
        if isinstance(values, list):
            return reader.quantities(key, "voltage")
        return reader.quantity(key, "voltage")
    for name, value in alternatives[kind].items():
        if flags.get(name, value) != value:
            raise ModelCardError(
                f"{reader.source}: {reader.where}.{key} mixes per-area and absolute currents; "
                "give all of them as densities (10uA/cm2) or all as currents (1nA)"
            )
    flags.update(alternatives[kind])
    if isinstance(values, list):
        return reader.quantities(key, kind)
    return reader.quantity(key, kind)
