"""The process's ngspice: a long-lived worker process that runs the shared library.

libngspice runs as fast as ``ngspice -b`` in a process that has never started a thread, and 10
to 20% slower in one that has: numpy's OpenBLAS pool, pandas' pyarrow and any thread of the
user's bring that, and ngspice then pays for every system call and allocation of each time
point (measured in bench/bench_library.py). So ngspice runs in a worker process of its own,
started on first use and kept for the next runs; the data come back as numpy arrays.

Stopping works as before, and more surely: Ctrl-C (KeyboardInterrupt) and ``timeout`` end the
worker, which a hung library cannot resist, and the next run starts a new one (about 0.3 s).
A failed run leaves the worker in service: the library reports its own errors.

``DEVICEKIT_NGSPICE=in-process`` runs the library in the calling process instead (as devicekit
did before), on ngspice's background thread; :func:`in_process_engine` gives that engine too.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from devicekit.analyses import effective_timeout
from devicekit.errors import InvalidInput, SimulationError
from devicekit.spice.library import NgspiceEngine, SpiceRun, timeout_error

__all__ = ["Engine", "NgspiceEngine", "SpiceRun", "WorkerEngine", "engine", "in_process_engine"]

#: ``DEVICEKIT_NGSPICE`` values
MODES = ("worker", "in-process")
_START_TIMEOUT = 60.0  # [s] loading Python, numpy, PySpice and libngspice takes ~0.3 s


def _worker_environment() -> dict[str, str]:
    """The caller's environment, with one thread for every numeric library (the worker does no
    linear algebra of its own) and devicekit importable from where this copy of it lives."""
    environment = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        environment[name] = "1"
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [package_root, *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return environment


class WorkerEngine:
    """ngspice in a worker process (see the module's documentation); the same ``run`` as
    :class:`NgspiceEngine`, which it runs there."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._owner = os.getpid()
        self.runs = 0
        self.restarts = 0  # of the library after a fatal ngspice error, or of the worker
        self.started = 0  # worker processes started

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before the first run or after it was ended)."""
        alive = self._process is not None and self._process.poll() is None
        return self._process.pid if alive and self._process is not None else None

    def _start(self) -> Connection:
        ours, theirs = socket.socketpair()
        with tempfile.TemporaryFile() as log:  # the worker's stderr, for a failed start
            try:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "devicekit.spice.worker",
                        str(theirs.fileno()),
                    ],
                    pass_fds=(theirs.fileno(),),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    env=_worker_environment(),
                    start_new_session=True,  # the terminal's Ctrl-C goes to this process only
                )
            finally:
                theirs.close()
            connection = Connection(ours.detach())
            self._process, self._connection = process, connection
            self.started += 1
            try:
                message = self._receive(time.monotonic() + _START_TIMEOUT)
            except BaseException:  # Ctrl-C during the start
                self.stop()
                raise
            if message[0] != "ready":
                self.stop()
                log.seek(0)
                said = log.read().decode(errors="replace").strip()
                if message[0] == "failed":
                    raise SimulationError(message[1])
                raise SimulationError(
                    f"the ngspice worker process did not start within {_START_TIMEOUT:g} s"
                    if message[0] == "timeout"
                    else f"the ngspice worker process ended as it started (exit status "
                    f"{message[1]}){': ' + said if said else ''}"
                )
        return connection

    def stop(self) -> None:
        """End the worker (the next run starts a new one)."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None and self._owner == os.getpid():
            connection.close()
        if process is not None and self._owner == os.getpid():
            process.kill()
            process.wait()

    def _ready(self) -> Connection:
        if self._owner != os.getpid():  # a forked child: the worker is its parent's
            self._process = self._connection = None
            self._owner = os.getpid()
        if self._process is not None and self._process.poll() is not None:
            self.stop()  # ended while idle (killed from outside): replace it
            self.restarts += 1
        if self._connection is None:
            return self._start()
        return self._connection

    def _receive(self, deadline: float | None) -> tuple[Any, ...]:
        """The worker's next message; ``("timeout",)`` when the deadline passed first and
        ``("ended", exit status)`` when the worker is gone (in both cases it is stopped)."""
        assert self._connection is not None and self._process is not None
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            if self._connection.poll(left):
                message: tuple[Any, ...] = self._connection.recv()
                return message
        except (EOFError, OSError):
            pass
        else:
            self.stop()
            return ("timeout",)
        return self._ended()

    def _ended(self) -> tuple[Any, ...]:
        assert self._process is not None
        code = self._process.wait()
        self.stop()
        self.restarts += 1
        return ("ended", code)

    def _exchange(
        self,
        request: dict[str, Any],
        settled: Callable[[dict[str, np.ndarray]], bool] | None,
        deadline: float | None,
    ) -> tuple[tuple[Any, ...], bool]:
        """Send one run and follow it to its last message: (that message, whether the worker
        had taken the request)."""
        connection = self._ready()
        try:
            connection.send(("run", request))
        except OSError:  # it had ended while idle
            return self._ended(), False
        started = False
        while True:
            message = self._receive(deadline)
            if message[0] == "started":
                started = True
            elif message[0] == "settled?":
                assert settled is not None
                connection.send((settled(message[1]),))
            else:
                return message, started

    def run(
        self,
        netlist: str,
        vectors: list[str] | None = None,
        *,
        expect_until: float | None = None,
        timeout: float | None = None,
        stop_when: str | None = None,
        check_every: float | None = None,
        settled: Callable[[dict[str, np.ndarray]], bool] | None = None,
    ) -> SpiceRun:
        """Load ``netlist`` (with its analysis line), run it, return the vectors: see
        :meth:`NgspiceEngine.run` for the arguments and the errors. Ctrl-C and ``timeout``
        [s] end the worker process; the next run starts another."""
        timeout = effective_timeout(timeout)
        request = {
            "netlist": netlist,
            "vectors": vectors,
            "expect_until": expect_until,
            "stop_when": stop_when,
            "check_every": check_every,
            "settled": settled is not None,
        }
        with self._lock:
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                message, started = self._exchange(request, settled, deadline)
                if message[0] == "ended" and not started:  # gone before it took the run
                    message, started = self._exchange(request, settled, deadline)
            except BaseException:  # Ctrl-C, or settled() raised: the worker is mid-run
                self.stop()
                raise
        kind = message[0]
        if kind == "timeout":
            raise timeout_error(timeout, netlist)
        if kind == "ended":
            raise SimulationError(
                f"the ngspice worker process ended unexpectedly (exit status {message[1]}) "
                "during the run; the next run starts a new one",
                netlist=netlist,
            )
        if kind == "crashed":
            raise SimulationError(f"the ngspice worker failed:\n{message[1]}", netlist=netlist)
        self.restarts += message[-1]
        if kind == "failed":
            raise SimulationError(message[1], netlist=message[2], log=message[3])
        self.runs += 1
        result: SpiceRun = message[1]
        return result

    def reset(self) -> None:
        """Nothing to clear: every run in the worker starts from a clean library."""


