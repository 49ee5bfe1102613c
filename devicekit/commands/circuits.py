"""``devicekit simulate`` on a circuit (a built-in such as ``hh-pair``, or a circuit card):
a per-instance summary of spikes and first-spike latencies."""

from __future__ import annotations

from devicekit.analyses import Transient
from devicekit.cli import emit
from devicekit.crossings import spike_times
from devicekit.errors import InvalidInput
from devicekit.io import write_text_atomic
from devicekit.models.membrane import Membrane
from devicekit.plotting import new_figure, save_figure
from devicekit.simulation import simulate
from devicekit.units import parse_quantity

__all__ = ["circuit_summary", "simulate_circuit_command"]

#: the most membrane instances listed in the text summary
SHOWN = 10
#: options of `devicekit simulate` that belong to single models
_MODEL_ONLY = ("stim", "clamp", "temperature", "set")


def circuit_summary(circuit, frame) -> dict:
    """Spikes of every membrane instance (V across it crossing 0 V upwards), and each one's
    first-spike latency after the earliest first spike."""
    t = frame.index.to_numpy()
    instances = {}
    for inst in circuit.instances.values():
        if not isinstance(inst.device, Membrane):
            continue
        a, b = inst.nodes
        v = frame[f"v({a})"].to_numpy() - (0.0 if b == "0" else frame[f"v({b})"].to_numpy())
        if not inst.device.definition().states:  # passive: no spikes, its voltage range
            instances[inst.name] = {"v_min_V": float(v.min()), "v_max_V": float(v.max())}
            continue
        times = spike_times(t, v, 0.0)
        instances[inst.name] = {
            "spike_count": int(times.size),
            "first_spike_s": float(times[0]) if times.size else None,
            "spike_times_s": [float(x) for x in times],
        }
    firsts = {
        k: d["first_spike_s"] for k, d in instances.items() if d.get("first_spike_s") is not None
    }
    start = min(firsts.values(), default=None)
    latency = {k: v - start for k, v in firsts.items()} if start is not None else {}
    return {"instances": instances, "first_spike_latency_s": latency}


def simulate_circuit_command(args, circuit, duration: float | None) -> int:
    given = [f"--{k}" for k in _MODEL_ONLY if getattr(args, k, None)]
    if given:
        raise InvalidInput(
            f"{' '.join(given)} apply to single models; a circuit has its sources and "
            "parameters as instances (edit the circuit card)"
        )
    if args.analysis != "tran":
        raise InvalidInput("a circuit runs a transient; leave out --analysis op")
    tstop = parse_quantity(args.tstop, "time", name="--tstop") if args.tstop else duration
    tstop = 0.1 if tstop is None else tstop
    frame = simulate(
        circuit,
        Transient(tstop, preset=args.preset),
        backend=args.backend,
        timeout=getattr(args, "timeout_s", None),
    )
    summary = circuit_summary(circuit, frame)
    if args.out:
        write_text_atomic(args.out, frame.to_csv(), force=args.force)
    if args.plot:
        save_figure(_plot(circuit, frame), args.plot, args.force)
    lines = [f"{circuit.name}: {len(circuit.instances)} instances, {tstop * 1e3:g} ms"]
    shown = list(summary["instances"].items())
    if len(shown) > SHOWN:  # a cable: its ends, and the rest in --json
        hidden = len(shown) - SHOWN
        shown = shown[: SHOWN // 2] + shown[-(SHOWN - SHOWN // 2) :]
        lines.append(f"  ({hidden} of the membrane instances in between: see --json)")
    for name, data in shown:
        if "v_min_V" in data:
            lines.append(
                f"  {name}: passive, V from {data['v_min_V'] * 1e3:+.2f} to "
                f"{data['v_max_V'] * 1e3:+.2f} mV"
            )
            continue
        first = data["first_spike_s"]
        lines.append(
            f"  {name}: {data['spike_count']} spike(s)"
            + (f", first at {first * 1e3:.3f} ms" if first is not None else "")
            + (
                f" ({summary['first_spike_latency_s'][name] * 1e3:.3f} ms after the first)"
                if first is not None and summary["first_spike_latency_s"][name] > 0
                else ""
            )
        )
    for label, path in (("data", args.out), ("figure", args.plot)):
        if path:
            lines.append(f"  {label} written to {path}")
    data = {"circuit": circuit.name, "backend": args.backend, "tstop_s": tstop, **summary}
    emit(args, data, "\n".join(lines))
    return 0


def _plot(circuit, frame):
    figure = new_figure(figsize=(8, 4))
    axis = figure.subplots()
    t = frame.index.to_numpy() * 1e3
    for node in sorted(circuit.nodes):
        axis.plot(t, frame[f"v({node})"].to_numpy() * 1e3, lw=1, label=f"v({node})")
    axis.set_xlabel("time [ms]")
    axis.set_ylabel("V [mV]")
    axis.set_title(circuit.name)
    axis.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    return figure
