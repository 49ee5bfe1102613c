"""Figures: transients and fits, saved atomically (matplotlib with the Agg backend)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from devicekit.errors import InvalidInput
from devicekit.io import write_bytes_atomic

if TYPE_CHECKING:
    import os

    import pandas as pd
    from matplotlib.figure import Figure

    from devicekit.arraytypes import ArrayLike

__all__ = ["TRACE_UNITS", "axis_label", "axis_scale", "plot_transient", "save_figure"]

#: SI units of the non-gate columns of a transient
TRACE_UNITS = {"v": "V", "stimulus": "A", "clamp_current": "A", "current": "A"}

#: engineering prefixes for axes, by power of ten
_PREFIXES = {-15: "f", -12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M"}
#: the SI units that take a prefix on an axis (compound units such as A/m2 keep SI)
_PREFIXABLE = {"V", "A", "S", "F", "s", "Ohm"}


def axis_scale(values: ArrayLike, unit: str) -> tuple[float, str]:
    """The factor and unit that show ``values`` [``unit``, SI] with engineering prefixes.

    The largest magnitude lands in [1, 1000): ``axis_scale([-46e-12, 38e-12], "A")`` gives
    ``(1e12, "pA")``. Units without a prefixed form (``1``, ``A/m2``) and data that are all zero
    or not finite keep the factor 1.
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    finite = np.abs(values[np.isfinite(values)])
    if unit not in _PREFIXABLE or finite.size == 0 or finite.max() == 0.0:
        return 1.0, unit
    power = 3 * int(np.floor(np.log10(finite.max()) / 3))
    power = min(max(power, min(_PREFIXES)), max(_PREFIXES))
    return 10.0**-power, _PREFIXES[power] + unit


def axis_label(name: str, unit: str) -> str:
    """``"conductance_ratio", "1"`` -> ``"conductance ratio [1]"``."""
    return f"{name.replace('_', ' ')} [{unit}]" if unit else name.replace("_", " ")


def new_figure(**options):
    """A matplotlib Figure outside pyplot: no global backend or state is touched (library code
    never calls ``matplotlib.use``), and it is freed with its last reference."""
    from matplotlib.figure import Figure

    return Figure(**options)


def plot_transient(frame: pd.DataFrame, title: str) -> Figure:
    """A figure of V(t) [mV] and the gates, and of a model with ion pools also each pool's
    change from its start [mM] and the batteries that move [mV]; returns the Figure."""
    pools = [c for c in frame.columns if _POOL.fullmatch(str(c))]
    batteries = [c for c in frame.columns if str(c).startswith("E_")]
    gates = [c for c in frame.columns if c not in TRACE_UNITS and c not in (*pools, *batteries)]
    panels = ["v", *(["gates"] if gates else []), *(["pools"] if pools else [])]
    panels += ["batteries"] if batteries else []
    figure = new_figure(figsize=(8, 3.2 + 1.9 * (len(panels) - 1)))
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    seconds = frame.index.to_numpy()
    long = seconds[-1] > 10.0  # runs of seconds to hours (pools) are drawn in seconds
    t = seconds if long else seconds * 1e3
    axis = dict(zip(panels, axes, strict=True))
    axis["v"].plot(t, frame["v"].to_numpy() * 1e3, color="black", lw=1)
    axis["v"].set_ylabel("V [mV]")
    axis["v"].set_title(title)
    if gates:
        for gate in gates:
            axis["gates"].plot(t, frame[gate].to_numpy(), lw=1, label=gate)
        axis["gates"].set_ylabel("states [1]")
        values = frame[gates].to_numpy()
        if values.min() >= 0 and values.max() <= 1:  # gates: the whole range [0, 1]
            axis["gates"].set_ylim(-0.02, 1.02)  # (a memristor's g/g0 keeps its own range)
        axis["gates"].legend(loc="upper right", ncol=min(len(gates), 4), fontsize=8)
    if pools:  # changes from the start: a 0.1 mM change of 140 mM K+ shows
        for pool in pools:
            values = frame[pool].to_numpy()
            label = f"{pool} - {values[0]:.4g} mM"
            axis["pools"].plot(t, values - values[0], lw=1, label=label)
        axis["pools"].set_ylabel("pool change [mM]")
        axis["pools"].legend(loc="best", fontsize=8)
    if batteries:
        for battery in batteries:
            axis["batteries"].plot(t, frame[battery].to_numpy() * 1e3, lw=1, label=battery)
        axis["batteries"].set_ylabel("battery [mV]")
        axis["batteries"].legend(loc="best", fontsize=8)
    axes[-1].set_xlabel("time [s]" if long else "time [ms]")
    figure.tight_layout()
    return figure


#: a pool's column: ion and side (``K_out``, ``Na_in``)
_POOL = re.compile(r"[A-Z][a-z]?_(in|out)")


def save_figure(figure: Figure, path: str | os.PathLike[str], force: bool) -> None:
    import io

    buffer = io.BytesIO()
    suffix = str(path).rsplit(".", 1)[-1].lower()
    if suffix not in ("png", "pdf", "svg"):
        raise InvalidInput(f"--plot {str(path)!r}: use a .png, .pdf or .svg file name")
    figure.savefig(buffer, format=suffix, dpi=120)
    write_bytes_atomic(path, buffer.getvalue(), force=force)