#: what simulations need of an ngspice engine: ``run``, ``runs`` and ``restarts``
Engine = NgspiceEngine | WorkerEngine

_ENGINES: dict[str, Engine] = {}
_ENGINE_LOCK = threading.Lock()


def _mode() -> str:
    mode = os.environ.get("DEVICEKIT_NGSPICE", "worker").strip().lower() or "worker"
    if mode not in MODES:
        raise InvalidInput(
            f"DEVICEKIT_NGSPICE = {mode!r} is not one of {', '.join(MODES)}; unset it to run "
            "ngspice in its worker process"
        )
    return mode


def in_process_engine() -> NgspiceEngine:
    """The ngspice library loaded in this process (created on first use)."""
    with _ENGINE_LOCK:
        found = _ENGINES.get("in-process")
        if found is None:
            found = _ENGINES["in-process"] = NgspiceEngine()
    assert isinstance(found, NgspiceEngine)
    return found


def engine() -> Engine:
    """The process's ngspice engine (created on first use): its worker process, or the
    library in this process when ``DEVICEKIT_NGSPICE=in-process``."""
    mode = _mode()
    if mode == "in-process":
        return in_process_engine()
    with _ENGINE_LOCK:
        found = _ENGINES.get(mode)
        if found is None:
            found = _ENGINES[mode] = WorkerEngine()
        return found


def _forget_after_fork() -> None:
    # a forked child shares the parent's worker socket; it must start its own worker
    worker = _ENGINES.get("worker")
    if isinstance(worker, WorkerEngine):
        worker._process = worker._connection = None
        worker._owner = os.getpid()
        worker._lock = threading.RLock()  # in case another thread held it at the fork


def _stop_at_exit() -> None:
    worker = _ENGINES.get("worker")
    if isinstance(worker, WorkerEngine):
        worker.stop()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(_stop_at_exit)
