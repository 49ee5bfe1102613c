"""Model cards: TOML files that describe a model in human units.

A card is parsed, never executed: values are read as TOML, quantities through
:func:`devicekit.units.parse_quantity` (a missing or wrong unit is refused), and expressions
through the whitelist parser of :mod:`devicekit.expr`. Unknown keys are refused, naming the valid
ones, so that a typo cannot silently change a model.

Example (abridged from ``devicekit export hh-squid --format card``)::

    devicekit = 1

    [model]
    name = "hh-squid"
    kind = "membrane"

    [membrane]
    capacitance = "1uF/cm2"
    area = "1cm2"
    temperature = "6.3degC"

    [[channels]]
    name = "na"
    kind = "hh"                    # ohmic, ghk or hh
    conductance = "120mS/cm2"
    reversal = "50mV"              # or leave it out and give ion = "Na" with solutions
    ion = "Na"
    q10 = 3.0
    q10_temperature = "6.3degC"

    [[channels.gates]]
    name = "m"
    power = 3
    alpha = { form = "exp_linear", amplitude = "1/ms", midpoint = "-40mV", scale = "10mV" }
    beta = { form = "exp", amplitude = "4/ms", midpoint = "-65mV", scale = "-18mV" }

:func:`save_model` writes every quantity with the shortest text that reads back as the same
number, so ``load_model(save_model(m)) == m`` exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

from devicekit.errors import ModelCardError, UnitError
from devicekit.models.channels import GHKChannel, HHChannel, OhmicChannel
from devicekit.models.kinetics import FORMS, Gate, RateFunction
from devicekit.models.membrane import DEVICE_KINDS, MAX_MODEL_NAME, Membrane
from devicekit.models.stimuli import DC, Pulse, Sine, SineClamp, StepTrain, VoltageClamp
from devicekit.units import parse_quantity, quantity_text

__all__ = ["CARD_VERSION", "card_text", "load_model", "parse_card", "save_model"]

CARD_VERSION = 1
MAX_CARD_BYTES = 1_000_000

# display units used when writing a card
_UNITS = {
    "capacitance_density": "uF/cm2",
    "area": "cm2",
    "temperature": "degC",
    "conductance_density": "mS/cm2",
    "voltage": "mV",
    "permeability": "cm/s",
    "concentration": "mM",
    "frequency": "/ms",
    "time": "ms",
    "dimensionless": "",
    "current_density": "uA/cm2",
    "current": "nA",
}
_RATE_KIND = {"alpha": "frequency", "beta": "frequency", "inf": "dimensionless", "tau": "time"}


# ----------------------------------------------------------------------------- reading
class _Reader:
    """Reads one table of a card, tracking where it is for error messages."""

    def __init__(self, table, where: str, source: str):
        if not isinstance(table, dict):
            raise ModelCardError(f"{source}: {where} must be a table, not {table!r}")
        self.table, self.where, self.source = table, where, source

    def check_keys(self, allowed: set[str]) -> None:
        unknown = set(self.table) - allowed
        if unknown:
            raise ModelCardError(
                f"{self.source}: unknown key(s) {sorted(unknown)} in {self.where}; valid keys: "
                f"{sorted(allowed)}"
            )

    def required(self, key: str):
        if key not in self.table:
            raise ModelCardError(f"{self.source}: {self.where} needs '{key}'")
        return self.table[key]

    def text(self, key: str, default=None, required=False) -> str | None:
        value = self.required(key) if required else self.table.get(key, default)
        if value is not None and not isinstance(value, str):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be a string")
        return value

    def quantity(self, key: str, kind: str, default=None, required=False):
        if key not in self.table:
            if required:
                raise ModelCardError(f"{self.source}: {self.where} needs '{key}' ({kind})")
            return default
        value = self.table[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be a quantity string")
        try:
            return parse_quantity(value, kind, name=f"{self.source}: {self.where}.{key}")
        except UnitError as error:
            raise ModelCardError(str(error)) from None

    def number(self, key: str, default=None, required=False, integer=False):
        if required and key not in self.table:
            raise ModelCardError(f"{self.source}: {self.where} needs '{key}' (a number)")
        value = self.table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be a number")
        if integer and not isinstance(value, int):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be a whole number")
        return value

    def quantities(self, key: str, kind: str, required=False) -> tuple[float, ...]:
        """An array of quantity strings, such as ``times = ["10ms", "20ms"]``."""
        if required:
            self.required(key)
        values = self.table.get(key, [])
        if not isinstance(values, list):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be an array")
        out = []
        for i, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ModelCardError(
                    f"{self.source}: {self.where}.{key}[{i}] must be a quantity string"
                )
            try:
                out.append(parse_quantity(value, kind, name=f"{self.where}.{key}[{i}]"))
            except UnitError as error:
                raise ModelCardError(f"{self.source}: {error}") from None
        return tuple(out)

    def sub(self, key: str, index: int | None = None) -> _Reader:
        value = self.table[key] if index is None else self.table[key][index]
        label = f"{self.where}.{key}" + ("" if index is None else f"[{index}]")
        return _Reader(value, label, self.source)

    def array(self, key: str) -> list:
        value = self.table.get(key, [])
        if not isinstance(value, list):
            raise ModelCardError(f"{self.source}: {self.where}.{key} must be an array of tables")
        return value


def _rate(reader: _Reader, role: str) -> RateFunction:
    form = reader.text("form", required=True)
    if form == "conical":
        from devicekit.models.iontronic import ConicalRate

        reader.check_keys({"form", "delta_g", "peclet_per_volt", "radius_ratio", "nodes"})
        return ConicalRate(
            float(reader.number("delta_g", required=True)),
            reader.quantity("peclet_per_volt", "inverse_voltage", required=True),
            float(reader.number("radius_ratio", required=True)),
            reader.number("nodes", 32, integer=True),
        )
    reader.check_keys({"form", "amplitude", "midpoint", "scale", "expression"})
    if form not in FORMS:
        raise ModelCardError(
            f"{reader.source}: {reader.where}.form = {form!r} is unknown; choose one of "
            f"{', '.join(FORMS)}"
        )
    if form == "expression":
        return RateFunction("expression", expression=reader.text("expression", required=True))
    amplitude_kind = _RATE_KIND[role]
    return RateFunction(
        form,
        reader.quantity("amplitude", amplitude_kind, default=1.0),
        reader.quantity("midpoint", "voltage", default=0.0),
        reader.quantity("scale", "voltage", default=1.0) if form != "constant" else 1.0,
    )


def _gate(reader: _Reader) -> Gate:
    reader.check_keys({"name", "power", "alpha", "beta", "inf", "tau"})
    rates = {role: _rate(reader.sub(role), role) for role in _RATE_KIND if role in reader.table}
    power = reader.number("power", 1, integer=True)
    return Gate(reader.text("name", required=True), power, **rates)


def _channel(reader: _Reader):
    kind = reader.text("kind", required=True)
    common = {"name", "kind"}
    if kind == "ohmic":
        reader.check_keys(common | {"conductance", "reversal", "ion"})
        return OhmicChannel(
            reader.text("name", required=True),
            reader.quantity("conductance", "conductance_density", required=True),
            reader.quantity("reversal", "voltage"),
            reader.text("ion"),
        )
    if kind == "ghk":
        reader.check_keys(common | {"ion", "permeability"})
        return GHKChannel(
            reader.text("name", required=True),
            reader.text("ion", required=True),
            reader.quantity("permeability", "permeability", required=True),
        )
    if kind == "hh":
        reader.check_keys(
            common | {"conductance", "reversal", "ion", "q10", "q10_temperature", "gates"}
        )
        gates = tuple(_gate(reader.sub("gates", i)) for i in range(len(reader.array("gates"))))
        return HHChannel(
            reader.text("name", required=True),
            reader.quantity("conductance", "conductance_density", required=True),
            gates,
            reader.quantity("reversal", "voltage"),
            reader.text("ion"),
            float(reader.number("q10", 1.0)),
            reader.quantity("q10_temperature", "temperature"),
        )
    raise ModelCardError(
        f"{reader.source}: {reader.where}.kind = {kind!r} is not a channel kind; choose one of "
        "ohmic, ghk, hh"
    )


def _stimulus(reader: _Reader):
    kind = reader.text("kind", required=True)
    per_area = "amplitude" in reader.table and "/" in str(reader.table["amplitude"])
    current = "current_density" if per_area else "current"
    if kind == "dc":
        reader.check_keys({"kind", "amplitude"})
        return DC(reader.quantity("amplitude", current, required=True), per_area)
    if kind == "pulse":
        reader.check_keys({"kind", "amplitude", "delay", "width", "period"})
        return Pulse(
            reader.quantity("amplitude", current, required=True),
            reader.quantity("delay", "time", 0.0),
            reader.quantity("width", "time"),
            reader.quantity("period", "time"),
            per_area=per_area,
        )
    if kind == "sine":
        reader.check_keys({"kind", "amplitude", "frequency", "offset", "delay"})
        return Sine(
            reader.quantity("amplitude", current, required=True),
            reader.quantity("frequency", "frequency", required=True),
            reader.quantity("offset", current, 0.0),
            reader.quantity("delay", "time", 0.0),
            per_area,
        )
    if kind == "steps":
        reader.check_keys({"kind", "times", "amplitudes"})
        times = reader.quantities("times", "time", required=True)
        amplitudes = reader.required("amplitudes")
        per_area = isinstance(amplitudes, list) and any("/" in str(a) for a in amplitudes)
        kind_ = "current_density" if per_area else "current"
        return StepTrain(times, reader.quantities("amplitudes", kind_), per_area=per_area)
    if kind == "vsine":
        reader.check_keys({"kind", "amplitude", "frequency", "offset"})
        return SineClamp(
            reader.quantity("amplitude", "voltage", required=True),
            reader.quantity("frequency", "frequency", required=True),
            reader.quantity("offset", "voltage", 0.0),
        )
    if kind == "vclamp":
        reader.check_keys({"kind", "holding", "times", "levels"})
        return VoltageClamp(
            reader.quantity("holding", "voltage", required=True),
            reader.quantities("times", "time"),
            reader.quantities("levels", "voltage"),
        )
    raise ModelCardError(
        f"{reader.source}: stimulus kind {kind!r} is unknown; choose dc, pulse, "
        "sine, steps or vclamp"
    )


def _concentrations(reader: _Reader, key: str) -> dict[str, float]:
    if key not in reader.table:
        return {}
    table = reader.sub(key)
    from devicekit.models.ions import get_ion

    values = {}
    for ion in table.table:
        get_ion(ion)
        values[ion] = table.quantity(ion, "concentration", required=True)
    return values


def _name_from(source: str) -> str:
    """A model name from a card's file name, when the card gives none."""
    stem = re.sub(r"[^A-Za-z0-9_.+-]", "_", Path(source).stem).lstrip("_.+-")
    return stem[:MAX_MODEL_NAME] or "card"


