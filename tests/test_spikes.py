import numpy as np
import pandas as pd
import pytest

from devicekit.errors import InvalidInput
from devicekit.spikes import spike_times, summarize


def test_linear_interpolation_is_exact_on_a_ramp():
    t = np.array([0.0, 1.0, 2.0, 3.0])
    v = np.array([-1.0, -0.5, 0.5, -1.0])
    assert spike_times(t, v) == pytest.approx([1.5])
    assert spike_times(t, v, threshold=0.25) == pytest.approx([1.75])


def test_summary_of_a_synthetic_train():
    t = np.linspace(0, 1, 100001)
    v = 0.05 * np.sin(2 * np.pi * 10 * t) - 0.01  # 10 Hz, crossing 0 V upward
    s = summarize(pd.DataFrame({"v": v}, index=pd.Index(t, name="time")))
    assert s.count == 10 and s.rate == pytest.approx(10.0, rel=1e-6)
    assert s.first_peak == pytest.approx(0.04, abs=1e-6)


def test_bad_traces():
    with pytest.raises(InvalidInput):
        spike_times([0, 1], [0, 1, 2])
