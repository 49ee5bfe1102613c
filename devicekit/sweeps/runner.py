"""Running the points of a sweep: in this process, on local worker processes, or on Dask.

The ngspice shared library is not re-entrant, so every worker is a process with its own ngspice;
within one process a lock serialises the runs (a Dask worker may run several threads). Each
finished point is appended to a checkpoint file (one JSON line, flushed and fsync'ed) before the
next one is counted, so an interrupted sweep loses only the points that were running.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from devicekit.errors import CheckpointWarning, DataFormatError, InvalidInput, SweepError
from devicekit.simulation import simulate
from devicekit.sweeps.measures import measure
from devicekit.sweeps.space import apply_values

__all__ = ["Checkpoint", "SweepSpec", "evaluate_point", "run_points"]

CHECKPOINT_FORMAT = "devicekit-sweep-checkpoint"
_ENGINE_LOCK = threading.Lock()


@dataclass(frozen=True)
class SweepSpec:
    """Everything a worker needs to run one point, sent once to each worker."""

    membrane: object
    analysis: object
    backend: str
    measures: tuple
    timeout: float | None = None  # [s] per point

    def fingerprint(self, points) -> str:
        """A hash of the model, analysis, measures and every point's values: a checkpoint is
        resumed only by the sweep that wrote it."""
        measures = [m if isinstance(m, str) else f"{m.__module__}.{m.__qualname__}" for m in
                    self.measures]  # fmt: skip
        text = json.dumps(
            {
                "model": repr(self.membrane),
                "analysis": repr(self.analysis),
                "backend": self.backend,
                "measures": measures,
                "points": {k: [repr(float(x)) for x in v] for k, v in points.items()},
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()


def evaluate_point(spec: SweepSpec, index: int, values: dict) -> dict:
    """Run one point. A failure of any kind is recorded with its message, not raised, so that the
    rest of the sweep goes on."""

    start = time.perf_counter()
    try:
        model = apply_values(spec.membrane, values)
        with _ENGINE_LOCK:
            frame = simulate(model, spec.analysis, backend=spec.backend, timeout=spec.timeout)
        rows, error = measure(frame, spec.measures), None
    except Exception as exc:  # recorded per point, by design: the sweep goes on
        rows, error = [], f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return {
        "point": int(index),
        "rows": rows,
        "error": error,
        "seconds": time.perf_counter() - start,
        "pid": os.getpid(),
    }


# ------------------------------------------------------------------------------- checkpoint
class Checkpoint:
    """An append-only JSON-lines file: a header naming the sweep, then one record per point."""

    def __init__(self, path: Path, handle):
        self.path = path
        self._handle = handle

    @classmethod
    def open(cls, path, fingerprint: str, total: int, *, resume: bool, force: bool):
        """Open for appending, under an exclusive lock held until :meth:`close`; return the
        checkpoint and the records already in it. A second sweep on the same checkpoint
        (a plain run, ``resume`` or ``force``) is refused while this one runs."""
        path = Path(path)
        existed = path.exists()
        if existed and not resume and not force:
            raise InvalidInput(
                f"{str(path)!r} holds an unfinished sweep; add --resume (resume=True) to "
                "finish it, or --force to start over"
            )
        if not path.parent.is_dir():
            raise InvalidInput(f"folder {str(path.parent)!r} does not exist; create it first")
        handle = _open_locked(path)  # locked before anything is read or truncated
        try:
            if existed and resume:
                records, good_bytes, damaged = _read_records(handle, path, fingerprint, total)
                checkpoint = cls(path, handle)
                if damaged:  # rewrite in place, under the lock: header and the good records
                    checkpoint._rewrite(fingerprint, total, records)
                else:
                    handle.truncate(good_bytes)  # drop a line torn by a crash mid-write
                    handle.seek(good_bytes)
                return checkpoint, records
            handle.truncate(0)
            checkpoint = cls(path, handle)
            checkpoint._write(_header(fingerprint, total))
            return checkpoint, {}
        except BaseException:
            handle.close()
            raise

    def _rewrite(self, fingerprint: str, total: int, records: dict) -> None:
        self._handle.seek(0)
        self._handle.truncate(0)
        self._write(_header(fingerprint, total))
        for index in sorted(records):
            self._write(records[index])

    def remove(self) -> None:
        """Delete the checkpoint (the sweep is complete), still under its lock."""
        self.path.unlink(missing_ok=True)

    def append(self, record: dict) -> None:
        self._write(record)

    def _write(self, data: dict) -> None:
        line = json.dumps(data, allow_nan=True, separators=(",", ":")) + "\n"
        data = memoryview(line.encode())
        try:
            while data:  # unbuffered: a failed write leaves nothing behind to flush at close
                data = data[self._handle.write(data) :]
            os.fsync(self._handle.fileno())
        except OSError as error:
            raise SweepError(
                f"cannot write the checkpoint {str(self.path)!r}: {error.strerror}; free space "
                "or choose another output folder, then run again with --resume",
                checkpoint=self.path,
            ) from None

    def close(self) -> None:
        self._handle.close()


def _header(fingerprint: str, total: int) -> dict:
    return {
        "format": CHECKPOINT_FORMAT,
        "version": 1,
        "fingerprint": fingerprint,
        "points": total,
    }


def _open_locked(path: Path):
    """Open (creating) the checkpoint for reading and writing, unbuffered, and take an
    exclusive lock on it, or refuse at once when another sweep holds it."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOCTTY, 0o644)
    except OSError as error:
        raise SweepError(
            f"cannot write the checkpoint {str(path)!r}: {error.strerror}; choose a writable "
            "output folder",
            checkpoint=path,
        ) from None
    handle = open(descriptor, "r+b", buffering=0)  # noqa: SIM115 - closed by Checkpoint.close
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InvalidInput(
            f"{str(path)!r} is in use by another sweep that is still running; wait for it to "
            "finish (or stop it), then run again with --resume"
        ) from None
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise InvalidInput(f"{str(path)!r} is not a regular file; give another output name")
    return handle


