"""``devicekit export``: write a model in another simulator's format."""

from __future__ import annotations

from devicekit.cli import add_json_flag, emit
from devicekit.export import FORMATS, export_text, write_export
from devicekit.io import check_outputs, input_files
from devicekit.models.cards import load_model


def _export(args) -> int:

    if args.format not in FORMATS:  # checked before loading, so the list comes first
        export_text(None, args.format)
    inputs = input_files(args.model)
    check_outputs(args.output, inputs=inputs, force=args.force)
    model = load_model(args.model)
    path = write_export(model, args.format, args.output, force=args.force, inputs=inputs)
    emit(
        args,
        {"model": model.name, "format": args.format, "path": str(path)},
        f"{model.name} exported as {args.format} to {path}",
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
        "  devicekit export fitted.toml --format spice -o pore.lib",
    )
    p.add_argument("model", help="built-in model name or model card (.toml)")
    p.add_argument(
        "--format", required=True, metavar="FORMAT", help="spice (ngspice library) or card (TOML)"
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    add_json_flag(p)
    p.set_defaults(handler=_export)
