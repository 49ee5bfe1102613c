"""``devicekit export``: write a model in another simulator's format."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from devicekit.analyses import Transient
from devicekit.circuits.cards import circuit_card_text, find_circuit
from devicekit.circuits.circuit import Circuit
from devicekit.circuits.elements import CurrentSource
from devicekit.circuits.netlist import circuit_netlist
from devicekit.circuits.vacask import vacask_netlist
from devicekit.cli import add_json_flag, emit
from devicekit.commands.simulate import parse_stimulus
from devicekit.errors import InvalidInput
from devicekit.export import FORMATS, export_text, write_export
from devicekit.export.neuroml import lems_simulation, neuroml
from devicekit.io import check_outputs, input_files, write_text_atomic
from devicekit.models.cards import load_model
from devicekit.models.stimuli import Pulse
from devicekit.spice.compiler import spice_name
from devicekit.units import parse_quantity

#: output suffix -> the format it implies when --format is not given
SUFFIX_FORMATS = {
    ".lib": "spice",
    ".cir": "spice",
    ".va": "verilog-a",
    ".nml": "neuroml",
    ".toml": "card",
}


def _resolve(args) -> None:
    """Fill in --format from the output's extension, or -o from the model's name and the
    format's extension, so that either one is enough."""
    if args.format is None:
        if args.output is None:
            raise InvalidInput(
                "give -o FILE (its extension picks the format: "
                + ", ".join(f"{k} {v}" for k, v in SUFFIX_FORMATS.items())
                + ") or --format"
            )
        suffix = Path(args.output).suffix.lower()
        if suffix not in SUFFIX_FORMATS:
            raise InvalidInput(
                f"-o {args.output}: the extension {suffix or '(none)'!r} names no format; use "
                f"one of {', '.join(SUFFIX_FORMATS)}, or give --format (vacask and neuroml "
                "write a folder)"
            )
        args.format = SUFFIX_FORMATS[suffix]
    if args.output is None:
        name = Path(args.model).stem if args.model.endswith(".toml") else args.model
        if args.format in ("vacask",):
            args.output = name
        else:
            circuit = args.format in ("spice", "ltspice") and find_circuit(args.model)
            suffix = ".cir" if circuit else FORMATS.get(args.format, (".txt",))[0]
            args.output = f"{name}{suffix}"


def _export(args) -> int:

    _resolve(args)
    if args.format == "vacask":
        return _export_vacask(args)
    if args.format == "neuroml" and not str(args.output).lower().endswith(".nml"):
        return _export_neuroml(args)
    if args.format not in FORMATS:  # checked before loading, so the list comes first
        export_text(None, args.format)
    if args.stim:
        raise InvalidInput(
            "--stim goes into a simulation; use it with --format vacask or neuroml -o DIR"
        )
    inputs = input_files(args.model)
    check_outputs(args.output, inputs=inputs, force=args.force)
    found = find_circuit(args.model)
    if found is not None:
        return _export_circuit(args, *found, inputs)
    model = load_model(args.model)
    path = write_export(model, args.format, args.output, force=args.force, inputs=inputs)
    emit(
        args,
        {"model": model.name, "format": args.format, "path": str(path)},
        f"{model.name} exported as {args.format} to {path}",
    )
    return 0


def _export_circuit(args, circuit, duration, inputs) -> int:
    """A circuit as one runnable ngspice netlist (its device subcircuits, sources and
    transient: ``ngspice -b -r out.raw pair.cir``), or as a circuit card."""
    tstop = _tstop(args, duration)
    if args.format in ("spice", "ltspice"):
        dialect = "ngspice" if args.format == "spice" else "ltspice"
        text = circuit_netlist(circuit, Transient(tstop), dialect).text
    elif args.format == "card":
        text = circuit_card_text(circuit, tstop)
    else:
        raise InvalidInput(
            f"a circuit exports as spice or ltspice (a runnable netlist), vacask (a folder) or "
            f"card, not {args.format!r}"
        )
    path = write_text_atomic(args.output, text, force=args.force, inputs=inputs)
    emit(
        args,
        {"circuit": circuit.name, "format": args.format, "path": str(path), "tstop_s": tstop},
        f"circuit {circuit.name} exported as {args.format} to {path}",
    )
    return 0


def _tstop(args, default: float | None = None) -> float:
    """--tstop [s], else ``default`` (a circuit card's), else 100 ms."""
    if args.tstop:
        return parse_quantity(args.tstop, "time", name="--tstop")
    return 0.1 if default is None else default


def _stimulus_current(args, model) -> float | None:
    """--stim as the current [A] into ``model``: a density times the model's area, or a
    current for a device in its own units; None without --stim."""
    if not args.stim:
        return None
    stimulus = parse_stimulus(args.stim)
    if stimulus.per_area != model.per_area:
        raise InvalidInput(
            f"--stim {args.stim!r}: {model.name} takes a current "
            + ("density (10uA/cm2)" if model.per_area else "(1nA)")
        )
    return stimulus.amplitude * (model.area if model.per_area else 1.0)


