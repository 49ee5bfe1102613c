"""Figures: transients and fits, saved atomically (matplotlib with the Agg backend)."""

from __future__ import annotations

from devicekit.errors import InvalidInput

__all__ = ["TRACE_UNITS", "plot_transient", "save_figure"]

#: SI units of the non-gate columns of a transient
TRACE_UNITS = {"v": "V", "stimulus": "A", "clamp_current": "A", "current": "A"}


def plot_transient(frame, title: str):
    """A figure of V(t) [mV] and the gates; returns the matplotlib Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gates = [c for c in frame.columns if c not in TRACE_UNITS]
    rows = 2 if gates else 1
    figure, axes = plt.subplots(
        rows, 1, sharex=True, figsize=(8, 5 if gates else 3.2), squeeze=False
    )
    t = frame.index.to_numpy() * 1e3
    axes[0, 0].plot(t, frame["v"].to_numpy() * 1e3, color="black", lw=1)
    axes[0, 0].set_ylabel("V [mV]")
    axes[0, 0].set_title(title)
    if gates:
        for gate in gates:
            axes[1, 0].plot(t, frame[gate].to_numpy(), lw=1, label=gate)
        axes[1, 0].set_ylabel("gates [1]")
        axes[1, 0].set_ylim(-0.02, 1.02)
        axes[1, 0].legend(loc="upper right", ncol=min(len(gates), 4), fontsize=8)
    axes[-1, 0].set_xlabel("time [ms]")
    figure.tight_layout()
    return figure


def save_figure(figure, path, force: bool) -> None:
    import io

    import matplotlib.pyplot as plt

    from devicekit.io import write_bytes_atomic

    buffer = io.BytesIO()
    suffix = str(path).rsplit(".", 1)[-1].lower()
    if suffix not in ("png", "pdf", "svg"):
        raise InvalidInput(f"--plot {str(path)!r}: use a .png, .pdf or .svg file name")
    figure.savefig(buffer, format=suffix, dpi=120)
    plt.close(figure)
    write_bytes_atomic(path, buffer.getvalue(), force=force)
