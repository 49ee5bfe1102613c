"""``devicekit demo``: the main job, end to end, into a report folder (see devicekit.demo)."""

from __future__ import annotations

import sys

from devicekit.cli import add_json_flag, add_timeout_flag, emit, timeout_of
from devicekit.demo import DEFAULT_FOLDER, _summary_data, run_demo
from devicekit.text import format_table


def _demo(args) -> int:
    from pathlib import Path

    def say(line: str) -> None:
        if not args.json:
            print(line, file=sys.stderr, flush=True)

    report = run_demo(
        args.out,
        force=args.force,
        workers=args.workers,
        progress=False if args.no_progress else None,
        say=say,
        timeout=timeout_of(args),
    )
    index = (Path(report.folder) / "index.html").resolve()
    rows = [
        [step, result, "" if seconds is None else f"{seconds:.1f} s"]
        for step, result, seconds in report.rows
    ]
    text = (
        "devicekit demo\n"
        + format_table(["step", "result", "time"], rows)
        + f"\n\nreport: {index}\n(open index.html in a browser)"
    )
    emit(args, {**_summary_data(report), "index": str(index)}, text)
    return 0


def register(commands, formatter) -> None:

    p = commands.add_parser(
        "demo",
        help="run the whole pipeline on built-in models and the measured data; write a report",
        formatter_class=formatter,
        description=(
            "The main job: the textbook Nernst/GHK table; hh-squid and the iontronic neuron "
            "compiled to SPICE and simulated in ngspice; an f-I sweep on worker processes; fits "
            "of the conical-channel, DNA-nanopore and OECT measurements, checked in ngspice; the "
            "fitted "
            "devices exported as an ngspice library and Verilog-A. Figures, CSV files, fitted "
            "cards and the exports go into a report folder with an index.html."
        ),
        epilog=f"Example:\n  devicekit demo --out {DEFAULT_FOLDER}\n  devicekit demo --force",
    )
    p.add_argument(
        "-o",
        "--out",
        default=DEFAULT_FOLDER,
        metavar="FOLDER",
        help=f"report folder (default {DEFAULT_FOLDER})",
    )
    p.add_argument("--force", action="store_true", help="write over an earlier report")
    p.add_argument("--workers", type=int, metavar="N", help="f-I sweep workers (default CPUs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_timeout_flag(p, "any simulation of the demo")
    add_json_flag(p)
    p.set_defaults(handler=_demo)
