"""Transients that end as soon as their answer is known (ngspice ``stop when`` and a settled
check between resumes), and find_threshold, which uses them: the answer is the one of full
runs."""

import numpy as np
import pytest

import devicekit as dk
from devicekit.analyses import Transient
from devicekit.models.stimuli import Pulse
from devicekit.spice import netlist
from devicekit.spice.engine import engine
from devicekit.spikes import summarize

UA_CM2 = 1e-2  # A/m^2


def _bench(amplitude):
    model = dk.load_model("hh-squid").with_stimuli(Pulse(amplitude))
    return netlist.testbench(model, Transient(0.2))


def test_a_run_ends_where_its_condition_first_holds():
    # 10 uA/cm^2: the run stops at the first crossing of 0 V, which the full run (same
    # netlist) puts at the same time to within one step (10 us)
    bench = _bench(10 * UA_CM2)
    early = engine().run(bench.text, ["time", "v(vm)"], expect_until=0.2, stop_when="v(vm) > 0")
    full = engine().run(bench.text, ["time", "v(vm)"], expect_until=0.2)
    assert early.stopped == "condition" and full.stopped is None
    first = dk.spike_times(full.vectors["time"], full.vectors["v(vm)"])[0]
    assert early.vectors["v(vm)"][-1] > 0 >= early.vectors["v(vm)"][-2]
    assert abs(early.vectors["time"][-1] - first) < 1e-5
    assert early.vectors["time"].size < 0.1 * full.vectors["time"].size


def test_a_run_ends_once_settled_and_a_full_run_agrees():
    # 2 uA/cm^2 is below the single-spike threshold (2.24): the membrane settles, the check
    # ends the run early, and the full 200 ms run has no spike either
    bench = _bench(2 * UA_CM2)
    calls = []

    def settled(vectors):
        calls.append(vectors["time"][-1])
        t, v = vectors["time"], vectors["v(vm)"]
        return bool(np.ptp(v[t >= t[-1] - 0.02]) < 1e-6)

    early = engine().run(bench.text, ["time", "v(vm)"], expect_until=0.2,
                         stop_when="v(vm) > 0", check_every=0.02, settled=settled)  # fmt: skip
    assert early.stopped == "settled" and early.vectors["time"][-1] < 0.2
    # the checks came at the checkpoints, 20 ms apart
    assert np.allclose(np.diff(calls), 0.02, rtol=1e-3)
    full = dk.simulate("hh-squid", Transient(0.2), stimuli=[Pulse(2 * UA_CM2)])
    assert summarize(full).count == 0
    # the engine is clean afterwards: a plain run runs to its end
    again = engine().run(bench.text, ["time"], expect_until=0.2)
    assert again.stopped is None and again.vectors["time"][-1] == pytest.approx(0.2)


def test_single_threshold_is_that_of_full_runs():
    # find_threshold ends each run at its spike or once settled; full 1 s runs (the default
    # duration) at its answer fire, and 0.2% below it (twice the default rtol) do not
    found = dk.find_threshold("hh-squid")
    assert found / UA_CM2 == pytest.approx(2.24, abs=0.011)  # HH: 2.24 (test_simulation)
    above = dk.simulate("hh-squid", Transient(1.0), stimuli=[Pulse(found)])
    below = dk.simulate("hh-squid", Transient(1.0), stimuli=[Pulse(found / 1.002)])
    assert summarize(above).count >= 1 and summarize(below).count == 0
