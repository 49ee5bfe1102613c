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

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.errors import InvalidInput
from devicekit.models.paths import apply_values, check_path, path_kind, value_parser

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

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


DISTRIBUTIONS: dict[str, type[Uniform] | type[Normal] | type[LogNormal]] = {
    "uniform": Uniform,
    "normal": Normal,
    "lognormal": LogNormal,
}
_CALL = re.compile(r"^\s*([a-z]+)\s*\((.*)\)\s*$")


def parse_distribution(
    text: str, parse_value: Callable[[str], float] = float
) -> Uniform | Normal | LogNormal:
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


def sweep_points(
    parameters: Mapping[str, Any], samples: int | None, seed: int | None
) -> pd.DataFrame:
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