def _write_folder(args, folder: Path, files: dict, inputs) -> None:
    """Write ``files`` (name -> text) into ``folder``, atomically, none replaced without
    --force; the folder is made if it is missing."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(
            f"-o {args.output}: --format {args.format} writes a folder; it is a file"
        )
    folder.mkdir(parents=True, exist_ok=True)
    check_outputs(*(folder / name for name in files), inputs=inputs, force=args.force)
    for name, content in files.items():
        write_text_atomic(folder / name, content, force=args.force, inputs=inputs)


def _export_neuroml(args) -> int:
    """A folder with the NeuroML document (channels, cell, network) and, with --stim or
    --tstop, a LEMS simulation that records V: ``pynml LEMS_<name>.xml -neuron -run``."""
    inputs = input_files(args.model)
    if find_circuit(args.model) is not None:
        raise InvalidInput("a circuit exports as spice, vacask or card; NeuroML takes a model")
    model = load_model(args.model)
    name = spice_name(model.name)
    files = {f"{name}.net.nml": neuroml(model, _stimulus_current(args, model))}
    if args.stim or args.tstop:
        files[f"LEMS_{name}.xml"] = lems_simulation(model, f"{name}.net.nml", _tstop(args))
    folder = Path(args.output)
    _write_folder(args, folder, files, inputs)
    run = [f"pynml LEMS_{name}.xml -neuron -run -nogui"] if len(files) > 1 else []
    emit(
        args,
        {
            "model": model.name,
            "format": "neuroml",
            "folder": str(folder),
            "files": list(files),
            "run": run,
        },
        f"{model.name} exported as NeuroML to {folder}/ ({', '.join(files)})"
        + (f"; run there: {run[0]}" if run else ""),
    )
    return 0


def _export_vacask(args) -> int:
    """A folder with the Verilog-A module(s) and a VACASK netlist that loads them:
    ``openvaf-r <module>.va`` for each module, then ``vacask <name>.sim`` (writes tran1.raw)."""
    inputs = input_files(args.model)
    found = find_circuit(args.model)
    if found is not None:
        if args.stim:
            raise InvalidInput("a circuit has its sources as instances; leave out --stim")
        circuit, duration = found
    else:
        model = load_model(args.model)
        circuit = Circuit(spice_name(model.name))
        circuit.add("x1", dataclasses.replace(model, stimuli=()), nodes=("vm", "0"))
        amplitude = _stimulus_current(args, model)
        if amplitude is not None:
            source = CurrentSource(Pulse(amplitude, per_area=False))
            circuit.add("stim", source, nodes=("0", "vm"))
        duration = None
    tstop = _tstop(args, duration)
    sources: dict[str, str] = {}

    def beside(source: str, module: str) -> str:
        sources[module] = source
        return f"{module}.osdi"

    text, _ = vacask_netlist(circuit, Transient(tstop), osdi=beside)
    folder = Path(args.output)
    files = {f"{module}.va": source for module, source in sources.items()}
    files[f"{circuit.name}.sim"] = text
    _write_folder(args, folder, files, inputs)
    run = [f"openvaf-r {m}.va" for m in sources] + [f"vacask {circuit.name}.sim"]
    emit(
        args,
        {
            "model": circuit.name,
            "format": "vacask",
            "folder": str(folder),
            "files": list(files),
            "run": run,
            "tstop_s": tstop,
        },
        f"{circuit.name} exported for VACASK to {folder}/ ({', '.join(files)});"
        f" run there: {' && '.join(run)}",
    )
    return 0


def register(commands, formatter) -> None:

    p = commands.add_parser(
        "export",
        help="export a model or circuit (ngspice, LTspice, Verilog-A, VACASK, NeuroML, card)",
        formatter_class=formatter,
        description="Write a built-in model or a model card (including a fitted card from "
        "'devicekit fit --out') in another format. An existing file is replaced "
        "only with --force.",
        epilog="Examples:\n"
        "  devicekit export hh-squid -o hh.va          (the format from the extension)\n"
        "  devicekit export hh-squid --format spice    (writes hh-squid.lib)\n"
        "  devicekit export conical-memristor --format card -o cone.toml\n"
        "  devicekit export fitted.toml --format spice -o pore.lib\n"
        "  devicekit export hh-pair --format spice -o pair.cir   (a circuit: runnable netlist)\n"
        "  devicekit export hh-squid --format vacask -o hh/ --stim 10uA/cm2 --tstop 1s\n"
        "      (a folder: hh_squid.va and hh_squid.sim; openvaf-r hh_squid.va && vacask "
        "hh_squid.sim)\n"
        "  devicekit export hh-squid --format neuroml -o nml/ --stim 10uA/cm2 --tstop 1s\n"
        "      (a folder: hh_squid.net.nml and LEMS_hh_squid.xml; pynml LEMS_hh_squid.xml "
        "-neuron -run -nogui)",
    )
    p.add_argument(
        "model", help="built-in model or circuit (devicekit models), a model card or a circuit card"
    )
    p.add_argument(
        "--format",
        metavar="FORMAT",
        help="spice (ngspice library, .lib; a circuit: runnable netlist, .cir), ltspice (.lib), "
        "verilog-a (.va), neuroml (.nml, or a folder with a LEMS simulation), card (TOML), or "
        "vacask (a folder: Verilog-A and a VACASK netlist). Default: from -o's extension",
    )
    p.add_argument(
        "--stim",
        metavar="I",
        help="vacask, neuroml -o DIR: a step current from t = 0 (10uA/cm2, or 1nA for a device)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="file to write (vacask, and neuroml unless FILE ends in .nml: a folder); its "
        "extension picks the format when --format is not given. Default: the model's name "
        "with the format's extension (hh-squid.lib)",
    )
    p.add_argument(
        "--tstop",
        metavar="T",
        help="duration of the transient written into a circuit's netlist (default: its card's), "
        "a VACASK netlist or a LEMS simulation (default 100ms)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing file")
    add_json_flag(p)
    p.set_defaults(handler=_export)
