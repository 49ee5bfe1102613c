"""Fitted models in ngspice: evaluate a fit model over given voltages with a DC sweep, and write
fitted model cards."""

from __future__ import annotations

import numpy as np

from devicekit.expr import SPICE_FUNCTIONS, to_spice
from devicekit.spice.compiler import num

__all__ = ["evaluate_expression_in_spice", "evaluate_in_spice", "expression_netlist", "fitted_card"]


def expression_netlist(expression, voltages, label: str = "model") -> str:
    """A netlist evaluating ``expression`` (of v) at each voltage by a DC sweep of a B voltage
    source; the voltages come from an index mapped through pwl(), so they are exact."""
    from devicekit.spice.netlist import exact_voltages

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


def evaluate_expression_in_spice(expression, voltages, label: str = "model") -> np.ndarray:
    """ngspice's value of ``expression`` at each voltage (any order)."""
    from devicekit.spice.engine import engine

    voltages = np.asarray(voltages, dtype=float)
    order = np.argsort(voltages, kind="stable")
    run = engine().run(expression_netlist(expression, voltages[order], label), ["v(f)"])
    result = np.empty_like(voltages)
    result[order] = run.vectors["v(f)"]
    return result


def evaluate_in_spice(model, values: dict, voltages) -> np.ndarray:
    """ngspice's value of a fitted model at each voltage."""
    params = ", ".join(f"{k} = {num(v)}" for k, v in values.items())
    return evaluate_expression_in_spice(
        model.expression(values), voltages, f"fitted model '{model.name}' ({params})"
    )


def fitted_card(result) -> str:
    """A TOML card of the fitted model with a ``[fit]`` table (parameters, uncertainties,
    statistics, data set). Fits that describe a device give a complete, loadable model card:

    * ``ohmic``: a membrane of 1 m^2 with one ohmic channel (its conductance density in S/m^2
      equals the fitted conductance in S, its battery the fitted E);
    * ``sigmoid``: the conical memristor with the fitted g_inf(V) (built-in g0 and tau).

    Other fits are written as ``kind = "fit"`` cards (parameters only).
    """
    import sys

    import tomli_w

    from devicekit import __version__

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    provenance = {
        "model": result.model.name,
        "dataset": result.dataset,
        "rmse": result.rmse,
        "relative_rmse": result.relative_rmse,
        "r_squared": result.r_squared,
        "parameters": {
            p.name: {
                "value": result.values[p.name],
                "unit": p.unit,
                "stderr": float(result.stderr[p.name]),
            }
            for p in result.model.parameters
        },
    }
    reference = f"fitted by devicekit {__version__} to {result.dataset or 'data'}"
    device = _fitted_device(result, reference)
    if device is None:
        data = {
            "devicekit": 1,
            "model": {
                "name": f"fitted-{result.model.name}",
                "kind": "fit",
                "description": result.model.description,
                "reference": reference,
            },
        }
    else:
        from devicekit.models.cards import card_text

        data = tomllib.loads(card_text(device))
    data["fit"] = provenance
    return tomli_w.dumps(data)


def _fitted_device(result, reference: str):
    import dataclasses

    from devicekit.models.builtin import memristor_from_sigmoid
    from devicekit.models.channels import OhmicChannel
    from devicekit.models.membrane import Membrane

    if result.model.name == "ohmic":
        channel = OhmicChannel("pore", result.values["g"], reversal_potential=result.values["E"])
        return Membrane(
            "fitted-ohmic",
            1e-18,
            1.0,
            (channel,),
            293.15,
            description=result.model.description,
            reference=reference,
        )
    if result.model.name == "sigmoid":
        device = memristor_from_sigmoid(result.values)
        return dataclasses.replace(device, reference=reference)
    return None
