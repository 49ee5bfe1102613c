"""Simulations can be stopped (Ctrl-C) and bounded (timeouts, refused endless inputs).

Real signals go to real subprocesses running the real ngspice; nothing is mocked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import devicekit as dk
from devicekit.analyses import MAX_DC_POINTS, MAX_STEPS, DCSweep, Transient, time_limit
from devicekit.errors import InvalidInput, ModelCardError, SimulationError, SweepError
from devicekit.models.builtin import builtin_model
from devicekit.models.kinetics import Gate, RateFunction
from devicekit.models.stimuli import Pulse
from devicekit.spice.engine import engine

# hh-squid for 20 s of simulated time takes ngspice about 25 s here: long enough to interrupt
LONG = ["simulate", "hh-squid", "--stim", "10uA/cm2", "--tstop", "20s"]
STOP_WITHIN = 1.0  # [s] the "within about a second"


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def _short_run():
    return dk.simulate("hh-squid", Transient(0.02), stimuli=[Pulse(0.1)])


@pytest.mark.parametrize("backend", ["spice", "native"])
def test_ctrl_c_stops_a_run_in_process_and_the_engine_stays_usable(backend):
    reference = _short_run()
    timer = _interrupt_after(0.5)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        dk.simulate("hh-squid", Transient(20.0), stimuli=[Pulse(0.1)], backend=backend)
    timer.join()
    assert time.monotonic() - start < 0.5 + STOP_WITHIN
    again = _short_run()  # the same engine, the same answer as before the interrupt
    np.testing.assert_array_equal(again["v"].to_numpy(), reference["v"].to_numpy())


def test_ctrl_c_stops_a_sweep_in_this_process():
    timer = _interrupt_after(0.5)
    start = time.monotonic()
    with pytest.raises(SweepError) as caught:
        dk.sweep(
            "hh-squid",
            {"stimulus.amplitude": [0.1, 0.2]},
            Transient(20.0),
            stimuli=[Pulse(0.0)],
            workers=0,
            progress=False,
        )
    timer.join()
    assert caught.value.interrupted
    assert time.monotonic() - start < 0.5 + STOP_WITHIN
    assert len(_short_run()) > 100


@pytest.mark.parametrize(
    "command",
    [
        LONG,
        [*LONG, "--backend", "native"],
        ["sweep", "hh-squid", "--param", "stimulus.amplitude=10uA/cm2,20uA/cm2", "--tstop",
         "20s", "--workers", "0", "--no-progress", "-o", "points.csv"],
    ],
    ids=["spice", "native", "sweep-in-process"],
)  # fmt: skip
def test_ctrl_c_on_the_cli_exits_130_with_one_line(command, tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "devicekit", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    time.sleep(3.0)  # start-up (imports, ngspice) is over; the run is under way
    assert process.poll() is None, "the long run ended before it could be interrupted"
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - sent < STOP_WITHIN
    assert process.returncode == 130
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], stderr


@pytest.mark.parametrize("backend", ["spice", "native"])
def test_timeout_stops_a_run_with_a_simulation_error(backend):
    start = time.monotonic()
    with pytest.raises(SimulationError, match=r"timeout of 0\.3 s"):
        dk.simulate("hh-squid", Transient(20.0), stimuli=[Pulse(0.1)], backend=backend, timeout=0.3)
    assert time.monotonic() - start < 0.3 + STOP_WITHIN
    assert len(_short_run()) > 100  # the engine is usable afterwards


def test_time_limit_block_applies_to_runs_without_their_own_timeout():
    with time_limit(0.3), pytest.raises(SimulationError, match="timeout"):
        dk.simulate("hh-squid", Transient(20.0), stimuli=[Pulse(0.1)])
    _short_run()  # outside the block: no limit


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "30s", True])
def test_a_bad_timeout_is_refused(bad):
    with pytest.raises(InvalidInput, match="timeout"):
        dk.simulate("hh-squid", Transient(0.01), timeout=bad)


SWEEP_LONG = [*["sweep", "hh-squid", "--param", "stimulus.amplitude=10uA/cm2", "--tstop", "20s"],
              *["--workers", "0", "--no-progress", "-o", "points.csv"]]  # fmt: skip


@pytest.mark.parametrize("command", [LONG, SWEEP_LONG])
def test_cli_timeout(command, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "devicekit", *command, "--timeout", "1s"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    if command[0] == "simulate":
        assert result.returncode == 2
        assert "timeout of 1 s" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    else:  # a sweep records the point as failed and goes on
        import pandas as pd

        table = pd.read_csv(tmp_path / "points.csv")
        assert table["error"].str.contains("timeout of 1 s").all()


def test_cli_timeout_must_be_a_time():
    result = subprocess.run(
        [sys.executable, "-m", "devicekit", *LONG, "--timeout", "30"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--timeout" in result.stderr and "Traceback" not in result.stderr


def test_demo_timeout_ends_the_first_simulation(tmp_path):
    # 1 ms is far less than any ngspice run of the demo (hh-squid takes ~0.1 s): step 2 stops
    result = subprocess.run(
        [sys.executable, "-m", "devicekit", "demo", "--out", str(tmp_path / "r"),
         "--timeout", "1ms", "--no-progress"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "timeout of 0.001 s" in result.stderr
    assert "Traceback" not in result.stderr


def test_fit_verify_and_demo_take_a_timeout():
    for command in ("fit", "demo"):
        result = subprocess.run(
            [sys.executable, "-m", "devicekit", command, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "--timeout" in result.stdout


# ------------------------------------------------------------------ refused before the run
def test_too_many_steps_are_refused():
    with pytest.raises(InvalidInput, match="steps"):
        Transient(MAX_STEPS * 1e-5 * 2, max_step=1e-5)
    Transient(1.0, max_step=1e-5)  # 1e5 steps is fine


def test_too_many_dc_points_are_refused():
    with pytest.raises(InvalidInput, match="points"):
        DCSweep(-1.0, 1.0, 2.0 / (MAX_DC_POINTS * 10))


@pytest.mark.parametrize("tau", ["0ms", "-1ms"])
def test_a_time_constant_that_is_not_positive_is_refused(tau):
    ml = builtin_model("morris-lecar")
    channel = next(c for c in ml.channels if any(g.tau is not None for g in c.gates))
    gate = next(g for g in channel.gates if g.tau is not None)
    from devicekit.units import parse_quantity

    bad_gate = Gate(
        gate.name,
        gate.power,
        inf=gate.inf,
        tau=RateFunction("constant", parse_quantity(tau, "time")),
    )
    from dataclasses import replace

    bad_channel = replace(channel, gates=(bad_gate,))
    model = replace(ml, channels=tuple(bad_channel if c is channel else c for c in ml.channels))
    for backend in ("spice", "native"):
        with pytest.raises(ModelCardError, match="time constant"):
            dk.simulate(model, Transient(0.01), backend=backend)


def test_engine_counts_runs_after_an_interrupt():
    runs = engine().runs
    _short_run()
    assert engine().runs == runs + 1


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_stimulus_that_is_not_finite_is_refused_before_the_run(bad):
    with pytest.raises(InvalidInput, match="finite"):
        dk.simulate("hh-squid", Transient(0.01), stimuli=[Pulse(bad)])


def test_negative_rates_make_a_negative_time_constant_and_are_refused():
    from dataclasses import replace

    hh = builtin_model("hh-squid")
    k = next(c for c in hh.channels if c.name == "k")
    n = k.gates[0]
    # beta_n = -1/ms everywhere: alpha_n + beta_n < 0 below about -10 mV
    bad = Gate(n.name, n.power, alpha=n.alpha, beta=RateFunction("constant", -1e3))
    model = replace(hh, channels=tuple(replace(c, gates=(bad,)) if c is k else c
                                       for c in hh.channels))  # fmt: skip
    with pytest.raises(ModelCardError, match=r"alpha \+ beta is .* at"):
        dk.simulate(model, Transient(0.01))


def test_a_rate_that_only_overflows_far_away_is_not_refused():
    # an exp rate with a 0.1 mV scale overflows above ~70 mV; the model is judged where the
    # rates are finite, so it still runs (it may never reach those voltages)
    from dataclasses import replace

    hh = builtin_model("hh-squid")
    k = next(c for c in hh.channels if c.name == "k")
    n = k.gates[0]
    steep = Gate(n.name, n.power, alpha=n.alpha, beta=RateFunction("exp", 125.0, -0.065, -1e-4))
    model = replace(hh, channels=tuple(replace(c, gates=(steep,)) if c is k else c
                                       for c in hh.channels))  # fmt: skip
    model.check_time_constants()
