"""The description of a fit model: its parameters and how it is evaluated (numpy, ngspice)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.errors import InvalidInput
from devicekit.expr import Expr, Sym, evaluate
from devicekit.fit.spice import evaluate_in_spice
from devicekit.models.cards import load_model

if TYPE_CHECKING:
    from devicekit.arraytypes import ArrayLike
    from devicekit.models.channels import Channel

__all__ = ["FitModel", "ParameterSpec", "named_channel"]


@dataclass(frozen=True)
class ParameterSpec:
    """A fitted parameter: its name, SI unit, display unit and scale, and bounds [SI]."""

    name: str
    unit: str
    minimum: float = -np.inf
    maximum: float = np.inf
    display_unit: str | None = None
    display_scale: float = 1.0
    description: str = ""


@dataclass(frozen=True)
class FitModel:
    """A model y = f(v; parameters) fitted to columns ``x`` and ``y`` of a data set."""

    name: str
    x: str
    y: str
    parameters: tuple[ParameterSpec, ...]
    build: Callable[..., Expr] | None  # keyword parameters as Exprs -> Expr of v
    guess: Callable[[np.ndarray, np.ndarray, dict], dict]
    description: str = ""
    constants: dict = field(default_factory=dict)
    #: for models that are not one expression of v: numpy (x, values) -> y
    function: Callable[[np.ndarray, dict], np.ndarray] | None = None
    #: ngspice check (values, x) -> y, when the model's circuit is not a swept expression
    spice_check: Callable[[dict, np.ndarray], np.ndarray] | None = None
    #: the device the fitted values describe: (values, reference) -> a Membrane, which the
    #: fitted card holds, so that it loads, simulates and exports like a built-in
    device: Callable[[dict, str], object] | None = None
    #: the model with the constants a data set states (a transfer curve's drain voltage):
    #: DataFrame -> FitModel, or (FitModel, DataFrame) with the columns the model reads added,
    #: applied by :func:`devicekit.fit` before fitting
    from_data: Callable[[object], FitModel] | None = None
    #: quantities that follow from the fitted values: (values, stderr) -> {name: (value,
    #: stderr, unit)}, reported below the parameters (an OECT's mu C* from its geometry)
    derived: Callable[[dict, dict], dict] | None = None

    def expression(self, values: dict | None = None) -> Expr:
        """f as an expression of v; parameters are numbers when ``values`` gives them, else
        symbols of their own names."""
        args = {
            p.name: (Sym(p.name) if values is None else values[p.name]) for p in self.parameters
        }
        return self.build(**args, **self.constants)

    def in_spice(self, values: dict[str, float], v: ArrayLike) -> np.ndarray:
        """The model at voltages ``v`` computed by ngspice: its own circuit when it has one
        (``spice_check``), else a DC sweep of its expression."""
        if self.spice_check is not None:
            return self.spice_check(values, np.asarray(v, dtype=float))

        return evaluate_in_spice(self, values, v)

    def __call__(self, v: ArrayLike, values: dict[str, float]) -> Any:
        if self.function is not None:
            return self.function(np.asarray(v, dtype=float), values)

        return evaluate(self.expression(values), {"v": np.asarray(v, dtype=float)})


def named_channel(
    channel: str | Channel, kind: type | None = None, temperature: float | None = None
) -> tuple[Channel, float]:
    """(channel, temperature [K]) of ``"model:channel"`` (a built-in's or a card's channel at
    the model's temperature) or of a channel object (at ``temperature``, default 310.15 K);
    ``kind`` (a class) refuses other channels, naming those the model has."""
    if isinstance(channel, str):
        model_name, _, name = channel.partition(":")
        membrane = load_model(model_name)
        found = {c.name: c for c in membrane.channels if kind is None or isinstance(c, kind)}
        if name not in found:
            what = "channels" if kind is None else f"{str(kind.kind).upper()} channels"
            raise InvalidInput(
                f"{channel!r}: model {model_name!r} has no {what[:-1]} {name!r}; it has {what} "
                f"{sorted(found)}"
            )
        return found[name], membrane.temperature if temperature is None else temperature
    if kind is not None and not isinstance(channel, kind):
        raise InvalidInput(f"give a {kind.__name__} or 'model:channel', not {channel!r}")
    return channel, 310.15 if temperature is None else temperature