def parse_card(data: dict, source: str = "card") -> Membrane:
    """Build a model from a parsed card (a dict, as :mod:`tomllib` returns it)."""
    root = _Reader(data, "card", source)
    # [fit] is the provenance of a fitted card (devicekit fit); it does not change the model
    root.check_keys({"devicekit", "model", "membrane", "channels", "stimuli", "fit"})
    version = root.number("devicekit", CARD_VERSION)
    if version != CARD_VERSION:
        raise ModelCardError(
            f"{source}: card format version {version!r} is not supported "
            f"(this devicekit reads version {CARD_VERSION})"
        )
    model = root.sub("model") if "model" in data else _Reader({}, "model", source)
    model.check_keys({"name", "kind", "description", "reference"})
    kind = model.text("kind", "membrane")
    if kind not in DEVICE_KINDS:
        raise ModelCardError(
            f"{source}: model.kind = {kind!r} is not supported here; use one of "
            f"{', '.join(DEVICE_KINDS)}"
        )
    membrane = root.sub("membrane") if "membrane" in data else None
    if membrane is None:
        raise ModelCardError(f"{source}: a membrane card needs a [membrane] table")
    membrane.check_keys({"capacitance", "area", "temperature", "inside", "outside"})
    channels = tuple(_channel(root.sub("channels", i)) for i in range(len(root.array("channels"))))
    if not channels:
        raise ModelCardError(f"{source}: the card defines no [[channels]]")
    stimuli = tuple(_stimulus(root.sub("stimuli", i)) for i in range(len(root.array("stimuli"))))
    return Membrane(
        name=model.text("name", _name_from(source)),
        capacitance=membrane.quantity("capacitance", "capacitance_density", required=True),
        area=membrane.quantity("area", "area", required=True),
        channels=channels,
        temperature=membrane.quantity("temperature", "temperature", 310.15),
        inside=_concentrations(membrane, "inside"),
        outside=_concentrations(membrane, "outside"),
        stimuli=stimuli,
        description=model.text("description", ""),
        reference=model.text("reference", ""),
        device=kind,
    )


