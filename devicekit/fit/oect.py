"""The ``oect`` fit model: an OECT's transfer curve at one drain voltage
(:mod:`devicekit.models.oect`), checked in ngspice on a three-pin subcircuit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from devicekit.errors import DataFormatError
from devicekit.expr import Sym, evaluate, to_spice
from devicekit.fit.base import FitModel, ParameterSpec
from devicekit.models.oect import OECT_PARAMETERS, oect_current
from devicekit.spice.compiler import num
from devicekit.spice.engine import engine
from devicekit.spice.netlist import exact_voltages
from devicekit.units import parse_quantity

__all__ = ["oect", "oect_subcircuit"]

V = Sym("v")


def oect(drain_voltage: float | None = None, carrier: str = "p",
         geometry: dict | None = None) -> FitModel:  # fmt: skip
    """I_D(V_G) at the fixed ``drain_voltage`` [V] (from the data set's ``drain_voltage``
    column or its [conditions] when not given). ``geometry`` (``channel_width``,
    ``channel_length``, ``channel_thickness`` [m]; from the data set's [device] table) turns
    k = mu C* W d / L into mu C*, reported in F/(cm V s)."""

    def build(k, v_t, delta_v, smoothing, v_d):
        return oect_current(V, v_d, k, v_t, delta_v, smoothing, carrier)

    def guess(x, y, _):
        order = np.argsort(x)
        xs, ys = x[order], y[order]
        span = float(np.ptp(xs)) or 1.0
        on = float(np.max(np.abs(ys)))
        # the half-current voltage, and a doping span of half the sweep
        half = float(xs[np.argmin(np.abs(np.abs(ys) - 0.5 * on))])
        delta_v = span / 3
        v_t = half + (delta_v / 2 if carrier == "p" else -delta_v / 2)
        v_d = float(model.constants["v_d"])
        k = on / (delta_v * abs(v_d)) if v_d else 1e-3
        return {"k": k, "v_t": v_t, "delta_v": delta_v, "smoothing": 0.1}

    model = FitModel(
        "oect",
        "gate_voltage",
        "drain_current",
        (
            ParameterSpec("k", "A/V2", 0.0, np.inf, "mA/V2", 1e3, OECT_PARAMETERS["k"][1]),
            ParameterSpec("v_t", "V", -10.0, 10.0, "mV", 1e3, OECT_PARAMETERS["v_t"][1]),
            ParameterSpec("delta_v", "V", 1e-3, 20.0, "mV", 1e3, OECT_PARAMETERS["delta_v"][1]),
            ParameterSpec("smoothing", "1", 1e-3, 1.0, description="bound width / delta_v"),
        ),
        build,
        guess,
        f"OECT transfer curve ({carrier}-type, Bernards-Malliaras, doping bounded to [0, 1])",
        constants={"v_d": 0.0 if drain_voltage is None else float(drain_voltage)},
        spice_check=lambda values, v: oect_in_spice(values, v, model.constants["v_d"], carrier),
        from_data=None
        if drain_voltage is not None
        else lambda data: _from_data(data, carrier, geometry),
        derived=None
        if not geometry
        else lambda values, stderr: _mobility(values, stderr, geometry),
    )
    return model


def _from_data(data, carrier: str, geometry):
    """One transfer curve (a single drain voltage), or a family of transfer or output curves,
    fitted at once."""
    geometry = geometry or geometry_of(data)
    if "drain_voltage" in data and np.unique(data["drain_voltage"].to_numpy(float)).size > 1:
        return oect_family(data, carrier, geometry)
    return oect(drain_voltage_of(data), carrier, geometry)


FAMILY_OFFSET = 10.0  # V: curve k sits at its swept voltage + k * FAMILY_OFFSET on the x axis


def oect_family(data, carrier: str = "p", geometry: dict | None = None):
    """(model, data) for several curves at once: transfer curves (I_D against V_G at each of
    several drain voltages) or output curves (I_D against V_D at each of several gate
    voltages), whichever column takes fewer values being the curves' label. The fit's x is
    the swept voltage plus 10 V per curve, so that its figure shows the curves side by side."""
    for column in ("gate_voltage", "drain_voltage", "drain_current"):
        if column not in data:
            raise DataFormatError(f"the oect model needs column {column!r} for a family")
    gate, drain = data["gate_voltage"].to_numpy(float), data["drain_voltage"].to_numpy(float)
    transfer = np.unique(drain).size <= np.unique(gate).size
    labels = np.unique(drain if transfer else gate)
    index = np.searchsorted(labels, drain if transfer else gate)
    swept = gate if transfer else drain
    base = oect(float(labels[0]) if transfer else 0.0, carrier, geometry)

    def voltages(x):
        k = np.clip(np.round(x / FAMILY_OFFSET).astype(int), 0, labels.size - 1)
        local = x - k * FAMILY_OFFSET
        return (local, labels[k]) if transfer else (labels[k], local)

    def function(x, values):
        v_g, v_d = voltages(np.asarray(x, dtype=float))
        expression = oect_current(Sym("vg"), Sym("vd"), *(values[p] for p in OECT_PARAMETERS),
                                  carrier=carrier)  # fmt: skip
        return evaluate(expression, {"vg": v_g, "vd": v_d})

    def guess(x, y, _):
        return base.guess(swept, y, {}) | {
            "k": float(np.max(np.abs(y))) / (np.ptp(swept) / 3 * max(np.abs(drain).max(), 1e-3))
        }

    model = replace(
        base,
        name="oect",
        x="family_position",
        build=None,
        guess=guess,
        description=f"{labels.size} OECT {'transfer' if transfer else 'output'} curves at once",
        function=function,
        spice_check=lambda values, x: oect_in_spice(values, *voltages(np.asarray(x)), carrier),
        from_data=None,
    )
    return model, data.assign(family_position=swept + index * FAMILY_OFFSET)


def oect_in_spice(values: dict, v_g, v_d, carrier: str = "p"):
    """The fitted subcircuit at each (V_G, V_D) pair: one DC sweep of an index that both the
    gate and the drain source read as tables (exact voltages)."""
    v_g, v_d = np.broadcast_arrays(np.asarray(v_g, float), np.asarray(v_d, float))
    netlist = "\n".join(
        [
            "* devicekit: fitted OECT at given gate and drain voltages",
            oect_subcircuit(values, carrier),
            "vindex index 0 DC 0",
            f"bvg g 0 V = {exact_voltages('index', v_g)}",
            f"bvd d 0 V = {exact_voltages('index', v_d)}",
            "vsense d ds 0",
            "x1 g 0 ds dk_oect",
            ".options reltol=1e-12 vntol=1e-15 abstol=1e-18",
            ".save i(vsense)",
            f".dc vindex 0 {v_g.size - 1} 1",
            ".end",
        ]
    )
    return engine().run(netlist + "\n", ["i(vsense)"]).vectors["i(vsense)"]


def geometry_of(data) -> dict | None:
    """channel_width, channel_length and channel_thickness [m] of a data set's [device] table,
    or None when it does not give all three."""
    device = data.attrs.get("device", {})
    keys = ("channel_width", "channel_length", "channel_thickness")
    if not all(key in device for key in keys):
        return None
    return {key: parse_quantity(str(device[key]), "length", name=f"[device] {key}") for key in keys}


def _mobility(values: dict, stderr: dict, geometry: dict) -> dict:
    """mu C* = k L / (W d), in F/(cm V s) (Rivnay et al. 2015's unit): 1 F/(m V s) is 0.01."""
    factor = geometry["channel_length"] / (
        geometry["channel_width"] * geometry["channel_thickness"]
    )
    scale = factor * 0.01
    return {"mu_c_star": (values["k"] * scale, stderr["k"] * scale, "F/(cm V s)")}


def drain_voltage_of(data) -> float:
    """The one drain voltage of a transfer curve: its ``drain_voltage`` column (constant) or
    its [conditions] table."""
    if "drain_voltage" in data:
        values = np.unique(data["drain_voltage"].to_numpy(dtype=float))
        if values.size != 1:
            raise DataFormatError(
                f"{data.attrs.get('source_file', 'the data')}: the oect model fits one transfer "
                f"curve at a time, but the drain voltage takes {values.size} values; select "
                "one (df[df.drain_voltage == -0.2])"
            )
        return float(values[0])
    conditions = data.attrs.get("conditions", {})
    if "drain_voltage" in conditions:
        return parse_quantity(str(conditions["drain_voltage"]), "voltage", name="drain_voltage")
    raise DataFormatError("the oect model needs the drain voltage: a column or [conditions]")


def oect_subcircuit(values: dict, carrier: str = "p", r_gate: float = 1e3,
                    c_volume: float = 1e-6, name: str = "dk_oect") -> str:  # fmt: skip
    """A three-pin ngspice subcircuit ``g s d``: the gate reaches the channel through the
    electrolyte resistance ``r_gate`` [Ohm] and the channel's volumetric capacitance
    ``c_volume`` [F] (node ``c``); the drain current follows the voltage on that capacitance,
    so in a transient the channel charges before the current changes (Bernards and
    Malliaras' ionic circuit)."""
    current = oect_current(Sym("vc"), Sym("vd"), *(values[p] for p in OECT_PARAMETERS),
                           carrier=carrier)  # fmt: skip
    text = to_spice(current, {"vc": "V(c,s)", "vd": "V(d,s)"})
    listing = ", ".join(f"{p} = {values[p]:.6g}" for p in OECT_PARAMETERS)
    return "\n".join(
        [
            f"* OECT ({carrier}-type), Bernards-Malliaras with a bounded doping: {listing}",
            f".subckt {name} g s d",
            f"rgate g c {num(r_gate)}",
            f"cvol c s {num(c_volume)}",
            f"bchannel d s I = {text}",
            f".ends {name}",
        ]
    )
