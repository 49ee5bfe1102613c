"""Verilog-A export (for Spectre, Xyce and OpenVAF flows).

One module per model, pins ``vm`` (inside) and ``ref`` (outside). The membrane capacitance and
each channel are contributions to the branch (vm, ref); each dynamic gate is an internal node x
with ``I(x) <+ ddt(V(x)) - dx/dt``, so x follows its kinetics in a transient and sits at its
steady state in DC. The parameters are those of the SPICE library (area, c_m, g_<ch>, e_<ch>),
and each channel's current is a ``(*retrieve*)`` variable ``i_<ch>`` [A], outward positive, so
tools such as verilogae can evaluate it. All expressions come from the same trees as the numpy
and SPICE forms (:func:`devicekit.expr.to_verilog_a`).
"""

from __future__ import annotations

import dataclasses

from devicekit import __version__
from devicekit.expr import VERILOG_A_FUNCTIONS, Sym, to_verilog_a
from devicekit.spice.compiler import _parameters, spice_name

__all__ = ["verilog_a"]

V, E = Sym("v"), Sym("e")


def verilog_a(model) -> str:
    eq = model.equations()
    name = spice_name(model.name)
    params = _parameters(model, eq)
    states = {state: state.lower() for state in eq.states}
    names = {"v": "v", **{state: f"V({node})" for state, node in states.items()}}
    lines = [
        f"// devicekit {__version__}: Verilog-A module of model '{model.name}'"
        + (f" ({model.description})" if model.description else ""),
        *(f"// source: {model.reference}" for _ in [0] if model.reference),
        "// units: SI. Pins: vm = inside, ref = outside; current from vm to ref is outward.",
        "// Parameters: area [m^2], c_m [F/m^2], g_<channel> [S/m^2], e_<channel> [V].",
        '`include "disciplines.vams"',
        "",
        f"module {name}(vm, ref);",
        "    inout vm, ref;",
        "    electrical vm, ref;",
    ]
    if states:
        lines.append(f"    electrical {', '.join(states.values())};  // gate states")
    lines += [f"    parameter real {k} = {_real(v)};" for k, v in params.items()]
    lines += [
        f"    (*retrieve*) real i_{c.name.lower()};  // current of channel {c.name} [A]"
        for c in model.channels
    ]
    lines += [
        "    real v;",
        "",
        *("    " + line for line in VERILOG_A_FUNCTIONS.splitlines()),
        "",
        "    analog begin",
        "        v = V(vm, ref);",
        "        I(vm, ref) <+ c_m * area * ddt(V(vm, ref));",
    ]
    env = model.environment
    for channel in model.channels:
        ch = channel.name.lower()
        gate_syms = {
            g.name: Sym(eq.gate_states[(channel.name, g.name)])
            for g in channel.gates
            if not g.instantaneous
        }
        if channel.kind == "ghk":
            current = channel.current(env, V, E, gate_syms)
            text = to_verilog_a(current, {**names, "e": f"e_{ch}"})
            lines.append(f"        i_{ch} = area * {text};")
        else:
            unit = dataclasses.replace(channel, conductance=1.0).current(env, V, E, gate_syms)
            text = to_verilog_a(unit, {**names, "e": f"e_{ch}"})
            lines.append(f"        i_{ch} = area * g_{ch} * ({text});")
        lines.append(f"        I(vm, ref) <+ i_{ch};")
    for state, node in states.items():
        rate = to_verilog_a(eq.derivatives[state], names)
        lines += [
            f"        // gate state {node}: d{node}/dt [1/s]",
            f"        I({node}) <+ ddt(V({node}));",
            f"        I({node}) <+ -({rate});",
        ]
    lines += ["    end", "endmodule", ""]
    return "\n".join(lines)


def _real(value) -> str:
    from devicekit.expr import _real as real

    return real(value)
