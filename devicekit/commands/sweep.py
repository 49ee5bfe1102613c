"""``devicekit sweep``: parameter grids and Monte Carlo over a model, in parallel."""

from __future__ import annotations

import sys

from devicekit.analyses import DCSweep, Op, Transient
from devicekit.cli import add_json_flag, add_timeout_flag, emit, timeout_of
from devicekit.commands.simulate import parse_stimulus
from devicekit.errors import InvalidInput, SweepError
from devicekit.io import check_outputs, input_files
from devicekit.models.cards import load_model
from devicekit.simulation import as_membrane
from devicekit.sweeps import checkpoint_path, parse_distribution, sweep
from devicekit.sweeps.space import MAX_POINTS, value_parser
from devicekit.units import parse_quantity


def parse_param(text: str, model=None):
    """``NAME=SPEC`` -> (path, grid values or distribution). SPEC is ``a,b,c`` (a list),
    ``start:stop:n`` (n evenly spaced values), ``start:stop:n:log`` (geometric), or
    ``normal(mean,std)``, ``uniform(low,high)``, ``lognormal(median,sigma)``. Values with
    units are converted by the unit of the model's field (its metadata)."""
    import numpy as np

    if "=" not in text:
        raise InvalidInput(
            f"--param {text!r}: write NAME=VALUES, for example stimulus.amplitude=0:20uA/cm2:41"
        )
    path, spec = (part.strip() for part in text.split("=", 1))
    parse = value_parser(path, model)
    if "(" in spec:
        return path, parse_distribution(spec, parse)
    if ":" in spec:
        parts = spec.split(":")
        log = parts[-1] == "log"
        if log:
            parts = parts[:-1]
        if len(parts) != 3:
            raise InvalidInput(
                f"--param {path}={spec}: a range is start:stop:n (or start:stop:n:log)"
            )
        start, stop = parse(parts[0]), parse(parts[1])
        try:
            n = int(parts[2])
        except ValueError:
            n = 0

        if n > MAX_POINTS:
            raise InvalidInput(
                f"--param {path}={spec}: {n:,} values is more than the limit of {MAX_POINTS:,}"
            )
        if n < 2:
            raise InvalidInput(
                f"--param {path}={spec}: the number of values {parts[2]!r} must be a whole "
                "number of at least 2"
            )
        if log:
            if start <= 0 or stop <= 0:
                raise InvalidInput(f"--param {path}={spec}: a log range needs start, stop > 0")
            return path, np.geomspace(start, stop, n)
        return path, np.linspace(start, stop, n)
    return path, [parse(v) for v in spec.split(",") if v.strip()]


def _sweep(args) -> int:

    if not args.param:
        raise InvalidInput("give at least one --param NAME=VALUES")
    if args.analysis == "tran":
        analysis = Transient(parse_quantity(args.tstop, "time", name="--tstop"), args.preset)
    elif args.analysis == "op":
        analysis = Op()
    else:
        analysis = DCSweep(
            *(parse_quantity(x, "voltage", name=n) for x, n in
              ((args.start, "--start"), (args.stop, "--stop"), (args.step, "--step")))
        )  # fmt: skip
    if args.out:  # the output and its checkpoint are never the model's card
        checkpoint = checkpoint_path(args.out)
        check_outputs(args.out, inputs=input_files(args.model), force=args.force)
        check_outputs(checkpoint, inputs=input_files(args.model), force=True)
    model = as_membrane(load_model(args.model))
    stimuli = None
    if args.stim:
        stimuli = [parse_stimulus(args.stim, 0.0, None)]
    elif any(p.split(".")[0] == "stimulus" for p in args.param) and not model.stimuli:
        # the step whose amplitude is swept: a density, or a current for a device
        stimuli = [parse_stimulus("0A/m2" if model.per_area else "0A", 0.0, None)]
    with_stimuli = model.with_stimuli(*stimuli) if stimuli else model
    parameters = dict(parse_param(p, with_stimuli) for p in args.param)
    measures = [m.strip() for m in args.measure.split(",")] if args.measure else None
    try:
        frame = sweep(
            model,
            parameters,
            analysis,
            measures=measures,
            stimuli=stimuli,
            samples=args.samples,
            seed=args.seed,
            backend=args.backend,
            workers=args.workers,
            scheduler=args.scheduler,
            output=args.out,
            resume=args.resume,
            force=args.force,
            progress=False if args.no_progress else None,
            timeout=timeout_of(args),
        )
    except SweepError as error:
        print(f"devicekit sweep: {' '.join(str(error).split())}", file=sys.stderr)
        return 130 if error.interrupted else 1
    a = frame.attrs
    points = int(frame["point"].nunique())
    data = {
        "model": a["model"],
        "points": points,
        "failed": a["failed"],
        "computed": a["computed"],
        "resumed": a["resumed"],
        "elapsed_s": a["elapsed_s"],
        "ran_on": a["ran_on"],
        "output": args.out,
    }
    lines = [
        f"{a['model']}: {points} points, {a['failed']} failed, {a['computed']} computed in "
        f"{a['elapsed_s']:.1f} s on {a['ran_on']}"
        + (f" ({a['resumed']} from the checkpoint)" if a["resumed"] else ""),
        f"  table written to {args.out}",
    ]
    if a["failed"]:
        first = frame.loc[frame["error"] != "", ["point", "error"]].iloc[0]
        lines.append(f"  first failure, point {first['point']}: {first['error']}")
    emit(args, data, "\n".join(lines))
    return 0


