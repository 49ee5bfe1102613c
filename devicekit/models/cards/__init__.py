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

A device in its own units (a fluidic memristor, the iontronic neuron) has no ``area`` in its
``[membrane]`` table, and its quantities are absolute::

    [model]
    name = "conical-memristor"
    kind = "memristor"

    [membrane]
    capacitance = "1aF"
    temperature = "20degC"

    [[channels]]
    name = "cone"
    kind = "hh"
    conductance = "2.3998pS"

Ion pools and pumps (:mod:`devicekit.models.pools`) are ``[[pool]]`` and ``[[pump]]`` tables::

    [[pool]]
    ion = "K"
    side = "outside"       # or "inside"
    depth = "30nm"         # a shell under the membrane (volume = depth * area); or volume
    initial = "16.3mM"     # default: the membrane's solution on that side
    tau = "30ms"           # optional relaxation ...
    bath = "16.3mM"        # ... towards this value (default: initial)

    [[pump]]
    kind = "na-k-pump"     # na-k-pump, calcium-pump or buffer
    max_current = "1uA/cm2"
    km_na = "10mM"
    km_k = "1.5mM"

A channel that gives ``reversal`` keeps that fixed battery even when its ion has a pool (its
current still feeds the pool); without ``reversal`` its battery is the Nernst potential of its
ion, from the pools where there are some.

The channels, gates, rates, stimuli, pools and pumps are written and read from their dataclass
fields and field metadata (:mod:`devicekit.models.cards.codec`), not by hand.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import tomli_w

from devicekit import __version__
from devicekit.errors import ModelCardError
from devicekit.io import read_regular, write_text_atomic
from devicekit.models.builtin import BUILTIN_MODELS, builtin_model
from devicekit.models.cards.codec import Context, decode, encode, quantity_for_card
from devicekit.models.cards.reader import Reader
from devicekit.models.ions import get_ion
from devicekit.models.membrane import DEVICE_KINDS, MAX_MODEL_NAME, Membrane
from devicekit.tomltext import load_toml
from devicekit.units import quantity_text

__all__ = ["CARD_VERSION", "card_text", "load_model", "parse_card", "save_model"]

CARD_VERSION = 1
MAX_CARD_BYTES = 1_000_000


# ----------------------------------------------------------------------------- reading
def _concentrations(reader: Reader, key: str) -> dict[str, float]:
    if key not in reader.table:
        return {}
    table = reader.sub(key)
    values = {}
    for ion in table.table:
        get_ion(ion)
        values[ion] = table.quantity(ion, "concentration", required=True)
    return values


def _name_from(source: str) -> str:
    """A model name from a card's file name, when the card gives none."""
    stem = re.sub(r"[^A-Za-z0-9_.+-]", "_", Path(source).stem).lstrip("_.+-")
    return stem[:MAX_MODEL_NAME] or "card"


def parse_card(data: dict[str, Any], source: str = "card") -> Membrane:
    """Build a model from a parsed card (a dict, as :mod:`tomllib` returns it)."""
    root = Reader(data, "card", source)
    # [fit] is the provenance of a fitted card (devicekit fit); it does not change the model
    root.check_keys(
        {"devicekit", "model", "membrane", "channels", "stimuli", "pool", "pump", "fit"}
    )
    version = root.number("devicekit", CARD_VERSION)
    if version != CARD_VERSION:
        raise ModelCardError(
            f"{source}: card format version {version!r} is not supported "
            f"(this devicekit reads version {CARD_VERSION})"
        )
    model = root.sub("model") if "model" in data else Reader({}, "model", source)
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
    membrane.check_keys({"capacitance", "area", "temperature", "inside", "outside", "activity"})
    # a [membrane] without an area is a device in its own units (S, F, A)
    absolute = "area" not in membrane.table
    context = Context(absolute=absolute)
    channels = tuple(
        decode(root.sub("channels", i), "channel", context)
        for i in range(len(root.array("channels")))
    )
    if not channels:
        raise ModelCardError(f"{source}: the card defines no [[channels]]")
    stimuli = tuple(
        decode(root.sub("stimuli", i), "stimulus", context)
        for i in range(len(root.array("stimuli")))
    )
    for i in range(len(root.array("pool"))):
        if {"volume", "depth"} <= set(root.sub("pool", i).table):
            raise ModelCardError(
                f"{source}: pool[{i}] gives both volume and depth; give one (a shell's volume "
                "is depth * area)"
            )
    pools = tuple(decode(root.sub("pool", i), "pool") for i in range(len(root.array("pool"))))
    pumps = tuple(
        decode(root.sub("pump", i), "pump", context) for i in range(len(root.array("pump")))
    )
    return Membrane(
        name=model.text("name", _name_from(source)),
        capacitance=membrane.quantity(
            "capacitance", "capacitance" if absolute else "capacitance_density", required=True
        ),
        area=1.0 if absolute else membrane.quantity("area", "area", required=True),
        channels=channels,
        temperature=membrane.quantity("temperature", "temperature", 310.15),
        inside=_concentrations(membrane, "inside"),
        outside=_concentrations(membrane, "outside"),
        stimuli=stimuli,
        description=model.text("description", ""),
        reference=model.text("reference", ""),
        device=kind,
        per_area=not absolute,
        pools=pools,
        pumps=pumps,
        activity=membrane.text("activity", "ideal"),
    )


def _toml_load(path: Path) -> dict[str, Any]:
    raw = read_regular(path, what="model card", max_bytes=MAX_CARD_BYTES, error=ModelCardError)
    return load_toml(raw, str(path), ModelCardError, what="model card")


def load_model(name_or_path: str | os.PathLike[str]) -> Membrane:
    """A built-in model by name (``hh-squid``, see ``devicekit models``) or a card path."""
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
def card_text(model: Membrane) -> str:
    """The TOML text of a model card."""
    context = Context(absolute=not model.per_area)
    if model.per_area:
        membrane: dict[str, Any] = {
            "capacitance": quantity_text(model.capacitance, "uF/cm2", "capacitance_density"),
            "area": quantity_text(model.area, "cm2", "area"),
        }
    else:
        membrane = {"capacitance": quantity_for_card(model.capacitance, "capacitance")}
    membrane["temperature"] = quantity_text(model.temperature, "degC", "temperature")
    if model.activity != "ideal":
        membrane["activity"] = model.activity
    for side in ("inside", "outside"):
        values = getattr(model, side)
        if values:
            membrane[side] = {
                ion: quantity_text(c, "mM", "concentration") for ion, c in values.items()
            }
    data = {
        "devicekit": CARD_VERSION,
        "model": {
            "name": model.name,
            "kind": model.device,
            "description": model.description,
            "reference": model.reference,
        },
        "membrane": membrane,
        "channels": [encode(c, "channel", context) for c in model.channels],
    }
    if model.stimuli:
        data["stimuli"] = [encode(s, "stimulus", context) for s in model.stimuli]
    if model.pools:  # a shell's volume follows from its depth, which is what the card gives
        data["pool"] = [
            {k: v for k, v in encode(p, "pool").items() if not (k == "volume" and p.depth)}
            for p in model.pools
        ]
    if model.pumps:
        data["pump"] = [encode(p, "pump", context) for p in model.pumps]
    header = (
        f"# devicekit model card (format {CARD_VERSION}), written by devicekit "
        f"{__version__}.\n# Quantities carry their units; expressions use v in volts "
        "and numbers with units.\n\n"
    )
    return header + tomli_w.dumps(data)


def save_model(model: Membrane, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a model card atomically. An existing file is replaced only with ``force=True``."""
    return write_text_atomic(Path(path), card_text(model), force=force)
