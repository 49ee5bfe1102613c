"""Test benches: a compiled membrane plus its stimuli and one analysis, as an ngspice netlist."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from devicekit.analyses import Analysis, DCSweep, Op, Transient
from devicekit.errors import InvalidInput
from devicekit.expr import evaluate
from devicekit.models.membrane import Membrane
from devicekit.models.pools import charge_pools
from devicekit.spice.compiler import CompiledSubcircuit, Formulation, compile_membrane, num

__all__ = ["Testbench", "testbench"]

CLAMP = "vclamp"


@dataclass
class Testbench:
    """A runnable netlist and how to read its result."""

    text: str
    analysis: object
    vectors: list[str]
    columns: dict[str, str] = field(default_factory=dict)  # vector name -> DataFrame column
    expect_until: float | None = None


def _stimulus_lines(model: Membrane, tstop: float) -> list[str]:
    lines: list[str] = []
    for i, stimulus in enumerate(model.stimuli):
        scale = model.area if stimulus.per_area else 1.0
        spec = stimulus.spice(scale, tstop)
        if stimulus.is_clamp:
            lines += [
                "* voltage clamp: holds V(vm) (its current is the membrane current)",
                f"{CLAMP} vm 0 {spec}",
            ]
        else:
            unit = "A/m^2 * area" if stimulus.per_area else "A"
            lines += [
                f"* stimulus {i}: {stimulus.kind} current into the cell ({unit})",
                f"istim{i} 0 vm {spec}",
            ]
    return lines


def _nodeset(model: Membrane, sub: CompiledSubcircuit, clamp_voltage: float | None) -> str:
    """A ``.nodeset`` line: Newton's starting point (rest, or the steady state at the clamp
    voltage), computed natively. It only seeds the iteration; the answer is ngspice's own."""

    eq = model.equations()
    if clamp_voltage is None:
        try:
            guess = model.resting_state()
        except InvalidInput:
            clamp_voltage = -0.065
    if clamp_voltage is not None:
        guess = {"v": clamp_voltage}
        guess.update(
            {s: float(evaluate(eq.steady_states[s], {"v": clamp_voltage})) for s in eq.states}
        )
    parts = [f"v(vm)={num(guess['v'])}"]
    parts += [f"v(x1.{node})={num(guess[state])}" for state, node in sub.state_nodes.items()]
    return ".nodeset " + " ".join(parts)


def pool_tolerance(models: Iterable[Membrane]) -> str:
    """`` vntol=...`` for netlists with ion pools, else "": ngspice's absolute voltage
    tolerance (1 uV) is 1% of a 0.1 uM (1e-4 mol/m^3) Ca2+ pool, so it is set to 1e-6 of the
    smallest concentration a pool starts from or relaxes to."""
    scales = [
        value
        for model in models
        for pool in model.pools
        for value in (pool.initial, pool.bath)
        if value is not None
    ]
    scales += [p.resting for model in models for p in model.pumps if p.resting is not None]
    if not scales or min(scales) * 1e-6 >= 1e-6:
        return ""
    return f" vntol={num(min(scales) * 1e-6)}"


def _check_pools_have_operating_point(model: Membrane, analysis: Analysis) -> None:
    """Refuse an operating point or DC sweep of a model whose pools conserve their amount."""
    conserved = [p.name for p in charge_pools(model)]
    if conserved and isinstance(analysis, Op):
        raise InvalidInput(
            f"model {model.name!r}: its pools {', '.join(conserved)} conserve their charge, so "
            f"a SPICE {analysis.kind} is singular; use the native backend (dk.steady_state), "
            "run a transient, or give a pool a tau"
        )
    if conserved:  # a DC clamp fixes V, but ngspice's Newton drives such pools below zero
        raise InvalidInput(
            f"model {model.name!r}: a SPICE DC sweep of pools without relaxation "
            f"({', '.join(conserved)}) is not supported (ngspice's Newton iteration leaves "
            "their physical range); use the native backend, or give a pool a tau"
        )


