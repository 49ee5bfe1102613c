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
    voltages = np.asarray(voltages, dtype=float)
    pairs = [f"{i}, {num(v)}" for i, v in enumerate(voltages)]
    body = ",\n+ ".join(", ".join(pairs[i : i + 6]) for i in range(0, len(pairs), 6))
    return (
        "\n".join(
            [
                f"* devicekit: {label}",
                SPICE_FUNCTIONS,
                "vindex index 0 DC 0",
                f"bvin vin 0 V = pwl(V(index), {body})",
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
    """A TOML card: the fitted model, its parameters with uncertainties, and provenance. An
    ohmic fit is also a complete devicekit membrane card (one ohmic channel on 1 m^2, so that
    its conductance density in S/m^2 equals the fitted conductance in S)."""
    import tomli_w

    from devicekit import __version__
    from devicekit.units import quantity_text

    data = {
        "devicekit": 1,
        "model": {
            "name": f"fitted-{result.model.name}",
            "kind": "membrane" if result.model.name == "ohmic" else "fit",
            "description": result.model.description,
            "reference": f"fitted by devicekit {__version__} to {result.dataset or 'data'}",
        },
        "fit": {
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
        },
    }
    if result.model.name == "ohmic":
        data["membrane"] = {"capacitance": "1uF/cm2", "area": "1m2", "temperature": "20degC"}
        data["channels"] = [
            {
                "name": "pore",
                "kind": "ohmic",
                "conductance": quantity_text(result.values["g"], "S/m2", "conductance_density"),
                "reversal": quantity_text(result.values["E"], "mV", "voltage"),
            }
        ]
    return tomli_w.dumps(data)