def _toml_load(path: Path) -> dict:
    from devicekit.io import read_regular
    from devicekit.tomltext import load_toml

    raw = read_regular(path, what="model card", max_bytes=MAX_CARD_BYTES, error=ModelCardError)
    return load_toml(raw, str(path), ModelCardError, what="model card")


def load_model(name_or_path):
    """A built-in model by name (``hh-squid``, see ``devicekit models``) or a card path."""
    from devicekit.models.builtin import BUILTIN_MODELS, builtin_model

    if isinstance(name_or_path, str) and name_or_path in BUILTIN_MODELS:
        return builtin_model(name_or_path)
    path = Path(name_or_path)
    try:
        exists = path.exists()
    except OSError:  # a name too long to be a path
        exists = False
    if path.suffix.lower() == ".toml" or exists:
        return parse_card(_toml_load(path), str(path))
    return builtin_model(str(name_or_path))  # raises, listing the built-in names


# ----------------------------------------------------------------------------- writing
def _q(value: float, kind: str) -> str:
    return quantity_text(value, _UNITS[kind], kind)


def _rate_table(rate: RateFunction, role: str) -> dict:
    if rate.form == "conical":
        return {
            "form": "conical",
            "delta_g": rate.delta_g,
            "peclet_per_volt": quantity_text(rate.peclet_per_volt, "/V", "inverse_voltage"),
            "radius_ratio": rate.radius_ratio,
            "nodes": rate.nodes,
        }
    if rate.form == "expression":
        return {"form": "expression", "expression": rate.expression}
    table = {"form": rate.form, "amplitude": _q(rate.amplitude, _RATE_KIND[role])}
    if rate.form != "constant":
        table.update(midpoint=_q(rate.midpoint, "voltage"), scale=_q(rate.scale, "voltage"))
    return table


