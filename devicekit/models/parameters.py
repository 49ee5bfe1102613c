"""What a device's parameters are: unit, kind, bounds and whether they are per area.

Each numeric field of a device dataclass (a membrane, a channel, a rate, a stimulus) carries its
description in the field's ``metadata``, made by :func:`quantity`. Cards, the command line
(``--set k.conductance=30mS/cm2``), sweeps and exports read it from there, so no part of
devicekit guesses a unit from a field's name.

>>> from devicekit.models.channels import OhmicChannel
>>> describe(OhmicChannel, "conductance").unit
'S/m2'
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devicekit.units import KINDS

__all__ = ["Quantity", "both", "card", "card_options", "describe", "field_kind", "quantity"]

_KEY = "devicekit"
_CARD = "devicekit_card"


@dataclass(frozen=True)
class Quantity:
    """The description of one numeric parameter.

    Attributes
    ----------
    kind : str or callable
        A quantity kind of :data:`devicekit.units.KINDS` (``conductance_density``), or a function
        of the owning object giving it (a stimulus amplitude is a current density or a current,
        by its ``per_area`` flag).
    per_area : bool
        Whether the value is per membrane area (multiplied by the area in a circuit).
    low, high : float
        Bounds of valid values (inclusive), ``-inf``/``inf`` when open.
    doc : str
        One line for help texts and card comments.
    """

    kind: str | Callable[[Any], str]
    per_area: bool = False
    low: float = -math.inf
    high: float = math.inf
    doc: str = ""

    def kind_of(self, owner: Any) -> str:
        return self.kind(owner) if callable(self.kind) else self.kind

    def unit_of(self, owner: Any) -> str:
        return KINDS[self.kind_of(owner)][0]

    @property
    def unit(self) -> str:
        if callable(self.kind):
            raise TypeError("this parameter's unit depends on its owner; use unit_of(owner)")
        return KINDS[self.kind][0]


def quantity(
    kind: str | Callable[[Any], str],
    *,
    per_area: bool = False,
    low: float = -math.inf,
    high: float = math.inf,
    doc: str = "",
) -> dict[str, Quantity]:
    """Field metadata of a numeric parameter: ``field(metadata=quantity("voltage"))``."""
    if not callable(kind) and kind not in KINDS:
        raise ValueError(f"unknown quantity kind {kind!r}")
    return {_KEY: Quantity(kind, per_area, low, high, doc)}


def describe(owner: Any, name: str) -> Quantity | None:
    """The :class:`Quantity` of field ``name`` of a dataclass (type or instance), or None for
    a field that is not a numeric parameter."""
    for item in dataclasses.fields(owner):
        if item.name == name:
            return item.metadata.get(_KEY)
    return None


def field_kind(owner: Any, name: str) -> str | None:
    """The quantity kind of field ``name`` of ``owner`` (an instance), or None."""
    found = describe(owner, name)
    return None if found is None else found.kind_of(owner)


def card(
    *,
    key: str | None = None,
    skip: bool = False,
    nested: str | None = None,
    many: bool = False,
    role: bool = False,
    alternatives: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Field metadata for model cards, which are written and read from the fields
    (:mod:`devicekit.models.cards`):

    key
        the card's name for the field (``reversal`` for ``reversal_potential``);
    skip
        not in cards (derived from other keys, such as a stimulus's ``per_area``);
    nested, many
        a table (or, with ``many``, an array of tables) of the tagged family ``nested``
        (``rate``, ``gate``);
    role
        the quantity kind is the role of the rate in its gate (a rate amplitude: 1/s, s or 1);
    alternatives
        kind -> the fields it implies, tried in order when reading (a stimulus amplitude is a
        current density, ``per_area=True``, or a current).
    """  # fmt: skip
    return {_CARD: {"key": key, "skip": skip, "nested": nested, "many": many, "role": role,
                    "alternatives": alternatives}}  # fmt: skip


_NO_CARD = {"key": None, "skip": False, "nested": None, "many": False, "role": False,
            "alternatives": None}  # fmt: skip


def card_options(item: dataclasses.Field[Any]) -> dict[str, Any]:
    """The card metadata of a dataclass field (defaults when it has none)."""
    options: dict[str, Any] = item.metadata.get(_CARD, _NO_CARD)
    return options


def both(*metadata: dict[str, Any]) -> dict[str, Any]:
    """Merge field metadata dictionaries (a quantity and its card options)."""
    merged: dict[str, Any] = {}
    for part in metadata:
        merged.update(part)
    return merged
