"""The ``vacask`` backend of circuits: each membrane type compiled from its Verilog-A export to
OSDI by openvaf-r, and the circuit run in VACASK.

Compiled devices keep a small footprint per instance, so the cost of a cable grows linearly
with its compartments (bench/bench_axon.py). The netlist mirrors the ngspice one
(:mod:`devicekit.circuits.netlist`): one OSDI module per membrane structure, one VACASK
``model`` per distinct parameter set (Verilog-A parameters are model parameters), a 0 V source
``vsense_<instance>`` before each membrane for ``i(<instance>)``, resistors and capacitors from
VACASK's own ``resistor.osdi`` and ``capacitor.osdi``, and sources as ``pwl`` waveforms of the
same corners ngspice is given. A start on every node runs without an operating point
(``icmode="uic"``, every node and state given); a start on some nodes forces them during the
operating point. A chemical synapse is its own Verilog-A module
(:meth:`~devicekit.circuits.synapses.ChemicalSynapse.verilog_a`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.analyses import DCSweep, Transient, preset_step
from devicekit.circuits.circuit import Circuit
from devicekit.circuits.native import operating_point
from devicekit.circuits.netlist import full_start, structure
from devicekit.errors import InvalidInput, SimulationError
from devicekit.export.vacask import compile_osdi, run_vacask
from devicekit.export.veriloga import verilog_a
from devicekit.models.membrane import Membrane
from devicekit.models.stimuli import DC, Sine
from devicekit.spice.compiler import num, spice_name

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from devicekit.analyses import Analysis

__all__ = ["run_circuit_vacask", "vacask_netlist"]


def _waveform(waveform, tstop: float) -> str:
    if isinstance(waveform, DC):
        return f"dc={num(waveform.amplitude)}"
    # dc= is the value at t = 0, which an operating point uses (as ngspice's .op does)
    if isinstance(waveform, Sine):
        return (
            f'dc={num(waveform.offset)} type="sine" sinedc={num(waveform.offset)} '
            f"ampl={num(waveform.amplitude)} freq={num(waveform.frequency)} "
            f"delay={num(waveform.delay)}"
        )
    corners = getattr(waveform, "_corners", None)
    if corners is None:
        raise InvalidInput(
            f"the vacask backend takes DC, Pulse, StepTrain and Sine sources, not "
            f"{type(waveform).__name__}; run this circuit in ngspice (backend='spice')"
        )
    kept: dict[float, float] = {}  # VACASK wants strictly increasing times: the later wins
    for t, v in corners(tstop):
        kept[t] = v
    points = ", ".join(f"{num(t)}, {num(v)}" for t, v in kept.items())
    return f'dc={num(next(iter(kept.values())))} type="pwl" wave=[{points}]'


def vacask_netlist(
    circuit: Circuit, analysis: Analysis, osdi: Callable[[str, str], Any] = compile_osdi
) -> tuple[str, dict[str, str]]:
    """The VACASK netlist of a transient of ``circuit`` (or of its operating point, or of a
    DC sweep of its voltage source ``clamp``), and raw vector -> column.

    ``osdi(source, module)`` gives the path each module's Verilog-A ``source`` is loaded from
    (default: compiled now, into the cache; an export writes the source beside the netlist
    and loads ``<module>.osdi``)."""
    circuit.check()
    tstop = getattr(analysis, "tstop", 0.0)  # the sources' corners, for a transient
    modules: dict[object, str] = {}  # membrane structure -> module name
    models: dict[tuple, str] = {}  # (module, parameter values) -> model name
    loads, model_lines, lines = [], [], []
    seen: dict[int, tuple] = {}  # id(device) -> (definition, structure, parameter values)

    def model(module: str, values: tuple) -> str:
        """The VACASK model of ``module`` with these parameter values, declared once."""
        if (module, values) not in models:
            models[(module, values)] = f"m{len(models)}_{module}"
            params = " ".join(f"{k}={num(v)}" for k, v in values)
            model_lines.append(f"model {models[(module, values)]} {module} {params}")
        return models[(module, values)]

    columns = {node: f"v({node})" for node in sorted(circuit.nodes)}
    for instance in circuit.instances.values():
        name, device, nodes = instance.name, instance.device, instance.nodes
        if isinstance(device, Membrane):
            if id(device) not in seen:  # a cable's compartments share one device object
                d = device.definition()
                seen[id(device)] = (
                    d,
                    structure(d),
                    tuple((k, v) for k, v in d.values().items() if k in d.parameters),
                )
            d, key, values = seen[id(device)]
            if key not in modules:
                module = spice_name(device.name)
                if module in modules.values():
                    module = f"{module}_{len(modules)}"
                source = verilog_a(device).replace(
                    f"module {spice_name(device.name)}(", f"module {module}("
                )
                loads.append(f'load "{osdi(source, module)}"')
                modules[key] = module
            lines.append(f"vsense_{name} ({nodes[0]} {name}__in) vsrc dc=0")
            lines.append(f"{name} ({name}__in {nodes[1]}) {model(modules[key], values)}")
            for state in d.states:
                columns[f"{name}:{state.lower()}"] = f"{name}.{state}"
            columns[f"vsense_{name}:flow(br)"] = f"i({name})"
        elif instance.kind == "chemical-synapse":
            module = "dk_chemical_synapse"
            if module not in modules.values():
                loads.append(f'load "{osdi(device.verilog_a(module), module)}"')
                modules[("chemical-synapse",)] = module
            values = tuple(device.parameters().items())
            lines.append(f"vsense_{name} ({nodes[1]} {name}__post) vsrc dc=0")
            lines.append(f"{name} ({nodes[0]} {name}__post {nodes[2]}) {model(module, values)}")
            columns[f"{name}:r"] = f"{name}.r"
            columns[f"vsense_{name}:flow(br)"] = f"i({name})"
        elif instance.kind == "resistor":
            lines.append(f"{name} ({nodes[0]} {nodes[1]}) r r={num(device.resistance)}")
        elif instance.kind == "capacitor":
            lines.append(f"{name} ({nodes[0]} {nodes[1]}) c c={num(device.capacitance)}")
        elif instance.kind in ("isource", "vsource"):
            source = "isrc" if instance.kind == "isource" else "vsrc"
            wave = _waveform(device.waveform, tstop)
            lines.append(f"{name} ({nodes[0]} {nodes[1]}) {source} {wave}")
            if instance.kind == "vsource":
                columns[f"{name}:flow(br)"] = f"i({name})"
        else:
            raise InvalidInput(
                f"instance {name!r}: the vacask backend places membranes, synapses, resistors, "
                f"capacitors and sources; a {instance.kind} is not in it yet (run in ngspice: "
                "backend='spice')"
            )
    saves = " ".join(f"i(vsense_{i.name})" for i in circuit.instances.values()
                     if isinstance(i.device, Membrane)
                     or i.kind == "chemical-synapse")  # fmt: skip
    saves += " " + " ".join(f"i({i.name})" for i in circuit.instances.values()
                            if i.kind == "vsource")  # fmt: skip
    text = "\n".join(
        [
            f"devicekit circuit '{circuit.name}': {len(circuit.instances)} instances",
            "",
            *loads,
            'load "resistor.osdi"',
            'load "capacitor.osdi"',
            "",
            *model_lines,
            "model r resistor",
            "model c capacitor",
            "model isrc isource",
            "model vsrc vsource",
            "",
            *lines,
            "",
            "control",
            *_control(circuit, analysis, saves.strip()),
            "endc",
        ]
    )
    return text + "\n", columns


def _control(circuit: Circuit, analysis, saves: str) -> list[str]:
    """The control block's options, saves and analysis: a transient (its preset's step and
    tolerance); an operating point (``op1``, led by devicekit's own operating point as its
    nodeset); or a DC sweep of the voltage source ``clamp`` over the analysis's voltages."""
    if isinstance(analysis, Transient):
        step, reltol = analysis.settings(circuit.time_scale(), variable_step=True)
        options, first = f"reltol={num(reltol)}", step
        if analysis.variable_step:  # Adams-Moulton of variable order; the error set by reltol
            options += f' vntol={num(reltol * 1e-4)} tran_method="am" tran_maxord=5'
            first = min(step, preset_step("accurate", circuit.time_scale()))
        tran = f"analysis tran1 tran step={num(first)} stop={num(analysis.tstop)}"
        return [
            f"  options {options}",
            f"  save default {saves}",
            f"  {tran} maxstep={num(step)}{_start(circuit)}",
        ]
    # Newton to 1e-9 relative: a steady state to the digits the native backend gives
    lines = ["  options reltol=1e-9 vntol=1e-12 abstol=1e-15", f"  save default {saves}"]
    if isinstance(analysis, DCSweep):
        values = ", ".join(num(v) for v in analysis.voltages())
        lines.append(f'  sweep dc1 instance="clamp" parameter="dc" values=[{values}]')
        return [*lines, "    analysis op1 op"]
    start = _start(circuit)  # devicekit's operating point, as the nodeset that leads VACASK's
    nodeset = start.partition(" ic=")[2] if "uic" in start else ""
    return [*lines, "  analysis op1 op" + (f" nodeset={nodeset}" if nodeset else "")]


