"""ngspice's worker process: the same answers as the library in this process, a lean
single-threaded process (what keeps it as fast as ``ngspice -b``), and a worker that dies, is
killed or is inherited by a fork is replaced without a wrong answer.

Everything runs the real ngspice in real processes; nothing is mocked."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from devicekit.analyses import Transient
from devicekit.errors import InvalidInput, SimulationError
from devicekit.models.builtin import builtin_model
from devicekit.models.stimuli import Pulse
from devicekit.spice.engine import WorkerEngine, engine, in_process_engine
from devicekit.spice.library import NgspiceEngine
from devicekit.spice.netlist import testbench as make_testbench

# hh-squid for 20 s of simulated time takes ngspice about 25 s here: long enough to kill mid-run
LONG = Transient(20.0)


def _bench(analysis=None):
    model = builtin_model("hh-squid").with_stimuli(Pulse(0.1))
    return make_testbench(model, analysis or Transient(0.05), None)


def _run(ngspice, bench):
    return ngspice.run(bench.text, bench.vectors, expect_until=bench.expect_until)


def test_the_worker_gives_the_vectors_of_the_library_in_this_process():
    # the same netlist in the same library build: a round trip that must be bit-identical
    bench = _bench()
    worker = _run(engine(), bench)
    here = _run(in_process_engine(), bench)
    assert set(worker.vectors) == set(here.vectors)
    for name, values in here.vectors.items():
        np.testing.assert_array_equal(worker.vectors[name], values, err_msg=name)
    assert worker.vectors["time"][-1] == pytest.approx(0.05, rel=1e-12)


def test_the_worker_is_single_threaded_and_imports_no_pandas():
    ngspice = engine()
    _run(ngspice, _bench())
    assert isinstance(ngspice, WorkerEngine) and ngspice.pid is not None
    with open(f"/proc/{ngspice.pid}/status") as status:
        threads = next(line for line in status if line.startswith("Threads:"))
    assert threads.split()[1] == "1"
    with open(f"/proc/{ngspice.pid}/maps") as maps:
        libraries = {line.split()[-1] for line in maps if ".so" in line}
    assert any("libngspice" in path for path in libraries)
    assert not [path for path in libraries if "pandas" in path or "pyarrow" in path]


def test_a_worker_killed_while_idle_is_replaced():
    ngspice = engine()
    first = _run(ngspice, _bench())
    pid, restarts = ngspice.pid, ngspice.restarts
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    again = _run(ngspice, _bench())
    assert ngspice.pid not in (None, pid)
    assert ngspice.restarts == restarts + 1
    np.testing.assert_array_equal(again.vectors["v(vm)"], first.vectors["v(vm)"])


def test_a_worker_killed_mid_run_is_an_error_and_the_next_run_works():
    ngspice = engine()
    reference = _run(ngspice, _bench())
    pid = ngspice.pid
    assert pid is not None
    killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
    killer.start()
    with pytest.raises(SimulationError, match="worker process ended unexpectedly"):
        _run(ngspice, _bench(LONG))
    killer.join()
    again = _run(ngspice, _bench())
    np.testing.assert_array_equal(again.vectors["v(vm)"], reference.vectors["v(vm)"])


def _pid_of_the_engine_in_a_forked_child(_: int) -> tuple[int, float]:
    ngspice = engine()
    run = _run(ngspice, _bench())
    assert isinstance(ngspice, WorkerEngine) and ngspice.pid is not None
    return ngspice.pid, float(run.vectors["v(vm)"][-1])


# Python 3.12+ warns that fork() in a process with threads (OpenBLAS's here) may deadlock; a
# user may fork all the same, which is what this test is about
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_starts_its_own_worker():
    ngspice = engine()
    here = _run(ngspice, _bench())
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child_pid, last = pool.map(_pid_of_the_engine_in_a_forked_child, [0])[0]
    assert child_pid != ngspice.pid
    assert last == here.vectors["v(vm)"][-1]
    # and this process's worker was left alone by the child
    np.testing.assert_array_equal(_run(ngspice, _bench()).vectors["v(vm)"], here.vectors["v(vm)"])


def test_a_missing_library_is_reported_by_a_new_worker(monkeypatch):
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so")
    worker = WorkerEngine()
    try:
        with pytest.raises(SimulationError, match=r"nonexistent/libngspice\.so"):
            _run(worker, _bench())
        assert worker.pid is None
    finally:
        worker.stop()


def test_the_engine_is_chosen_by_devicekit_ngspice(monkeypatch):
    monkeypatch.setenv("DEVICEKIT_NGSPICE", "in-process")
    assert isinstance(engine(), NgspiceEngine)
    monkeypatch.setenv("DEVICEKIT_NGSPICE", "worker")
    assert isinstance(engine(), WorkerEngine)
    monkeypatch.setenv("DEVICEKIT_NGSPICE", "subshell")
    with pytest.raises(InvalidInput, match=r"'subshell' is not one of worker, in-process"):
        engine()


_ORPHAN = """
import time
from devicekit.analyses import Op
from devicekit.models.builtin import builtin_model
from devicekit.spice.engine import engine
from devicekit.spice.netlist import testbench
bench = testbench(builtin_model("hh-squid"), Op(), None)
ngspice = engine()
ngspice.run(bench.text, bench.vectors)
print(ngspice.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("how", ["killed", "exits"])
def test_the_worker_ends_with_its_parent(how):
    # killed: no atexit handler runs, and the worker sees its socket close; exits: the atexit
    # handler ends it
    script = _ORPHAN if how == "killed" else _ORPHAN.replace("time.sleep(600)", "")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    if how == "killed":
        parent.kill()
    parent.wait(timeout=60)
    parent.stdout.close()
    for _ in range(100):  # within milliseconds here; 5 s allowed for a busy machine
        if _state(pid) in ("gone", "zombie"):
            break
        time.sleep(0.05)
    assert _state(pid) in ("gone", "zombie")


def _state(pid: int) -> str:
    """'gone', 'zombie' or another state of /proc/PID/status."""
    try:
        with open(f"/proc/{pid}/status") as status:
            line = next(line for line in status if line.startswith("State:"))
    except (OSError, StopIteration):
        return "gone"
    return "zombie" if "zombie" in line.lower() else line.split()[1]
