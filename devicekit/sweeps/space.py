"""The points of a sweep: parameter paths into a model, grids and Monte Carlo distributions.

A parameter is named by a dotted path into the model:

* ``temperature``, ``capacitance``, ``area``: the membrane's own fields (SI);
* ``inside.K``, ``outside.Na``: a concentration [mol/m^3];
* ``na.conductance``, ``k.reversal_potential``: a field of the channel named ``na``;
  ``na.m.alpha.midpoint``: a field of a rate of its gate ``m``;
* ``stimulus.amplitude``: a field of the (first) stimulus; ``stimuli.1.delay`` of another.

Values are SI numbers. Grids are crossed (every combination, the last parameter varying
fastest); distributions are sampled ``samples`` times from one seeded generator in the calling
process, so a Monte Carlo sweep gives the same points whatever runs them.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from devicekit.errors import InvalidInput, UnitError
from devicekit.models.kinetics import ROLE_KINDS
from devicekit.models.parameters import field_kind
from devicekit.units import parse_quantity

__all__ = [
    "LogNormal",
    "Normal",
    "Uniform",
    "apply_values",
    "check_path",
    "parse_distribution",
    "path_kind",
    "sweep_points",
    "value_parser",
]


@dataclass(frozen=True)
class Uniform:
    """Uniform between ``low`` and ``high``."""

    low: float
    high: float

    def __post_init__(self):
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.high > self.low):
            raise InvalidInput(
                f"uniform({self.low!r}, {self.high!r}): need finite low < high, "
                "for example uniform(0.9, 1.1)"
            )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


@dataclass(frozen=True)
class Normal:
    """Gaussian with ``mean`` and standard deviation ``std``."""

    mean: float
    std: float

    def __post_init__(self):
        if not (math.isfinite(self.mean) and math.isfinite(self.std) and self.std > 0):
            raise InvalidInput(
                f"normal({self.mean!r}, {self.std!r}): need a finite mean and std > 0, "
                "for example normal(120, 6)"
            )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean, self.std, n)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal with ``median`` and ``sigma``, the standard deviation of its logarithm:
    the usual model of fabrication spread in a dimension or a conductance (always > 0)."""

    median: float
    sigma: float

    def __post_init__(self):
        if not (
            math.isfinite(self.median) and self.median > 0 and math.isfinite(self.sigma)
        ) or not (self.sigma > 0):
            raise InvalidInput(
                f"lognormal({self.median!r}, {self.sigma!r}): need median > 0 and sigma > 0, "
                "for example lognormal(50e-9, 0.1)"
            )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.median * np.exp(rng.normal(0.0, self.sigma, n))


DISTRIBUTIONS = {"uniform": Uniform, "normal": Normal, "lognormal": LogNormal}
_CALL = re.compile(r"^\s*([a-z]+)\s*\((.*)\)\s*$")


def parse_distribution(text: str, parse_value=float):
    """``normal(120, 6)``, ``uniform(0.9, 1.1)`` or ``lognormal(50e-9, 0.1)`` -> a distribution.
    ``parse_value`` converts each argument (the command line passes a unit-aware parser)."""
    match = _CALL.match(text)
    if not match or match.group(1) not in DISTRIBUTIONS:
        raise InvalidInput(
            f"{text!r} is not a distribution; write normal(mean, std), uniform(low, high) or "
            "lognormal(median, sigma)"
        )
    args = [a.strip() for a in match.group(2).split(",")]
    if len(args) != 2 or not all(args):
        raise InvalidInput(f"{text!r}: a distribution takes two arguments")
    kind = DISTRIBUTIONS[match.group(1)]
    if kind is LogNormal:  # sigma is dimensionless
        return kind(parse_value(args[0]), _number(args[1]))
    return kind(parse_value(args[0]), parse_value(args[1]))


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a number") from None