def _valid_record(record, total: int) -> str | None:
    """Why a checkpoint record is unusable, or None when it is a finished point."""
    if not isinstance(record, dict):
        return "not a record"
    point = record.get("point")
    if isinstance(point, bool) or not isinstance(point, int):
        return "no point number"
    if not 0 <= point < total:
        return f"point {point} is not in this sweep"
    rows, error = record.get("rows"), record.get("error")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return "its rows are not a list of tables"
    if not all(isinstance(v, (int, float)) for r in rows for v in r.values()):
        return "a measure is not a number"
    if error is not None and not isinstance(error, str):
        return "its error is not text"
    if error is None and not rows:
        return "neither rows nor an error"
    return None


def _read_records(handle, path: Path, fingerprint: str, total: int):
    """(records by point, bytes of the intact prefix, damaged line numbers). A torn last line
    is dropped silently (a crash mid-write); a damaged or wrongly shaped record elsewhere is
    skipped with a warning, and its point runs again."""
    handle.seek(0)
    data = handle.read()
    lines = data.split(b"\n")
    try:
        header = json.loads(lines[0])
        ok = isinstance(header, dict) and header.get("format") == CHECKPOINT_FORMAT
    except ValueError:
        ok = False
    if not ok:
        raise DataFormatError(f"{str(path)!r} is not a devicekit sweep checkpoint")
    if header.get("fingerprint") != fingerprint:
        raise InvalidInput(
            f"{str(path)!r} belongs to a different sweep (model, analysis, measures or points "
            "changed); run the original sweep again, or add --force to start this one over"
        )
    records: dict[int, dict] = {}
    damaged: list[tuple[int, str]] = []
    good = len(lines[0]) + 1
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            good += 1 if good + 1 <= len(data) else 0
            continue
        complete = good + len(line) < len(data)  # followed by a newline
        if not complete:
            break  # the last line, torn by a crash mid-write: dropped, the point reruns
        try:
            record = json.loads(line)
            problem = _valid_record(record, total)
        except ValueError:
            problem = "not JSON"
        good += len(line) + 1
        if problem:
            damaged.append((number, problem))
            continue
        records.setdefault(record["point"], record)
    if damaged:
        where = ", ".join(f"line {n} ({why})" for n, why in damaged[:5])
        more = f" and {len(damaged) - 5} more" if len(damaged) > 5 else ""
        warnings.warn(
            f"checkpoint {str(path)!r}: skipped {len(damaged)} damaged record(s), {where}{more}; "
            "their points run again, every other saved point is kept",
            CheckpointWarning,
            stacklevel=4,
        )
    return records, good, damaged


# ------------------------------------------------------------------------------- executors
def run_points(spec, todo, *, workers, scheduler, on_result) -> str:
    """Run ``todo`` (a list of ``(index, values)``) and pass each record to ``on_result`` as it
    arrives. Returns a description of where they ran."""
    if not todo:
        return "nothing to run"
    if scheduler is not None:  # a connected distributed.Client (see connect_scheduler)
        return _run_dask(spec, todo, scheduler, on_result)
    if workers == 0:
        for index, values in todo:
            on_result(evaluate_point(spec, index, values))
        return "this process"
    return _run_pool(spec, todo, workers, on_result)


_WORKER_SPEC = None


