"""``devicekit fit``: fit a model to a measured data set."""

from __future__ import annotations

from devicekit.analyses import time_limit
from devicekit.cli import add_json_flag, add_timeout_flag, emit, timeout_of
from devicekit.commands.ionspecs import TEMPERATURE_DEFAULT
from devicekit.errors import ConvergenceWarning, InvalidInput
from devicekit.fit import fit
from devicekit.fit.models import FIT_MODELS
from devicekit.io import check_outputs, write_text_atomic
from devicekit.measurements import load_measurement
from devicekit.measurements.catalogue import names
from devicekit.units import parse_quantity


def _options(args) -> dict:
    if args.model != "ghk":
        given = [f for f in ("ion", "inside", "outside", "area") if getattr(args, f)]
        if given:
            raise InvalidInput(f"--{given[0]} applies to --model ghk only")
        return {}
    missing = [f"--{f}" for f in ("ion", "inside", "outside", "area") if not getattr(args, f)]
    if missing:
        raise InvalidInput(
            f"--model ghk needs {', '.join(missing)} (for example --ion K "
            "--inside 140mM --outside 5mM --area 1um2)"
        )
    return {
        "ion": args.ion,
        "c_in": parse_quantity(args.inside, "concentration", name="--inside"),
        "c_out": parse_quantity(args.outside, "concentration", name="--outside"),
        "area": parse_quantity(args.area, "area", name="--area"),
        "temperature": parse_quantity(args.temperature, "temperature", name="--temperature"),
    }


def _one_sweep(data, direction: str):
    """The rows of one sweep direction (the loader labels them from the protocol)."""
    if "sweep" not in data:
        raise InvalidInput(
            f"--sweep {direction}: {data.attrs.get('source_file', 'the data')} has no sweep "
            "directions; its metadata needs [protocol] sweep = '<column>'"
        )
    chosen = data[data["sweep"] == direction]
    chosen.attrs = data.attrs
    return chosen


def _fit(args) -> int:
    import warnings

    timeout = timeout_of(args)
    data = load_measurement(args.dataset)
    inputs = [data.attrs["source_file"], data.attrs["metadata_file"]]
    if args.sweep:
        data = _one_sweep(data, args.sweep)
    check_outputs(args.out, args.plot, inputs=inputs, force=args.force)  # before fitting
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = fit(args.model, data, x=args.x, y=args.y, backend=args.backend, **_options(args))
    data_out = result.as_dict()
    if args.verify:
        with time_limit(timeout):
            data_out["spice_check"] = result.verify_in_spice()
    if args.out:
        write_text_atomic(args.out, result.to_card(), force=args.force, inputs=inputs)
    if args.plot:
        result.plot(args.plot, force=args.force)
    text = result.report(args.report)
    if args.verify:
        check = data_out["spice_check"]
        text += (
            f"\nngspice check: largest deviation {check['max_deviation']:.3g} "
            f"({check['relative']:.2g} of the data range)"
        )
    for label, path in (("fitted card", args.out), ("figure", args.plot)):
        if path:
            text += f"\n{label} written to {path}"
    emit(args, data_out, text)
    return 1 if caught and args.strict else 0


def register(commands, formatter) -> None:

    p = commands.add_parser(
        "fit",
        help="fit a model to a measured data set",
        formatter_class=formatter,
        description="Least-squares fit (lmfit) with standard errors, 95% intervals, RMSE, R^2 "
        "and AIC. A poorly determined fit says so in a warning line.",
        epilog="Examples:\n"
        "  devicekit fit howorka-dna-nanopore-iv --model ohmic   (a packaged data set, by name)\n"
        "  devicekit fit measurements/howorka_dna_nanopore_iv.toml --model ohmic\n"
        "  devicekit fit measurements/kamsma_conical_channel_ginf.toml --model sigmoid "
        "\\\n      --out fitted.toml --plot fit.png --verify\n"
        "  devicekit fit iv.csv --model ghk --ion K --inside 140mM --outside 5mM "
        "--area 1um2\n"
        "  devicekit fit measurements/bongartz_oect_transfer.toml --model sigmoid "
        "--x gate_voltage --y drain_current --sweep forward",
    )
    p.add_argument(
        "dataset",
        help="a data set: its .toml metadata, its data file, or the name of a packaged one "
        "(" + ", ".join(names()) + ")",
    )
    p.add_argument(
        "--model",
        required=True,
        choices=sorted(FIT_MODELS),
        help="the model to fit: ohmic (g, E), ghk (permeabilities), boltzmann (v_half, slope), "
        "boltzmann-iv (a peak I-V), sigmoid (a step-like curve, a memristor's g_inf), conical "
        "(Kamsma's cone), channel-iv (an HH channel's steady I-V), oect (a transfer curve), "
        "bistable-oect (both sweeps of a hysteretic one)",
    )
    p.add_argument("--x", help="column of the independent variable (default: the model's)")
    p.add_argument("--y", help="column to fit (default: the model's)")
    p.add_argument(
        "--sweep",
        choices=["forward", "backward"],
        help="fit one direction of a hysteretic sweep (the data's protocol labels them)",
    )
    p.add_argument(
        "--backend",
        choices=["native", "spice"],
        default="native",
        help="evaluate the model natively (default) or in ngspice",
    )
    p.add_argument("--ion", help="ghk: the permeant ion (K, Na, Ca...)")
    p.add_argument("--inside", metavar="C", help="ghk: inside concentration, e.g. 140mM")
    p.add_argument("--outside", metavar="C", help="ghk: outside concentration, e.g. 5mM")
    p.add_argument("--area", metavar="A", help="ghk: membrane or pore area, e.g. 1um2")
    p.add_argument(
        "--temperature",
        default=TEMPERATURE_DEFAULT,
        metavar="T",
        help=f"ghk: temperature (default {TEMPERATURE_DEFAULT}, as for nernst and ghk)",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="also evaluate the fitted model in ngspice and report the deviation",
    )
    add_timeout_flag(p, "an ngspice check (--verify)")
    p.add_argument(
        "--report",
        choices=["text", "markdown"],
        default="text",
        help="format of the printed report",
    )
    p.add_argument("-o", "--out", metavar="TOML", help="write the fitted model card")
    p.add_argument("--plot", metavar="PNG", help="write data, fit and residuals")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the fit is poorly determined"
    )
    add_json_flag(p)
    p.set_defaults(handler=_fit)