# ---------------------------------------------------------------------------- paths into a model
def _segments(membrane, path: str) -> list[str]:
    if not isinstance(path, str) or not re.fullmatch(r"[A-Za-z_][\w]*(\.[\w]+)*", path):
        raise InvalidInput(
            f"parameter {path!r} is not a dotted path such as 'na.conductance', "
            "'stimulus.amplitude' or 'temperature'"
        )
    parts = path.split(".")
    channels = {c.name: c for c in membrane.channels}
    if parts[0] in channels:
        gates = {g.name for g in getattr(channels[parts[0]], "gates", ())}
        if len(parts) > 1 and parts[1] in gates:  # na.m.alpha.midpoint
            parts = ["channels", parts[0], "gates", *parts[1:]]
        else:
            parts = ["channels", *parts]
    elif parts[0] == "stimulus":
        parts = ["stimuli", "0", *parts[1:]]
    return parts


def _child(obj, key: str, path: str):
    """The part of ``obj`` named ``key``, for walking a path down."""
    if isinstance(obj, Mapping):
        if key not in obj:
            raise InvalidInput(
                f"parameter {path!r}: no {key!r} here; known: {', '.join(map(str, obj)) or 'none'}"
            )
        return obj[key]
    if isinstance(obj, tuple):
        if key.isdigit():
            if int(key) >= len(obj):
                raise InvalidInput(
                    f"parameter {path!r}: index {key} is out of range (there are {len(obj)})"
                )
            return obj[int(key)]
        named = [x for x in obj if getattr(x, "name", None) == key]
        if not named:
            names = [getattr(x, "name", str(i)) for i, x in enumerate(obj)]
            raise InvalidInput(
                f"parameter {path!r}: no {key!r} here; known: {', '.join(names) or 'none'}"
            )
        return named[0]
    if dataclasses.is_dataclass(obj):
        fields = [f.name for f in dataclasses.fields(obj) if f.init]
        if key not in fields:
            raise InvalidInput(
                f"parameter {path!r}: {type(obj).__name__} has no field {key!r}; "
                f"its fields are {', '.join(fields)}"
            )
        return getattr(obj, key)
    raise InvalidInput(f"parameter {path!r}: cannot go into {type(obj).__name__} at {key!r}")


def _replaced(obj, key: str, value):
    if isinstance(obj, Mapping):
        return {**obj, key: value}
    if isinstance(obj, tuple):
        if key.isdigit():
            i = int(key)
        else:
            i = next(i for i, x in enumerate(obj) if getattr(x, "name", None) == key)
        return (*obj[:i], value, *obj[i + 1 :])
    return dataclasses.replace(obj, **{key: value})


def check_path(membrane, path: str) -> float:
    """Check that ``path`` names a number in the model; return its present value."""
    obj = membrane
    parts = _segments(membrane, path)
    if parts[:1] == ["stimuli"] and not membrane.stimuli:
        raise InvalidInput(
            f"parameter {path!r}: model {membrane.name!r} has no stimulus; give one "
            "(stimuli=[Pulse(0.0)] in Python, --stim 0uA/cm2 on the command line)"
        )
    for key in parts:
        obj = _child(obj, key, path)
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        raise InvalidInput(
            f"parameter {path!r} is {obj!r}, not a number; a sweep sets numeric fields"
        )
    return float(obj)


def path_kind(membrane, path: str) -> str | None:
    """The quantity kind of the number at ``path`` (``k.conductance`` ->
    ``conductance_density``), read from the fields' metadata; None for a pure number."""
    parts = _segments(membrane, path)
    if parts[0] in ("inside", "outside"):
        return "concentration"
    chain = [membrane]
    for key in parts[:-1]:
        chain.append(_child(chain[-1], key, path))
    owner, name = chain[-1], parts[-1]
    if name == "amplitude" and len(parts) >= 2 and parts[-2] in ROLE_KINDS:
        return ROLE_KINDS[parts[-2]]  # a rate's amplitude: 1/s, s or 1 by its role
    if isinstance(owner, tuple) and len(chain) >= 2:  # an element of a tuple field
        owner, name = chain[-2], parts[-2]
    if not dataclasses.is_dataclass(owner):
        return None
    return field_kind(owner, name)


def value_parser(path: str, model=None):
    """A parser of values for ``path``: a bare number is SI; a number with a unit is converted
    to the unit the model's field metadata gives (``k.conductance`` -> S/m2)."""
    kind = None if model is None else path_kind(model, path)
    kind = None if kind == "dimensionless" else kind

    def parse(text: str) -> float:
        try:
            return float(text)  # a bare number is SI
        except ValueError:
            pass
        if kind is None:
            raise UnitError(f"{path}: {text!r}; give this parameter as a plain SI number")
        return parse_quantity(text, kind, name=path)

    return parse


