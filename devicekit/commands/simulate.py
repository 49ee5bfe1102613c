"""``devicekit models`` and ``devicekit simulate``."""

from __future__ import annotations

from devicekit.analyses import Op, Transient
from devicekit.circuits.builtin import BUILTIN_CIRCUITS
from devicekit.circuits.cards import find_circuit
from devicekit.cli import add_json_flag, add_timeout_flag, emit, timeout_of
from devicekit.commands.circuits import simulate_circuit_command
from devicekit.errors import InvalidInput, UnitError
from devicekit.io import check_outputs, input_files, write_text_atomic
from devicekit.models.builtin import BUILTIN_MODELS
from devicekit.models.cards import load_model
from devicekit.models.paths import apply_values, value_parser
from devicekit.models.stimuli import Pulse, SineClamp, VoltageClamp
from devicekit.plotting import TRACE_UNITS, plot_transient, save_figure
from devicekit.simulation import simulate
from devicekit.spikes import summarize
from devicekit.summaries import memristor_summary
from devicekit.text import format_table
from devicekit.units import parse_quantity


def _models(args) -> int:

    rows = [[name, description] for name, (_, description) in BUILTIN_MODELS.items()]
    circuits = [[name, f"circuit: {d}"] for name, (_, d, _) in BUILTIN_CIRCUITS.items()]
    data = {
        "models": [{"name": n, "description": d} for n, d in rows],
        "circuits": [{"name": n, "description": d} for n, (_, d, _) in BUILTIN_CIRCUITS.items()],
    }
    rows += circuits
    text = format_table(["model", "description"], rows)
    text += "\n\nA model card (.toml) works wherever a name does; see 'devicekit export'."
    emit(args, data, text)
    return 0


def parse_stimulus(text: str, delay: float = 0.0, width: float | None = None):
    """``--stim``: a step (or a pulse of ``width``) of a current density or a current."""

    try:
        amplitude = parse_quantity(text, "current_density", name="--stim")
        per_area = True
    except UnitError:
        try:
            amplitude = parse_quantity(text, "current", name="--stim")
        except UnitError:
            raise UnitError(
                f"--stim = {text!r} must be a current density (10uA/cm2) or a current (1nA)"
            ) from None
        per_area = False
    return Pulse(amplitude, delay=delay, width=width, per_area=per_area)


def _clamp(text: str):
    """``--clamp``: ``sine:AMPLITUDE:FREQUENCY[:OFFSET]`` (sine:1.5V:19.1Hz) or a level
    (-65mV) to hold."""

    parts = text.split(":")
    if parts[0] == "sine":
        if len(parts) not in (3, 4):
            raise InvalidInput(
                f"--clamp {text!r}: write sine:AMPLITUDE:FREQUENCY[:OFFSET], such as "
                "sine:1.5V:19.1Hz"
            )
        amplitude = parse_quantity(parts[1], "voltage", name="--clamp amplitude")
        frequency = parse_quantity(parts[2], "frequency", name="--clamp frequency")
        offset = parse_quantity(parts[3], "voltage", name="--clamp offset") if parts[3:] else 0
        return SineClamp(amplitude, frequency, offset)
    if len(parts) != 1:
        raise InvalidInput(f"--clamp {text!r}: give a voltage (-65mV) or sine:1.5V:19.1Hz")
    return VoltageClamp(parse_quantity(text, "voltage", name="--clamp"))


def _overrides(args, model):
    """The model with --temperature and every --set NAME=VALUE applied (units from the
    fields' metadata)."""

    values = {}
    if args.temperature:
        values["temperature"] = parse_quantity(
            args.temperature, "temperature", name="--temperature"
        )
    for item in args.set or ():
        if "=" not in item:
            raise InvalidInput(f"--set {item!r}: write NAME=VALUE, such as k.conductance=30mS/cm2")
        path, text = (part.strip() for part in item.split("=", 1))
        values[path] = value_parser(path, model)(text)
    return apply_values(model, values) if values else model


def _max_step(args):
    if not args.max_step:
        return None
    return parse_quantity(args.max_step, "time", name="--max-step")


def _labelled(frame):
    """Columns with their units, for CSV files: 'v [V]', gates '[1]'."""
    out = frame.rename(columns={c: f"{c} [{TRACE_UNITS.get(c, '1')}]" for c in frame.columns})
    out.index.name = f"{frame.index.name} [{'s' if frame.index.name == 'time' else 'V'}]"
    return out


