"""The catalogue of the data sets that ship in ``devicekit/data/measurements/``: each name
(``[dataset] name`` of its TOML card) and where its card is, read with importlib.resources."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from devicekit.errors import DataFormatError

__all__ = ["card_path", "directory", "looks_like_name", "names"]


def directory() -> Path:
    """The folder holding the packaged data sets."""
    return Path(str(resources.files("devicekit") / "data" / "measurements"))


def _cards() -> dict[str, Path]:
    """Data-set name -> its TOML card."""
    cards = {}
    for card in sorted(directory().glob("*.toml")):
        name = tomllib.loads(card.read_text(encoding="utf-8")).get("dataset", {}).get("name")
        if isinstance(name, str):
            cards[name] = card
    return cards


def names() -> list[str]:
    """The names of the packaged data sets, sorted."""
    return sorted(_cards())


def card_path(name: str) -> Path:
    """The TOML card of the data set ``name``."""
    cards = _cards()
    if name not in cards:
        raise DataFormatError(
            f"no data set named {name!r}; the packaged ones are {', '.join(sorted(cards))} "
            "(or give the path of a data file or its .toml card)"
        )
    return cards[name]


def looks_like_name(text: object) -> bool:
    """Whether ``text`` reads as a data set's name rather than a path: a string without a
    folder or an extension."""
    return isinstance(text, str) and "/" not in text and not Path(text).suffix