def _start(circuit: Circuit) -> str:
    """The transient's start: every node and state given (uic); or nodes forced during
    VACASK's operating point; or else devicekit's operating point, given as uic."""
    given = full_start(circuit)
    if circuit.start and not given:
        held = ", ".join(f'"{n}", {num(v)}' for n, v in sorted(circuit.start.items()))
        return f" ic={{{held}}}"
    if not given:
        # the operating point devicekit finds (as ngspice does, led by its .nodeset), given
        # as the start: VACASK's own op can land on another equilibrium (Morris-Lecar type I
        # has three); circuits the native backend cannot place keep VACASK's op
        try:
            given = operating_point(circuit)
        except InvalidInput:
            return ""
        for instance in circuit.instances.values():  # the sense sources' inner pins
            if isinstance(instance.device, Membrane):
                pin, node = f"{instance.name}__in", instance.nodes[0]
            elif instance.kind == "chemical-synapse":
                pin, node = f"{instance.name}__post", instance.nodes[1]
            else:
                continue
            given[f"v({pin})"] = 0.0 if node == "0" else given[f"v({node})"]
    values = []
    for key, value in given.items():  # v(<node>), or <instance>.<state>: "<instance>:<state>"
        instance, _, state = key.partition(".")
        name = key[2:-1] if key.startswith("v(") else f"{instance}:{state.lower()}"
        values.append(f'"{name}", {num(value)}')
    return f' icmode="uic" ic={{{", ".join(values)}}}'


def run_circuit_vacask(
    circuit: Circuit, analysis: Analysis, timeout: float | None = None
) -> pd.DataFrame:
    """A DataFrame of the transient (indexed by time), the operating point (one row) or the
    DC sweep (indexed by the clamp's voltage), with the ngspice backend's columns."""
    import pandas as pd

    text, columns = vacask_netlist(circuit, analysis)
    raw = "tran1.raw" if isinstance(analysis, Transient) else "op1.raw"
    vectors = run_vacask(text, raw, timeout=timeout)
    missing = [v for v in columns if v.lower() not in vectors]
    if missing:
        raise SimulationError(f"VACASK wrote no vector {missing[0]!r} ({len(missing)} missing)")
    data = {column: np.asarray(vectors[v.lower()]) for v, column in columns.items()}
    if isinstance(analysis, Transient):
        frame = pd.DataFrame(data, index=pd.Index(vectors["time"], name="time"))
    elif isinstance(analysis, DCSweep):
        frame = pd.DataFrame(data, index=pd.Index(vectors["dc1"], name="voltage"))
    else:
        frame = pd.DataFrame({k: np.atleast_1d(v)[:1] for k, v in data.items()})
    frame.attrs.update(model=circuit.name, netlist=text)
    return frame