def exact_voltages(index_node: str, voltages: Iterable[float]) -> str:
    """``pwl(V(index_node), 0, v0, 1, v1, ...)`` with continuation lines: swept over integer
    indices (exact in floating point) it returns each requested voltage exactly, where a plain
    .dc accumulates start + step and misses -40 mV by an ulp or more."""
    pairs = [f"{i}, {num(v)}" for i, v in enumerate(voltages)]
    body = ",\n+ ".join(", ".join(pairs[i : i + 6]) for i in range(0, len(pairs), 6))
    return f"pwl(V({index_node}), {body})"


def testbench(
    model: Membrane, analysis: Analysis, formulation: Formulation | None = None
) -> Testbench:
    """Assemble the netlist that runs ``analysis`` on ``model`` (a Membrane)."""

    dc_lines: list[str] = []
    if isinstance(analysis, DCSweep):
        others = [s for s in model.stimuli if not s.is_clamp]
        model = model.with_stimuli(*others)
        voltages = analysis.voltages()
        dc_lines = [
            "* DC sweep: the clamp voltage is a table of the requested voltages",
            "vdcindex dcindex 0 DC 0",
            f"bclamp clampnode 0 V = {exact_voltages('dcindex', voltages)}",
            f"{CLAMP} vm clampnode DC 0",
        ]
    sub = compile_membrane(model, formulation)
    tstop = analysis.tstop if isinstance(analysis, Transient) else 1.0
    clamps = [s for s in model.stimuli if s.is_clamp]
    clamp_voltage = (
        float(voltages[0]) if dc_lines else clamps[0].value(0.0).item() if clamps else None
    )
    lines = [
        f"* devicekit test bench: {analysis.kind} of {model.name}",
        sub.text.rstrip("\n"),
        f"x1 vm 0 {sub.name}",
        *_stimulus_lines(model, tstop),
        *dc_lines,
    ]
    gates = {f"v(x1.{node})": state for state, node in sub.state_nodes.items()}
    has_clamp = bool(dc_lines) or any(s.is_clamp for s in model.stimuli)
    columns = {"v(vm)": "v", **gates}
    if has_clamp:
        columns[f"i({CLAMP})"] = "clamp_current"
    for channel in model.channels:  # batteries that move: the voltage across each
        if f"e_{channel.name.lower()}" in model.definition().moving:
            columns[f"v(x1.{channel.name.lower()}_e)"] = f"E_{channel.name}"
    save = " ".join(columns)
    if not isinstance(analysis, Transient):
        _check_pools_have_operating_point(model, analysis)
    lines.append(_nodeset(model, sub, clamp_voltage))
    expect = None
    if isinstance(analysis, Transient):
        max_step, reltol = analysis.settings(model.time_scale())
        lines += [
            f".options reltol={num(reltol)}{pool_tolerance([model])}",
            f".save {save}",
            f".tran {num(max_step)} {num(analysis.tstop)} 0 {num(max_step)}",
        ]
        vectors = ["time", *columns]
        expect = analysis.tstop
    elif isinstance(analysis, DCSweep):
        # a DC sweep of exactly the requested voltages: tight Newton tolerances, since the
        # steady-state gates come from Newton's iteration alone
        lines += [".options reltol=1e-12 vntol=1e-15 abstol=1e-18 itl1=500", f".save {save}"]
        lines += [f".dc vdcindex 0 {len(voltages) - 1} 1"]
        vectors = list(columns)
    elif isinstance(analysis, Op):
        lines += [f".options reltol=1e-9{pool_tolerance([model])}", f".save {save}", ".op"]
        vectors = list(columns)
    else:
        raise TypeError(f"unknown analysis {analysis!r}")
    lines.append(".end")
    return Testbench("\n".join(lines) + "\n", analysis, vectors, columns, expect)
