"""Figure helpers: engineering units on axes, transient figures, atomic saving."""

import numpy as np
import pandas as pd
import pytest

from devicekit.errors import InvalidInput
from devicekit.plotting import axis_label, axis_scale, plot_transient, save_figure


@pytest.mark.parametrize(
    ("values", "unit", "factor", "shown"),
    [
        # the DNA-nanopore I-V spans -46 to +38 pA (measurements/howorka_dna_nanopore_iv.csv)
        ([-46e-12, 38e-12], "A", 1e12, "pA"),
        ([-0.1, 0.1], "V", 1e3, "mV"),  # +-100 mV, not +-0.1 V
        ([-1.9, 2.0], "V", 1.0, "V"),
        ([999e-9], "S", 1e9, "nS"),  # the largest magnitude lands in [1, 1000)
        ([1e-6], "S", 1e6, "uS"),
        ([0.6, 4.8], "1", 1.0, "1"),  # dimensionless: no prefix
        ([0.5], "A/m2", 1.0, "A/m2"),  # compound units keep SI
        ([0.0, 0.0], "A", 1.0, "A"),  # all zero: nothing to scale by
        ([np.nan, np.inf], "V", 1.0, "V"),
        ([1e-20], "A", 1e15, "fA"),  # beyond the table: its smallest prefix
    ],
)
def test_axis_scale(values, unit, factor, shown):
    assert axis_scale(values, unit) == (factor, shown)


def test_axis_label():
    assert axis_label("conductance_ratio", "1") == "conductance ratio [1]"
    assert axis_label("current", "pA") == "current [pA]"
    assert axis_label("swing", "") == "swing"


def test_plot_transient_in_millivolts_and_milliseconds(tmp_path):
    t = np.linspace(0.0, 0.01, 11)
    frame = pd.DataFrame({"v": -0.065 + 0.001 * t, "na_m": 0.05 + 0 * t}, index=t)
    figure = plot_transient(frame, "test")
    top, gates = figure.axes
    assert np.allclose(top.lines[0].get_xdata(), t * 1e3, rtol=1e-15)
    assert np.allclose(top.lines[0].get_ydata(), frame["v"] * 1e3, rtol=1e-15)
    assert top.get_ylabel() == "V [mV]" and gates.get_xlabel() == "time [ms]"
    save_figure(figure, tmp_path / "v.png", force=False)
    assert (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InvalidInput, match=r"\.png, \.pdf or \.svg"):
        save_figure(plot_transient(frame, "test"), tmp_path / "v.jpg", force=False)


def test_each_state_keeps_its_own_range():
    # a memristor's g/g0 of 0.6 to 5 is not clipped to a gate's [0, 1]; gates still are shown
    # on [0, 1] (a margin of 0.02)
    t = np.linspace(0.0, 0.01, 11)
    memristor = pd.DataFrame({"v": 0 * t, "cone_x": 0.6 + 440 * t}, index=t)
    low, high = plot_transient(memristor, "memristor").axes[1].get_ylim()
    assert low <= 0.6 and high >= 5.0
    gates = pd.DataFrame({"v": 0 * t, "na_m": 0.05 + 0 * t}, index=t)
    assert plot_transient(gates, "hh").axes[1].get_ylim() == pytest.approx((-0.02, 1.02))