def _check_outputs(args) -> None:

    if args.plot and str(args.plot).rsplit(".", 1)[-1].lower() not in ("png", "pdf", "svg"):
        raise InvalidInput(f"--plot {args.plot!r}: use a .png, .pdf or .svg file name")
    check_outputs(args.out, args.plot, inputs=input_files(args.model), force=args.force)


def _simulate(args) -> int:

    timeout = timeout_of(args)
    _check_outputs(args)  # refuse before a long run, not after it
    found = find_circuit(args.model)
    if found is not None:
        args.timeout_s = timeout
        return simulate_circuit_command(args, *found)
    if args.probe:
        raise InvalidInput(
            "--probe names the nodes or instances of a circuit to plot; a single model plots "
            "its V and gates (leave out --probe)"
        )
    model = _overrides(args, load_model(args.model))
    if args.stim and args.clamp:
        raise InvalidInput("give --stim (a current) or --clamp (a voltage), not both")
    if args.analysis == "op":
        frame = simulate(model, Op(), backend=args.backend, timeout=timeout)
        row = {k: float(v) for k, v in frame.iloc[0].items()}
        text = "\n".join(
            f"{k:>10} = {v * 1e3:+.4f} mV" if k == "v" else f"{k:>10} = {v:.6f}"
            for k, v in row.items()
        )
        emit(args, {"model": model.name, "operating_point": row}, f"{model.name} at rest\n{text}")
        return 0
    tstop = parse_quantity(args.tstop or "100ms", "time", name="--tstop")
    delay = parse_quantity(args.stim_delay, "time", name="--stim-delay")
    width = (
        parse_quantity(args.stim_width, "time", name="--stim-width") if args.stim_width else None
    )
    stimuli = [parse_stimulus(args.stim, delay, width)] if args.stim else []
    if args.clamp:
        stimuli = [_clamp(args.clamp)]
    elif not stimuli and model.device == "memristor":
        stimuli = list(model.stimuli)
    if model.device == "memristor" and not any(s.is_clamp for s in stimuli):
        raise InvalidInput(  # before the run, not after it
            f"{model.name} is a memristor: give a voltage clamp, such as --clamp "
            "sine:1.5V:19.1Hz (its I-V loop) or --clamp 0.5V (its steady conductance)"
        )
    frame = simulate(
        model,
        Transient(tstop, preset=args.preset, max_step=_max_step(args)),
        stimuli=stimuli,
        backend=args.backend,
        timeout=timeout,
    )
    if args.out:
        write_text_atomic(args.out, _labelled(frame).to_csv(), force=args.force)
    if args.plot:
        title = f"{model.name}" + (f", {args.stim} step" if args.stim else ", no stimulus")
        save_figure(plot_transient(frame, title), args.plot, args.force)
    data = {
        "model": model.name,
        "device": model.device,
        "backend": args.backend,
        "preset": args.preset,
        "tstop_s": tstop,
        "temperature_K": model.temperature,
    }
    if model.device == "memristor":
        found = memristor_summary(frame, model.with_stimuli(*stimuli))
        data.update(found.as_dict())
        lines = [
            f"{model.name}: memristor under {args.clamp or 'its clamp'} for {tstop * 1e3:g} ms",
            f"  g/g0 from {found.g_min:.6g} to {found.g_max:.6g}",
        ]
        if found.loop_area is not None:
            lines.append(
                f"  I-V loop area {found.loop_area:.6g} W over the last period "
                f"({found.period * 1e3:.6g} ms)"
            )
    else:
        summary = summarize(frame)
        data.update(summary.as_dict())
        lines = _spike_lines(model, summary, tstop)
        lines += _pool_lines(model, frame)
    for label, path in (("data", args.out), ("figure", args.plot)):
        if path:
            lines.append(f"  {label} written to {path}")
    emit(args, data, "\n".join(lines))
    return 0


def _spike_lines(model, summary, tstop) -> list[str]:
    duration = f"{tstop * 1e3:g} ms" if tstop < 10 else f"{tstop:g} s"
    lines = [f"{model.name}: {summary.count} spikes in {duration}"]
    if summary.count:
        lines.append(
            f"  first spike {summary.first_spike * 1e3:.3f} ms, first peak "
            f"{summary.first_peak * 1e3:+.1f} mV"
        )
    if summary.count >= 2:
        lines.append(
            f"  steady rate {summary.rate:.2f} Hz (interspike interval {1e3 / summary.rate:.3f} ms)"
        )
    lines.append(f"  rest (t = 0) {summary.rest * 1e3:+.2f} mV")
    return lines