def apply_values(membrane, values: Mapping[str, float]):
    """A copy of ``membrane`` with each path set to its value (validated by the model's own
    constructors, so an impossible value raises the model's error)."""
    for path, value in values.items():
        parts = _segments(membrane, path)
        chain = [membrane]
        for key in parts[:-1]:
            chain.append(_child(chain[-1], key, path))
        new = float(value)
        for obj, key in zip(reversed(chain), reversed(parts), strict=True):
            new = _replaced(obj, key, new)
        membrane = new
    return membrane


# ---------------------------------------------------------------------------- the points
#: the most points one sweep may have (each is one simulation; a table row costs memory too)
MAX_POINTS = 10_000_000


def _check_size(n_points: float, n_parameters: int) -> None:
    """Refuse, before anything is allocated, a sweep too large to tabulate or to run."""
    if n_points > MAX_POINTS:
        table = n_points * (n_parameters + 2) * 8  # parameters, point index and one measure
        raise InvalidInput(
            f"the sweep has {n_points:.3g} points, more than the limit of {MAX_POINTS:,}; its "
            f"table alone would need {table / 1e9:.3g} GB; use fewer values or samples"
        )


def sweep_points(parameters: Mapping, samples: int | None, seed: int | None):
    """A DataFrame of points (index ``point``, one column per parameter).

    Grid parameters (sequences) are crossed; distribution parameters are drawn ``samples``
    times from ``numpy.random.default_rng(seed)`` in the order the parameters are given, and
    every grid point is combined with every sample."""
    import pandas as pd

    if not parameters:
        raise InvalidInput("give at least one parameter to sweep, such as {'na.conductance': ...}")
    grid, random = {}, {}
    for path, spec in parameters.items():
        if isinstance(spec, (Uniform, Normal, LogNormal)):
            random[path] = spec
            continue
        if isinstance(spec, str):
            raise InvalidInput(
                f"parameter {path!r}: {spec!r} is text; give a list of numbers or a "
                "distribution object (parse_distribution reads 'normal(120, 6)')"
            )
        values = np.atleast_1d(np.asarray(spec, dtype=float))
        if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
            raise InvalidInput(
                f"parameter {path!r}: give a non-empty list of finite numbers, not {spec!r}"
            )
        grid[path] = values
    n_points = int(np.prod([v.size for v in grid.values()], dtype=float)) if grid else 1
    if random:
        if (
            samples is None
            or isinstance(samples, bool)
            or not isinstance(samples, (int, np.integer, float))
            or not np.isfinite(samples)
            or int(samples) != samples
            or samples < 1
        ):
            raise InvalidInput(
                f"samples = {samples!r}: a Monte Carlo sweep needs a whole number of samples "
                "of at least 1 (add samples=100, or --samples 100)"
            )
        if seed is None:
            raise InvalidInput(
                "a Monte Carlo sweep needs a seed so that it can be repeated (seed=1, --seed 1)"
            )
        if (
            isinstance(seed, bool)
            or not isinstance(seed, (int, np.integer))
            or not 0 <= seed < 2**128
        ):
            raise InvalidInput(
                f"seed = {seed!r} must be a whole number from 0 to 2**128 - 1, such as 1"
            )
        n_points *= int(samples)
    _check_size(n_points, len(parameters))
    if random:
        rng = np.random.default_rng(seed)
        draws = {path: dist.draw(rng, int(samples)) for path, dist in random.items()}
    elif samples is not None:
        raise InvalidInput("samples is only for distributions; every parameter here is a grid")
    columns = {p: [] for p in parameters}
    grid_rows = list(itertools.product(*grid.values())) if grid else [()]
    n_draws = int(samples) if random else 1
    for row in grid_rows:
        for k in range(n_draws):
            for path, value in zip(grid, row, strict=True):
                columns[path].append(float(value))
            for path in random:
                columns[path].append(float(draws[path][k]))
    frame = pd.DataFrame(columns)
    frame.index.name = "point"
    return frame
