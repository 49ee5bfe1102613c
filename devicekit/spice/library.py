"""One ngspice shared-library instance, run through PySpice's binding.

PySpice 1.5 is used for what it does well (loading libngspice and its C API through cffi), while
devicekit owns two things PySpice gets wrong with current ngspice releases:

* **what counts as an error.** PySpice treats every stderr line that does not begin with
  ``Warning:`` as a failure (ngspice 42 and later print e.g. "Using SPARSE 1.3 as Direct Linear
  Solver" there) and every stdout line containing "error". Here a run fails when ngspice reports
  an error message we recognise (``Error``, "timestep too small", "singular matrix", ...) *or*
  when the analysis produced no complete result, whatever the chatter on stderr;
* **noise**: PySpice logs "Unsupported Ngspice version NN" for releases newer than its table;
  that logger is quietened, since vectors are read here by name, not through that table.

The shared library is not re-entrant, so one process holds one instance, used under a lock. After
a failure the circuit and its plots are removed, so the next run starts clean.

Simulations normally reach this class through :mod:`devicekit.spice.engine`, which runs it in a
lean worker process (:mod:`devicekit.spice.worker`); it can also run in the calling process.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from devicekit.analyses import effective_timeout
from devicekit.errors import SimulationError

__all__ = ["NgspiceEngine", "SpiceRun", "timeout_error"]

_ERROR = re.compile(
    r"\berror\b|timestep too small|singular matrix|simulation\(s\) aborted|"
    r"analysis aborted|iteration limit|no convergence|could not find|unknown (subckt|model|"
    r"device|parameter)|not parsed|fatal",
    re.IGNORECASE,
)
# ngspice's shared library cannot continue after these (numparam errors call its exit routine)
_FATAL = re.compile(r"cannot recover|awaits to be detached|fatal error", re.IGNORECASE)
_BENIGN = re.compile(
    r"^(warning|note|using sparse|trying|supplies reduced|gmin|source step)", re.IGNORECASE
)


@dataclass
class SpiceRun:
    """Vectors of one analysis: name (lower case, e.g. ``time``, ``v(vm)``) -> numpy array."""

    plot: str
    vectors: dict[str, np.ndarray]
    log: str
    #: why a transient ended before its end: "condition" (stop_when) or "settled"; else None
    stopped: str | None = None


def timeout_error(timeout: float | None, netlist: str) -> SimulationError:
    """The error of a run that its timeout [s] stopped."""
    return SimulationError(
        f"the simulation took longer than its timeout of {timeout:g} s and was stopped; give a "
        "larger timeout (--timeout), a shorter tstop or a faster preset",
        netlist=netlist,
    )


def _quiet_pyspice() -> None:
    logging.getLogger("PySpice").setLevel(logging.ERROR)


@functools.cache
def _shared_class() -> tuple[type[Any], Any]:
    _quiet_pyspice()
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared, ffi, ffi_string_utf8

    # PySpice has no type information: the class it gives is Any to a type checker
    class _Shared(NgSpiceShared):  # type: ignore[misc]
        """NgSpiceShared that records ngspice's output without judging it, and that can be
        loaded again after ngspice declared itself dead (PySpice declares its C API on a
        module-global FFI, which refuses a second declaration)."""

        _declared = False

        def _load_library(self, verbose: bool) -> None:
            if not _Shared._declared:
                super()._load_library(verbose)
                _Shared._declared = True
            else:
                self._ngspice_shared = ffi.dlopen(self.library_path)

        @staticmethod
        def _background_thread_running(not_running: bool, ngspice_id: int, user_data: Any) -> int:
            # ngspice calls this from its background thread: false when a bg_run starts, true
            # when it has ended (PySpice's own version returns None, which cffi rejects)
            self = ffi.from_handle(user_data)
            if not_running:
                self._bg_done.set()
            return 0

        @staticmethod
        def _send_char(message_c: Any, ngspice_id: int, user_data: Any) -> int:
            self = ffi.from_handle(user_data)
            prefix, _, content = ffi_string_utf8(message_c).partition(" ")
            (self._stderr if prefix == "stderr" else self._stdout).append(content)
            return 0

    return _Shared, ffi


def _library_path() -> str | None:
    """PySpice opens the bare name libngspice.so (Debian: libngspice0-dev). Without it, fall
    back to libngspice.so.0, unless NGSPICE_LIBRARY_PATH says otherwise."""
    if os.environ.get("NGSPICE_LIBRARY_PATH"):
        return os.environ["NGSPICE_LIBRARY_PATH"]
    import ctypes.util

    for candidate in ("libngspice.so", "libngspice.so.0"):
        try:
            import ctypes

            ctypes.CDLL(candidate)
            return candidate
        except OSError:
            continue
    found = ctypes.util.find_library("ngspice")
    return found


def _loaded_file(name: str) -> str | None:
    """The file behind a loaded shared library, from /proc/self/maps (Linux)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if "/" in line else ""
                if os.path.basename(path).startswith(name):
                    return path
    except OSError:
        return None
    return None