def _channel_table(channel) -> dict:
    table = {"name": channel.name, "kind": channel.kind}
    if channel.kind == "ghk":
        table.update(ion=channel.ion, permeability=_q(channel.permeability, "permeability"))
        return table
    table["conductance"] = _q(channel.conductance, "conductance_density")
    if channel.reversal_potential is not None:
        table["reversal"] = _q(channel.reversal_potential, "voltage")
    if channel.ion is not None:
        table["ion"] = channel.ion
    if channel.kind == "hh":
        table["q10"] = channel.q10
        if channel.q10_temperature is not None:
            table["q10_temperature"] = _q(channel.q10_temperature, "temperature")
        table["gates"] = [
            {
                "name": g.name,
                "power": g.power,
                **{
                    role: _rate_table(getattr(g, role), role)
                    for role in _RATE_KIND
                    if getattr(g, role) is not None
                },
            }
            for g in channel.gates
        ]
    return table


def _stimulus_table(s) -> dict:
    current = "current_density" if s.per_area else "current"
    if s.kind == "dc":
        return {"kind": "dc", "amplitude": _q(s.amplitude, current)}
    if s.kind == "pulse":
        table = {
            "kind": "pulse",
            "amplitude": _q(s.amplitude, current),
            "delay": _q(s.delay, "time"),
        }
        for key in ("width", "period"):
            if getattr(s, key) is not None:
                table[key] = _q(getattr(s, key), "time")
        return table
    if s.kind == "sine":
        return {
            "kind": "sine",
            "amplitude": _q(s.amplitude, current),
            "frequency": quantity_text(s.frequency, "Hz", "frequency"),
            "offset": _q(s.offset, current),
            "delay": _q(s.delay, "time"),
        }
    if s.kind == "vsine":
        return {
            "kind": "vsine",
            "amplitude": _q(s.amplitude, "voltage"),
            "frequency": quantity_text(s.frequency, "Hz", "frequency"),
            "offset": _q(s.offset, "voltage"),
        }
    if s.kind == "steps":
        return {
            "kind": "steps",
            "times": [_q(t, "time") for t in s.times],
            "amplitudes": [_q(a, current) for a in s.amplitudes],
        }
    return {
        "kind": "vclamp",
        "holding": _q(s.holding, "voltage"),
        "times": [_q(t, "time") for t in s.times],
        "levels": [_q(v, "voltage") for v in s.levels],
    }


def card_text(model: Membrane) -> str:
    """The TOML text of a model card."""
    import tomli_w

    from devicekit import __version__

    membrane = {
        "capacitance": _q(model.capacitance, "capacitance_density"),
        "area": _q(model.area, "area"),
        "temperature": _q(model.temperature, "temperature"),
    }
    for side in ("inside", "outside"):
        values = getattr(model, side)
        if values:
            membrane[side] = {ion: _q(c, "concentration") for ion, c in values.items()}
    data = {
        "devicekit": CARD_VERSION,
        "model": {
            "name": model.name,
            "kind": model.device,
            "description": model.description,
            "reference": model.reference,
        },
        "membrane": membrane,
        "channels": [_channel_table(c) for c in model.channels],
    }
    if model.stimuli:
        data["stimuli"] = [_stimulus_table(s) for s in model.stimuli]
    header = (
        f"# devicekit model card (format {CARD_VERSION}), written by devicekit "
        f"{__version__}.\n# Quantities carry their units; expressions use v in volts "
        "and numbers with units.\n\n"
    )
    return header + tomli_w.dumps(data)


def save_model(model: Membrane, path, *, force: bool = False) -> Path:
    """Write a model card atomically. An existing file is replaced only with ``force=True``."""
    from devicekit.io import write_text_atomic

    return write_text_atomic(Path(path), card_text(model), force=force)