def _init_worker(spec, parent: int) -> None:
    import signal

    global _WORKER_SPEC
    _WORKER_SPEC = spec
    # Ctrl-C goes to the whole process group; the parent decides, workers keep quiet
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """Make this worker end when its parent process ends, however it ends (SIGKILL, SIGTERM,
    a crash): the kernel sends SIGKILL on the parent's death (Linux prctl PR_SET_PDEATHSIG),
    and a watchdog thread checks the parent every 0.2 s where that is not available."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="devicekit-parent-watch", daemon=True).start()


def _pool_task(index: int, values: dict) -> dict:
    return evaluate_point(_WORKER_SPEC, index, values)


def _run_pool(spec, todo, workers: int, on_result) -> str:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # spawn: a fresh interpreter per worker, never a fork of a process holding ngspice
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(spec, os.getpid()),
    )
    queue = iter(todo)
    pending = set()
    clean = False
    try:

        def refill():
            for index, values in queue:
                pending.add(pool.submit(_pool_task, index, values))
                if len(pending) >= 2 * workers:
                    break

        try:
            refill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    pending.discard(future)
                    on_result(future.result())
                refill()
        except BrokenProcessPool:  # from a result, or from a submission after the break
            raise SweepError(
                "a worker process died (killed, crashed inside ngspice, or unable to start: a "
                "script that calls sweep() with workers needs if __name__ == '__main__':)"
            ) from None
        clean = True
    finally:
        if not clean:  # interrupted or broken: stop the workers now, do not wait for them
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
    return f"{workers} local worker process{'es' if workers > 1 else ''}"


_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def check_scheduler_address(address: str) -> str:
    """A Dask scheduler address such as ``tcp://10.0.0.5:8786``, checked before any
    connection is tried."""
    import re

    if not isinstance(address, str):
        raise InvalidInput(f"scheduler {address!r} must be an address such as tcp://host:8786")
    match = re.fullmatch(r"([a-z]+)://(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9_.-]+):([^:/]+)/?", address)
    if match is None or match.group(1) not in _SCHEMES:
        raise InvalidInput(
            f"scheduler address {address!r} is malformed; write scheme://host:port, for "
            "example tcp://127.0.0.1:8786"
        )
    port = match.group(3)
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InvalidInput(
            f"scheduler address {address!r}: port {port!r} must be a number from 1 to 65535"
        )
    return address


#: seconds to wait for a Dask scheduler to answer before giving up
CONNECT_TIMEOUT = 10.0


def connect_scheduler(scheduler):
    """(client, whether we own it) for a Dask address or client, connected now, so that a
    sweep that cannot reach its cluster fails before it writes anything."""
    try:
        from distributed import Client
    except ImportError:
        raise InvalidInput(
            "a Dask scheduler was given but dask.distributed is not installed; "
            "pip install 'devicekit[dask]'"
        ) from None
    if isinstance(scheduler, Client):
        return scheduler, False
    address = check_scheduler_address(scheduler)
    try:
        _probe(address)
        client = Client(address, timeout=f"{CONNECT_TIMEOUT}s")
    except (OSError, TimeoutError, MemoryError, ValueError, EOFError) as error:
        reason = (
            "the service there answered with something that is not Dask's protocol"
            if isinstance(error, (MemoryError, ValueError, EOFError))
            else f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
        )
        raise InvalidInput(
            f"cannot reach a Dask scheduler at {address!r} ({reason}); "
            "check the address and that a Dask scheduler (not another service) runs there"
        ) from None
    return client, True


def _probe(address: str) -> None:
    """Open one Dask connection, with its handshake, in a thread of its own with its own event
    loop, and give up after :data:`CONNECT_TIMEOUT`: a service that accepts the connection and
    then says nothing must not hang the sweep (distributed's Client waits on it for ever)."""
    import asyncio

    outcome: list = []

    def attempt():
        async def handshake():
            from distributed.comm import connect

            comm = await connect(address, timeout=CONNECT_TIMEOUT)
            await comm.close()

        try:
            asyncio.run(asyncio.wait_for(handshake(), CONNECT_TIMEOUT))
            outcome.append(None)
        except BaseException as error:  # reported in the calling thread
            outcome.append(error)

    thread = threading.Thread(target=attempt, name="devicekit-dask-probe", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT + 2.0)
    if not outcome:
        raise TimeoutError(f"no answer within {CONNECT_TIMEOUT:g} s")
    if outcome[0] is not None:
        error = outcome[0]
        if isinstance(error, asyncio.TimeoutError):
            raise TimeoutError(f"no answer within {CONNECT_TIMEOUT:g} s")
        raise error


def _run_dask(spec, todo, client, on_result) -> str:
    from distributed import as_completed

    futures = []
    address = client.scheduler.address
    try:
        shared = client.scatter(spec, broadcast=True)
        futures = [
            client.submit(evaluate_point, shared, index, values, pure=False)
            for index, values in todo
        ]
        for future in as_completed(futures):
            try:
                record = future.result()
            except Exception as error:  # evaluate_point never raises: this is the cluster
                raise SweepError(
                    f"the Dask cluster lost a point ({type(error).__name__}: {error})"
                ) from None
            on_result(record)
    except BaseException:
        client.cancel(futures)
        raise
    return f"Dask scheduler {address}"