def _private_copy(library: str, generation: int) -> str:
    import shutil
    import tempfile

    source = library if os.path.isabs(library) else _loaded_file("libngspice")
    if source is None:
        raise SimulationError(
            "ngspice stopped after a fatal error and its library file could not be found to "
            "load it again; restart the Python process"
        )
    folder = tempfile.mkdtemp(prefix="devicekit-ngspice-")
    copy = os.path.join(folder, f"libngspice-{generation}.so")
    shutil.copyfile(source, copy)
    return copy


class NgspiceEngine:
    """One ngspice shared-library instance, run under a lock.

    ``background=True`` runs each analysis on ngspice's background thread while the calling
    thread waits, so that Ctrl-C and ``timeout`` stop it here. ``background=False`` runs it on
    the calling thread with ngspice's blocking ``run`` and ``resume`` and leaves stopping it to
    whoever owns the process (the worker process, which its parent ends): no thread is ever
    started, which keeps libngspice as fast as ``ngspice -b`` (bench/bench_library.py).
    """

    def __init__(self, *, background: bool = True) -> None:
        self.background = background
        self._lock = threading.RLock()
        # PySpice's NgSpiceShared and cffi's FFI, which carry no type information
        self._shared: Any = None
        self._ffi: Any = None
        self.runs = 0
        self.restarts = 0
        self._dead: list[Any] = []
        self._copy_path: str | None = None

    def _instance(self) -> Any:
        if self._shared is None:
            shared_class, self._ffi = _shared_class()
            path = self._copy_path or _library_path()
            if path is None:
                raise SimulationError(
                    "the ngspice shared library (libngspice) was not found; install it with "
                    "'apt-get install libngspice0-dev' (or run 'make setup'), or set "
                    "NGSPICE_LIBRARY_PATH to libngspice.so.0"
                )
            shared_class.LIBRARY_PATH = path
            try:
                self._shared = shared_class(ngspice_id=0, send_data=False)
                self._shared._bg_done = threading.Event()  # set by the thread-end callback
            except OSError as error:
                raise SimulationError(f"cannot load ngspice from {path!r}: {error}") from None
        return self._shared

    # ------------------------------------------------------------------ low level
    def _command(self, command: str) -> None:
        shared = self._instance()
        shared._ngspice_shared.ngSpice_Command(command.encode("ascii"))

    def _clear_output(self) -> None:
        shared = self._instance()
        shared._stdout.clear()
        shared._stderr.clear()

    def _output(self) -> tuple[list[str], list[str]]:
        shared = self._instance()
        return list(shared._stdout), list(shared._stderr)

    def _errors(self) -> list[str]:
        stdout, stderr = self._output()
        return [
            line.strip()
            for line in stderr + stdout
            if _ERROR.search(line) and not _BENIGN.match(line.strip())
        ]

    def _load(self, netlist: str) -> None:
        shared = self._instance()
        ffi = self._ffi
        lines = [line for line in netlist.splitlines() if line.strip()] + [""]
        keep = [ffi.new("char[]", line.encode("utf8")) for line in lines] + [ffi.NULL]
        shared._ngspice_shared.ngSpice_Circ(ffi.new("char *[]", keep))

    def _running(self) -> bool:
        return bool(self._instance()._ngspice_shared.ngSpice_running())

    def _halt(self) -> None:
        """Stop the background analysis thread (ngspice's ``bg_halt``) and wait for it."""
        self._command("bg_halt")
        for _ in range(1000):  # bg_halt joins the thread; this only guards a slow join
            if not self._running():
                return
            time.sleep(0.001)

    def _run_background(self, timeout: float | None, command: str = "bg_run") -> float | None:
        """Run the loaded circuit on ngspice's background thread and wait for it here, in
        Python, so that Ctrl-C (KeyboardInterrupt) and ``timeout`` can stop it. Returns the
        elapsed time when the timeout ended the run, else None. ``bg_resume`` continues a run
        that a ``stop when`` condition paused."""
        if not self.background:  # "run" / "resume" block until the analysis ends or pauses
            self._command(command.removeprefix("bg_"))
            return None
        start = time.monotonic()
        done = self._instance()._bg_done
        done.clear()
        self._command(command)
        pause = 0.0002  # short runs (~10 ms) are not slowed; long ones are polled every 20 ms
        try:
            while not done.wait(pause):
                pause = min(2 * pause, 0.02)
                elapsed = time.monotonic() - start
                if timeout is not None and elapsed > timeout:
                    self._halt()
                    return elapsed
                if elapsed > 0.5 and not self._running():  # ended without its callback
                    break
        except BaseException:  # KeyboardInterrupt, SystemExit: stop ngspice, then re-raise
            self._halt()
            raise
        return None

    def _run_steered(
        self,
        timeout: float | None,
        stop_when: str | None,
        check_every: float | None,
        settled: Callable[[dict[str, np.ndarray]], bool] | None,
        vectors: list[str] | None,
        before: str,
    ) -> tuple[float | None, str | None]:
        """(timed out after [s] or None, why it stopped early or None): the run, paused at
        every checkpoint of simulated time to ask ``settled``, and ended where ``stop_when``
        first holds. ngspice keeps a met ``stop when`` condition, so the conditions are
        deleted and set again before each resume."""
        start = time.monotonic()
        checkpoint = check_every if settled is not None and check_every else None

        def arm() -> None:
            self._command("delete all")
            if stop_when:
                self._command(f"stop when {stop_when}")
            if checkpoint is not None:
                self._command(f"stop when time > {checkpoint!r}")

        if stop_when is None and checkpoint is None:
            return self._run_background(timeout), None
        arm()
        command = "bg_run"
        try:
            while True:
                left = None if timeout is None else timeout - (time.monotonic() - start)
                if left is not None and left <= 0:
                    self._halt()
                    return time.monotonic() - start, None
                self._clear_output()
                timed_out = self._run_background(left, command)
                if timed_out is not None:
                    return time.monotonic() - start, None
                stdout, stderr = self._output()
                met = [line for line in stdout + stderr if "condition met" in line]
                if not met:
                    return None, None  # ran to its end
                if any("time >" not in " ".join(line.split()) for line in met):
                    return None, "condition"  # stop_when held (not the checkpoint)
                if settled is None or checkpoint is None or check_every is None:
                    return None, "condition"  # only stop_when was armed
                plot = self._current_plot()
                if plot != before:
                    names = vectors if vectors is not None else self._vector_names(plot)
                    so_far = {name.lower(): self._vector(plot, name) for name in names}
                    if settled(so_far):
                        return None, "settled"
                checkpoint += check_every
                arm()
                command = "bg_resume"
        finally:
            self._command("delete all")

    def _current_plot(self) -> str:
        shared = self._instance()
        return str(self._ffi.string(shared._ngspice_shared.ngSpice_CurPlot()).decode())

    def _vector(self, plot: str, name: str) -> np.ndarray:
        shared, ffi = self._instance(), self._ffi
        info = shared._ngspice_shared.ngGet_Vec_Info(f"{plot}.{name}".encode())
        if info == ffi.NULL:
            raise KeyError(name)
        n = info.v_length
        if info.v_realdata != ffi.NULL:
            return np.frombuffer(ffi.buffer(info.v_realdata, n * 8), dtype=np.float64).copy()
        raw = np.frombuffer(ffi.buffer(info.v_compdata, n * 16), dtype=np.float64)
        return raw[0::2] + 1j * raw[1::2]

    def _vector_names(self, plot: str) -> list[str]:
        shared, ffi = self._instance(), self._ffi
        names: list[str] = []
        pointer, i = shared._ngspice_shared.ngSpice_AllVecs(plot.encode()), 0
        while pointer[i] != ffi.NULL:
            names.append(ffi.string(pointer[i]).decode())
            i += 1
        return names

    def reset(self) -> None:
        """Remove the loaded circuit and every plot (after each analysis and each failure):
        a run loads exactly one circuit, so one remcirc frees it."""
        with self._lock:
            self._command("destroy all")
            self._command("remcirc")
            self._clear_output()

    def _restart(self) -> None:
        """Replace a library instance that ngspice has declared dead.

        Unloading it (dlclose) crashes the process, so the dead instance stays loaded and
        unused, and the next run loads a private copy of the library file, which the dynamic
        loader treats as a new library with fresh state (about 10 MB each time; only a fatal
        ngspice error, which devicekit's own netlists do not provoke, leads here)."""
        if self._shared is not None:
            self._dead.append(self._shared)  # keep it referenced: never unloaded
            self._copy_path = _private_copy(self._shared.library_path, len(self._dead))
        self._shared = None
        self.restarts += 1

    # ------------------------------------------------------------------ public
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
        """Load ``netlist`` (with its analysis line), run it, return the vectors.

        The analysis runs on ngspice's background thread while this thread waits, so that
        Ctrl-C stops it within milliseconds (``KeyboardInterrupt`` is raised here, and the
        engine stays usable) and ``timeout`` [s] bounds its wall-clock time.

        A transient can end as soon as its answer is known: ``stop_when`` is an ngspice
        condition (``"v(vm) > 0"``, a spike) that ends it where it first holds, and
        ``settled``, a function of the vectors so far, is asked every ``check_every``
        seconds of simulated time whether the rest can be skipped. ``SpiceRun.stopped`` then
        says why it ended early (``"condition"`` or ``"settled"``), and ``expect_until`` is
        not required of it.

        Raises
        ------
        SimulationError
            With ngspice's own messages and the netlist, when ngspice reports an error, the
            analysis did not complete (``expect_until``: the final time a transient must reach)
            or it ran longer than ``timeout``.
        """
        timeout = effective_timeout(timeout)
        with self._lock:
            self._instance()
            self._clear_output()
            self._command("destroy all")
            self._load(netlist)
            load_errors = self._errors()
            before = self._current_plot()
            timed_out, stopped = None, None
            if not load_errors:
                try:
                    timed_out, stopped = self._run_steered(
                        timeout, stop_when, check_every, settled, vectors, before
                    )
                except BaseException:
                    self.reset()
                    raise
            if timed_out is not None:
                self.reset()
                raise timeout_error(timeout, netlist)
            plot = self._current_plot()
            errors = self._errors()
            stdout, stderr = self._output()
            log = "\n".join(stdout + stderr)
            fatal = any(_FATAL.search(line) for line in stdout + stderr)
            try:
                if errors or fatal or plot == before or plot == "const":
                    reason = "; ".join(dict.fromkeys(errors)) or "ngspice produced no result"
                    raise SimulationError(f"ngspice failed: {reason}", netlist=netlist, log=log)
                names = vectors if vectors is not None else self._vector_names(plot)
                data = {}
                for name in names:
                    try:
                        data[name.lower()] = self._vector(plot, name)
                    except KeyError:
                        raise SimulationError(
                            f"ngspice result has no vector {name!r}; it has "
                            f"{self._vector_names(plot)}",
                            netlist=netlist,
                            log=log,
                        ) from None
                if expect_until is not None and stopped is None:
                    time = data.get("time")
                    if time is None or time.size == 0 or time[-1] < expect_until * (1 - 1e-9):
                        reached = 0.0 if time is None or time.size == 0 else time[-1]
                        raise SimulationError(
                            f"ngspice stopped at t = {reached:g} s before tstop = "
                            f"{expect_until:g} s: {'; '.join(errors) or 'no message'}",
                            netlist=netlist,
                            log=log,
                        )
                self.runs += 1
                return SpiceRun(plot, data, log, stopped)
            finally:
                if fatal:
                    self._restart()
                else:
                    self.reset()
