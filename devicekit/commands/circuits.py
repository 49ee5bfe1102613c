"""``devicekit simulate`` on a circuit (a built-in such as ``hh-pair``, or a circuit card):
a per-instance summary of spikes and first-spike latencies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from devicekit.analyses import Transient
from devicekit.cli import emit
from devicekit.crossings import spike_times
from devicekit.errors import InvalidInput
from devicekit.io import write_text_atomic
from devicekit.models.membrane import Membrane
from devicekit.plotting import new_figure, save_figure
from devicekit.simulation import simulate
from devicekit.units import parse_quantity

if TYPE_CHECKING:
    import argparse

    import pandas as pd

    from devicekit.circuits import Circuit

__all__ = ["circuit_summary", "simulate_circuit_command"]

#: the most membrane instances listed in the text summary
SHOWN = 10
#: options of `devicekit simulate` that belong to single models
_MODEL_ONLY = ("stim", "clamp", "temperature", "set")


def circuit_summary(circuit: Circuit, frame: pd.DataFrame) -> dict[str, Any]:
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
    summary = {"instances": instances, "first_spike_latency_s": latency}
    if circuit.geometry:
        summary["cable"] = _conduction(circuit.geometry, t, frame)
    return summary


def _conduction(geometry: dict, t, frame) -> dict:
    """From the first spike at ``x0`` to the first at the far end's node: the distance between
    the two compartments' centres, (N - 1)/N of the length, over the time between."""
    n, length = geometry["compartments"], geometry["length"]
    out = {"length_m": length, "compartments": n, "diameter_m": geometry["diameter"]}
    first = [spike_times(t, frame[f"v(x{i})"].to_numpy(), 0.0) for i in (0, n - 1)]
    if n > 1 and all(f.size for f in first) and first[1][0] > first[0][0]:
        distance = length * (n - 1) / n
        delay = float(first[1][0] - first[0][0])
        out.update(conduction_time_s=delay, conduction_velocity_m_per_s=distance / delay)
    return out


def simulate_circuit_command(
    args: argparse.Namespace, circuit: Circuit, duration: float | None
) -> int:
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
    probes = _probes(circuit, args.probe or ())  # a typo is refused before a long run
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
        save_figure(_plot(circuit, frame, probes), args.plot, args.force)
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
    cable = summary.get("cable", {})
    if "conduction_time_s" in cable:
        lines.append(
            f"  conduction from x0 to x{cable['compartments'] - 1}: "
            f"{cable['conduction_time_s'] * 1e3:.3f} ms, "
            f"{cable['conduction_velocity_m_per_s']:.3g} m/s"
        )
    elif cable:
        lines.append("  conduction: no spike reached both ends of the cable")
    for label, path in (("data", args.out), ("figure", args.plot)):
        if path:
            lines.append(f"  {label} written to {path}")
    data = {"circuit": circuit.name, "backend": args.backend, "tstop_s": tstop, **summary}
    emit(args, data, "\n".join(lines))
    return 0


def _probes(circuit, names) -> dict[str, tuple[str, str]]:
    """label -> (node, reference node) of each voltage to draw: ``--probe`` names nodes or
    instances (the voltage across an instance's first two nodes); by default every node, or
    for a cable its two ends and its middle."""
    if not names:
        nodes = sorted(circuit.nodes)
        if circuit.geometry:
            n = circuit.geometry["compartments"]
            nodes = list(dict.fromkeys(f"x{i}" for i in (0, n // 2, n - 1)))
        return {f"v({node})": (node, "0") for node in nodes[:SHOWN]}
    out = {}
    for name in names:
        if name in circuit.nodes:
            out[f"v({name})"] = (name, "0")
        elif name in circuit.instances:
            a, b = circuit.instances[name].nodes[:2]
            out[f"{name}: v({a}, {b})"] = (a, b)
        else:
            known = sorted(circuit.nodes) + sorted(circuit.instances)
            listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            raise InvalidInput(
                f"--probe {name!r}: circuit {circuit.name!r} has no node or instance of that "
                f"name; its names are {listed}"
            )
    return out


def _plot(circuit, frame, probes):
    """The probed voltages against time and, for a cable, V(x, t) as an image."""
    cable = circuit.geometry
    figure = new_figure(figsize=(8, 6.5 if cable else 4), layout="constrained")
    axes = figure.subplots(2 if cable else 1, 1, squeeze=False, sharex=True)[:, 0]
    t = frame.index.to_numpy() * 1e3

    def volts(node):
        return 0.0 if node == "0" else frame[f"v({node})"].to_numpy()

    for label, (a, b) in probes.items():
        axes[0].plot(t, (volts(a) - volts(b)) * 1e3, lw=1, label=label)
    axes[-1].set_xlabel("time [ms]")
    axes[0].set_ylabel("V [mV]")
    axes[0].set_title(circuit.name)
    axes[0].legend(loc="upper right", fontsize=8)
    if cable:
        n = cable["compartments"]
        grid = np.linspace(t[0], t[-1], 800)  # the solver's steps are uneven; columns are not
        image = np.array([np.interp(grid, t, frame[f"v(x{i})"].to_numpy()) for i in range(n)])
        image *= 1e3
        length_mm = cable["length"] * 1e3
        shown = axes[1].imshow(
            image,
            aspect="auto",
            origin="lower",
            extent=(grid[0], grid[-1], 0.0, length_mm),
            cmap="viridis",
            interpolation="nearest",
        )
        axes[1].set_ylabel("x [mm]")
        figure.colorbar(shown, ax=list(axes), label="V [mV]", shrink=0.5, anchor=(0.0, 0.0))
    return figure
