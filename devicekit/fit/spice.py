"""Fitted models in ngspice: evaluate a fit model over given voltages with a DC sweep, and write
fitted model cards."""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

import numpy as np
import tomli_w

from devicekit import __version__
from devicekit.errors import InvalidInput
from devicekit.expr import SPICE_FUNCTIONS, to_spice
from devicekit.models.cards import card_text
from devicekit.spice.compiler import num
from devicekit.spice.engine import engine
from devicekit.spice.netlist import exact_voltages

if TYPE_CHECKING:
    from devicekit.arraytypes import ArrayLike
    from devicekit.expr import Expr
    from devicekit.fit.base import FitModel
    from devicekit.fit.result import FitResult

__all__ = ["evaluate_expression_in_spice", "evaluate_in_spice", "expression_netlist", "fitted_card"]


def expression_netlist(expression: Expr, voltages: ArrayLike, label: str = "model") -> str:
    """A netlist evaluating ``expression`` (of v) at each voltage by a DC sweep of a B voltage
    source; the voltages come from an index mapped through pwl(), so they are exact."""

    voltages = np.asarray(voltages, dtype=float)
    return (
        "\n".join(
            [
                f"* devicekit: {label}",
                SPICE_FUNCTIONS,
                "vindex index 0 DC 0",
                f"bvin vin 0 V = {exact_voltages('index', voltages)}",
                f"bf f 0 V = {to_spice(expression, {'v': 'V(vin)'})}",
                ".options reltol=1e-12 vntol=1e-15 abstol=1e-18",
                ".save v(f) v(vin)",
                f".dc vindex 0 {len(voltages) - 1} 1",
                ".end",
            ]
        )
        + "\n"
    )


def evaluate_expression_in_spice(
    expression: Expr, voltages: ArrayLike, label: str = "model"
) -> np.ndarray:
    """ngspice's value of ``expression`` at each voltage (any order)."""

    voltages = np.asarray(voltages, dtype=float)
    order = np.argsort(voltages, kind="stable")
    run = engine().run(expression_netlist(expression, voltages[order], label), ["v(f)"])
    result = np.empty_like(voltages)
    result[order] = run.vectors["v(f)"]
    return result


def evaluate_in_spice(model: FitModel, values: dict[str, float], voltages: ArrayLike) -> np.ndarray:
    """ngspice's value of a fitted model at each voltage."""
    params = ", ".join(f"{k} = {num(v)}" for k, v in values.items())
    return evaluate_expression_in_spice(
        model.expression(values), voltages, f"fitted model '{model.name}' ({params})"
    )


def fitted_card(result: FitResult) -> str:
    """A TOML model card of the device the fit describes (:attr:`FitModel.device`: a pore, a
    GHK membrane, a channel, a memristor...), with a ``[fit]`` table of provenance (parameters,
    uncertainties, statistics, data set). It loads, simulates and exports like a built-in."""
    provenance = {
        "model": result.model.name,
        "dataset": result.dataset,
        "rmse": result.rmse,
        "relative_rmse": result.relative_rmse,
        "r_squared": result.r_squared,
        "parameters": {
            p.name: {
                "value": result.values[p.name],
                "unit": result.unit_of(p),
                "stderr": float(result.stderr[p.name]),
            }
            for p in result.model.parameters
        },
    }
    reference = f"fitted by devicekit {__version__} to {result.dataset or 'data'}"
    if result.model.device is None:
        raise InvalidInput(
            f"the {result.model.name!r} fit describes no device, so it has no model card; "
            "save its report (--json) instead"
        )
    data = tomllib.loads(card_text(result.model.device(result.values, reference)))
    data["fit"] = provenance
    return tomli_w.dumps(data)
