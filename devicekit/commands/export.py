"""``devicekit export``: write a model in another simulator's format."""

from __future__ import annotations

from devicekit.analyses import Transient
from devicekit.circuits.cards import circuit_card_text, find_circuit
from devicekit.circuits.netlist import circuit_netlist
from devicekit.cli import add_json_flag, emit
from devicekit.errors import InvalidInput
from devicekit.export import FORMATS, export_text, write_export
from devicekit.io import check_outputs, input_files, write_text_atomic
from devicekit.models.cards import load_model
from devicekit.units import parse_quantity


def _export(args) -> int:

    if args.format not in FORMATS:  # checked before loading, so the list comes first
        export_text(None, args.format)
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
    tstop = parse_quantity(args.tstop, "time", name="--tstop") if args.tstop else duration
    tstop = 0.1 if tstop is None else tstop
    if args.format == "spice":
        text = circuit_netlist(circuit, Transient(tstop)).text
    elif args.format == "card":
        text = circuit_card_text(circuit, tstop)
    else:
        raise InvalidInput(
            f"a circuit exports as spice (a runnable netlist) or card, not {args.format!r}"
        )
    path = write_text_atomic(args.output, text, force=args.force, inputs=inputs)
    emit(
        args,
        {"circuit": circuit.name, "format": args.format, "path": str(path), "tstop_s": tstop},
        f"circuit {circuit.name} exported as {args.format} to {path}",
    )
    return 0


def register(commands, formatter) -> None:

    p = commands.add_parser(
        "export",
        help="export a model (SPICE library, Verilog-A, card, NeuroML)",
        formatter_class=formatter,
        description="Write a built-in model or a model card (including a fitted card from "
        "'devicekit fit --out') in another format. An existing file is replaced "
        "only with --force.",
        epilog="Examples:\n"
        "  devicekit export hh-squid --format spice -o hh-squid.lib\n"
        "  devicekit export conical-memristor --format card -o cone.toml\n"
        "  devicekit export fitted.toml --format spice -o pore.lib\n"
        "  devicekit export hh-pair --format spice -o pair.cir   (a circuit: runnable netlist)",
    )
    p.add_argument("model", help="built-in model name or model card (.toml)")
    p.add_argument(
        "--format", required=True, metavar="FORMAT", help="spice (ngspice library) or card (TOML)"
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument(
        "--tstop", metavar="T", help="a circuit's transient in its netlist (default: its card's)"
    )
    p.add_argument("--force", action="store_true", help="replace an existing file")
    add_json_flag(p)
    p.set_defaults(handler=_export)
