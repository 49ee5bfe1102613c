"""Verilog-A export (for Spectre, Xyce and OpenVAF flows).

One module per model, pins ``vm`` (inside) and ``ref`` (outside). The membrane capacitance and
each channel are contributions to the branch (vm, ref); each dynamic gate, and each ion pool
(its concentration in mol/m^3), is an internal node x with ``I(x) <+ ddt(V(x)) - dx/dt``, so x
follows its kinetics in a transient and sits at its steady state in DC. A battery that moves
with its pools is a variable ``e_<ch>`` of the pool nodes, and each pump a contribution to the
branch. The parameters are those of the SPICE library (area, c_m, g_<ch>, e_<ch>),
and each channel's current is a ``(*retrieve*)`` variable ``i_<ch>`` [A], outward positive, so
tools such as verilogae can evaluate it. All expressions come from the same trees as the numpy
and SPICE forms (:func:`devicekit.expr.to_verilog_a`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from devicekit import __version__
from devicekit.expr import VERILOG_A_FUNCTIONS, fold, real_literal, substitute, to_verilog_a
from devicekit.spice.compiler import spice_name

if TYPE_CHECKING:
    from devicekit.models.membrane import Membrane

__all__ = ["verilog_a"]


def verilog_a(model: Membrane) -> str:
    """The Verilog-A module of a membrane, printed from its parametric definition."""
    d = model.definition()
    name = spice_name(model.name)
    states = {state: state.lower() for state in d.states}
    names = {
        "v": "v",
        **{state: f"V({node})" for state, node in states.items()},
        **{k: k for k in (*d.parameters, *d.derived, *d.moving)},
    }
    capacitance = to_verilog_a(fold(d.capacitance * d.area), names)
    lines = [
        f"// devicekit {__version__}: Verilog-A module of model '{model.name}'"
        + (f" ({model.description})" if model.description else ""),
        *(f"// source: {model.reference}" for _ in [0] if model.reference),
        "// units: SI. Pins: vm = inside, ref = outside; current from vm to ref is outward.",
        "// Parameters (SI): " + ", ".join(f"{k} [{p.unit}]" for k, p in d.parameters.items()),
        '`include "disciplines.vams"',
        "",
        f"module {name}(vm, ref);",
        "    inout vm, ref;",
        "    electrical vm, ref;",
    ]
    if states:
        lines.append(f"    electrical {', '.join(states.values())};  // gate states and pools")
    lines += [f"    parameter real {k} = {real_literal(p.value)};" for k, p in d.parameters.items()]
    lines += [
        f"    (*retrieve*) real i_{c.name.lower()};  // current of channel {c.name} [A]"
        for c in model.channels
    ]
    lines += [
        f"    (*retrieve*) real dxdt_{node};  // d{node}/dt of state {state} [1/s or mol/m3/s]"
        for state, node in states.items()
    ]
    lines += [f"    real {k};" for k in (*d.derived, *d.moving)]
    lines += [
        "    real v;",
        "",
        *("    " + line for line in VERILOG_A_FUNCTIONS.splitlines()),
        "",
        "    analog begin",
        *(f"        {k} = {to_verilog_a(e, names)};" for k, e in d.derived.items()),
        "        v = V(vm, ref);",
        f"        I(vm, ref) <+ {capacitance} * ddt(V(vm, ref));",
    ]
    for battery, nernst in d.moving.items():
        lines.append(f"        {battery} = {to_verilog_a(nernst, names)};  // moves with the pools")
    for pump, current in d.pumps.items():
        current = substitute(current, d.algebraic)
        lines.append(
            f"        I(vm, ref) <+ {to_verilog_a(fold(d.area * current), names)};  // {pump}"
        )
    for channel in model.channels:
        ch = channel.name.lower()
        current = substitute(d.channels[channel.name].current, d.algebraic)
        lines.append(f"        i_{ch} = {to_verilog_a(fold(d.area * current), names)};")
        lines.append(f"        I(vm, ref) <+ i_{ch};")
    for state, node in states.items():
        rate = to_verilog_a(substitute(d.derivatives[state], d.algebraic), names)
        what = "pool" if state in d.pools else "gate state"
        lines += [
            f"        // {what} {node}: d{node}/dt",
            f"        dxdt_{node} = {rate};",
            f"        I({node}) <+ ddt(V({node}));",
            f"        I({node}) <+ -dxdt_{node};",
        ]
    lines += ["    end", "endmodule", ""]
    return "\n".join(lines)
