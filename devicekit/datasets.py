"""The measured data sets that ship with devicekit, by name.

Each is a data file with a TOML card of metadata (source, citation, licence, units, protocol) in
``devicekit/data/measurements/`` (the top-level ``measurements/`` folder of a checkout points
there), read with :mod:`importlib.resources`, so they load the same from an installed wheel::

    >>> import devicekit as dk
    >>> dk.datasets.list()                                   # doctest: +SKIP
    ['bongartz-oect-transfer', 'hh1952-fig6-sodium', 'howorka-dna-nanopore-iv', ...]
    >>> df = dk.datasets.load("howorka-dna-nanopore-iv")     # doctest: +SKIP
    >>> df.attrs["dataset"]["citation"]                      # doctest: +SKIP

A name is accepted wherever a data set's path is (:func:`devicekit.load_measurement`, the CLI's
``devicekit fit <name>``).
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from devicekit.measurements.catalogue import card_path, directory, names
from devicekit.measurements.loader import load_measurement

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["card_path", "directory", "list", "load"]


def list() -> builtins.list[str]:
    """The names of the packaged data sets, sorted."""
    return names()


def load(name: str) -> pd.DataFrame:
    """The data set ``name`` as :func:`devicekit.load_measurement` gives it: a DataFrame with
    SI columns, its metadata (source, citation, licence) in ``attrs``."""
    return load_measurement(card_path(name))