def register(commands, formatter) -> None:

    p = commands.add_parser(
        "sweep",
        help="sweep parameters or run Monte Carlo, in parallel, to Parquet/CSV",
        formatter_class=formatter,
        description=(
            "Simulate a model at every point of a parameter grid, or at Monte Carlo draws, and "
            "tabulate measures (spike count, rate, rest, peak, I-V). Points run on local worker "
            "processes (one ngspice each) or on a Dask cluster, and are checkpointed as they "
            "finish: after Ctrl-C or a failure, --resume runs only the missing points.\n\n"
            "NAME is a path into the model: na.conductance, k.reversal_potential, outside.K, "
            "temperature, stimulus.amplitude. VALUES is a,b,c or start:stop:n (add :log for "
            "geometric spacing), or normal(mean,std), uniform(low,high), lognormal(median,sigma) "
            "with --samples and --seed. Values take units (20uA/cm2) or are plain SI numbers."
        ),
        epilog="Examples:\n"
        "  devicekit sweep hh-squid --param stimulus.amplitude=0:20uA/cm2:200 --tstop 200ms "
        "--preset fast --measure spike_count,rate_hz -o fi.parquet\n"
        "  devicekit sweep hh-squid --param 'na.conductance=normal(120mS/cm2,6mS/cm2)' "
        "--samples 500 --seed 1 --stim 10uA/cm2 -o mc.csv --workers 4\n"
        "  devicekit sweep hh-squid --param k.conductance=30mS/cm2,36mS/cm2 --analysis dc "
        "-o iv.csv\n"
        "  devicekit sweep hh-squid ... -o fi.parquet --scheduler tcp://10.0.0.5:8786",
    )
    p.add_argument("model", help="built-in model name (devicekit models) or a card (.toml)")
    p.add_argument(
        "--param", action="append", metavar="NAME=VALUES", help="a parameter (repeatable)"
    )
    p.add_argument("--samples", type=int, metavar="N", help="Monte Carlo draws per grid point")
    p.add_argument("--seed", type=int, metavar="S", help="Monte Carlo seed (required with draws)")
    p.add_argument("--analysis", choices=["tran", "op", "dc"], default="tran", help="default tran")
    p.add_argument("--tstop", default="100ms", metavar="T", help="transient length (100ms)")
    p.add_argument(
        "--preset",
        choices=["accurate", "balanced", "fast", "adaptive"],
        default="accurate",
        help="transient accuracy preset (default accurate; adaptive: variable step and order, "
        "with --backend vacask)",
    )
    p.add_argument("--start", default="-100mV", metavar="V", help="DC sweep start (-100mV)")
    p.add_argument("--stop", default="50mV", metavar="V", help="DC sweep stop (50mV)")
    p.add_argument("--step", default="5mV", metavar="V", help="DC sweep step (5mV)")
    p.add_argument(
        "--stim",
        metavar="I",
        help="step current from t = 0 (10uA/cm2 or 1nA); added at 0 when "
        "stimulus.amplitude is swept",
    )
    p.add_argument(
        "--measure",
        metavar="M[,M]",
        help="measures: spike_count, rate_hz, first_spike_s, peak_v, rest_v, v_final (tran); "
        "v, current_a (op); iv (dc)",
    )
    p.add_argument(
        "--backend",
        choices=["spice", "native", "vacask"],
        default="spice",
        help="spice (ngspice, default), native (scipy), or vacask (compiled devices, up to 25 "
        "points per VACASK run; transients under current stimuli)",
    )
    p.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: CPUs)"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="Dask scheduler (tcp://host:8786); default $DEVICEKIT_SCHEDULER",
    )
    p.add_argument("-o", "--out", required=True, metavar="FILE", help=".parquet or .csv")
    p.add_argument("--resume", action="store_true", help="finish an interrupted sweep")
    p.add_argument("--force", action="store_true", help="replace the output and checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_timeout_flag(p, "a point")
    add_json_flag(p)
    p.set_defaults(handler=_sweep)