def _pool_lines(model, frame) -> list[str]:
    """Where the pools and V ended, for a model with ion pools."""
    if not model.pools:
        return []
    end = frame.iloc[-1]
    pools = ", ".join(
        f"{p.name} {end[p.name]:.4g} mM (from {frame[p.name].iloc[0]:.4g})" for p in model.pools
    )
    return [f"  at the end: V {end['v'] * 1e3:+.2f} mV; {pools}"]


def register(commands, formatter) -> None:

    p = commands.add_parser(
        "models",
        help="list the built-in models and circuits",
        formatter_class=formatter,
        description="The built-in models (membranes and iontronic devices) and circuits, each "
        "with one line on what it is; any of them is a MODEL for simulate, export and sweep.",
        epilog="Example:\n  devicekit models --json",
    )
    add_json_flag(p)
    p.set_defaults(handler=_models)

    p = commands.add_parser(
        "simulate",
        help="simulate a model or circuit in ngspice, VACASK or scipy",
        formatter_class=formatter,
        description="Transient from rest under a current step (or a voltage clamp), or the "
        "operating point, of a model or a circuit; prints a summary (spikes and rate, or a "
        "memristor's conductance range and loop area). Results are SI; the CSV header carries "
        "the units.",
        epilog="Examples:\n"
        "  devicekit simulate hh-squid --stim 10uA/cm2 --tstop 200ms --out hh.csv "
        "--plot hh.png\n"
        "  devicekit simulate morris-lecar --stim 45uA/cm2 --tstop 1s --json\n"
        "  devicekit simulate mycell.toml --analysis op\n"
        "  devicekit simulate hh-squid --temperature 18.5degC --set k.conductance=30mS/cm2 "
        "--stim 10uA/cm2\n"
        "  devicekit simulate conical-memristor --clamp sine:1.5V:19.1Hz --tstop 200ms\n"
        "  devicekit simulate hh-pair --json          (a circuit: spikes per instance)\n"
        "  devicekit simulate pair.toml --plot pair.png --probe post\n"
        "  devicekit simulate hh-axon --tstop 8ms --preset fast --plot axon.png   (V(x, t))",
    )
    p.add_argument(
        "model",
        help="built-in model or circuit (devicekit models), a model card or a circuit card",
    )
    p.add_argument(
        "--analysis",
        choices=["tran", "op"],
        default="tran",
        help="transient (default) or operating point",
    )
    p.add_argument("--stim", metavar="I", help="step current from rest: 10uA/cm2 or 1nA")
    p.add_argument(
        "--clamp",
        metavar="V",
        help="voltage clamp instead of a current: a level (-65mV) or sine:1.5V:19.1Hz",
    )
    p.add_argument("--temperature", metavar="T", help="model temperature (18.5degC or 291.65K)")
    p.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="set a parameter, with units (k.conductance=30mS/cm2); repeatable",
    )
    p.add_argument("--stim-delay", default="0ms", metavar="T", help="step onset (default 0ms)")
    p.add_argument("--stim-width", metavar="T", help="step duration (default: to the end)")
    p.add_argument(
        "--tstop", metavar="T", help="duration (default 100ms, or the circuit card's tstop)"
    )
    p.add_argument(
        "--preset",
        choices=["accurate", "balanced", "fast", "adaptive"],
        default="accurate",
        help="accuracy/speed preset of the transient (default accurate; adaptive: variable "
        "step and order, with --backend vacask)",
    )
    p.add_argument(
        "--max-step",
        metavar="T",
        help="largest time step, overriding the preset's (10ms for a cell's seconds-long pools)",
    )
    p.add_argument(
        "--backend",
        choices=["spice", "native", "vacask"],
        default="spice",
        help="ngspice (default), the scipy reference, or VACASK with compiled devices (circuits; "
        "single models without ion pools; the adaptive preset)",
    )
    add_timeout_flag(p)
    p.add_argument("-o", "--out", metavar="CSV", help="write the trace as CSV")
    p.add_argument("--plot", metavar="PNG", help="write a figure of V(t) and the gates")
    p.add_argument(
        "--probe",
        action="append",
        metavar="NAME",
        help="circuits: a node or instance whose voltage --plot draws (repeatable; default: "
        "every node, or a cable's ends and middle)",
    )
    p.add_argument("--force", action="store_true", help="replace existing output files")
    add_json_flag(p)
    p.set_defaults(handler=_simulate)
