"""Running the points of a sweep: in this process, on local worker processes, or on Dask.

The ngspice shared library is not re-entrant, so every worker is a process with its own ngspice;
within one process a lock serialises the runs (a Dask worker may run several threads). Each
finished point is appended to a checkpoint file (one JSON line, flushed and fsync'ed) before the
next one is counted, so an interrupted sweep loses only the points that were running.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from devicekit.errors import DataFormatError, InvalidInput, SweepError

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
    from devicekit.simulation import simulate
    from devicekit.sweeps.measures import measure
    from devicekit.sweeps.space import apply_values

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
        """Open for appending; return the checkpoint and the records already in it."""
        path = Path(path)
        records: dict[int, dict] = {}
        if path.exists() and resume:
            records, good_bytes = _read_records(path, fingerprint)
            handle = _open_append(path)
            handle.truncate(good_bytes)  # drop a line torn by a crash mid-write
            handle.seek(good_bytes)
            return cls(path, handle), records
        if path.exists() and not force:
            raise InvalidInput(
                f"{str(path)!r} holds an unfinished sweep; add --resume (resume=True) to "
                "finish it, or --force to start over"
            )
        if not path.parent.is_dir():
            raise InvalidInput(f"folder {str(path.parent)!r} does not exist; create it first")
        handle = _open_append(path, truncate=True)
        header = {"format": CHECKPOINT_FORMAT, "version": 1, "fingerprint": fingerprint}
        checkpoint = cls(path, handle)
        try:
            checkpoint._write({**header, "points": total})
        except SweepError:
            handle.close()
            raise
        return checkpoint, records

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


def _open_append(path: Path, truncate: bool = False):
    try:
        handle = open(path, "wb" if truncate else "r+b", buffering=0)  # noqa: SIM115
        if not truncate:
            handle.seek(0, os.SEEK_END)
        return handle
    except OSError as error:
        raise SweepError(
            f"cannot write the checkpoint {str(path)!r}: {error.strerror}; choose a writable "
            "output folder",
            checkpoint=path,
        ) from None


def _read_records(path: Path, fingerprint: str):
    data = path.read_bytes()
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
    good = len(lines[0]) + 1
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        complete = good + len(line) < len(data)  # followed by a newline
        try:
            record = json.loads(line)
        except ValueError:
            if not complete:
                break  # the last line, torn by a crash mid-write: dropped, the point reruns
            raise DataFormatError(
                f"{str(path)!r} line {number} is damaged; move the file away and start over"
            ) from None
        if not complete:
            break
        records.setdefault(int(record["point"]), record)
        good += len(line) + 1
    return records, good


# ------------------------------------------------------------------------------- executors
def run_points(spec, todo, *, workers, scheduler, on_result) -> str:
    """Run ``todo`` (a list of ``(index, values)``) and pass each record to ``on_result`` as it
    arrives. Returns a description of where they ran."""
    if not todo:
        return "nothing to run"
    if scheduler is not None:
        return _run_dask(spec, todo, scheduler, on_result)
    if workers == 0:
        for index, values in todo:
            on_result(evaluate_point(spec, index, values))
        return "this process"
    return _run_pool(spec, todo, workers, on_result)


_WORKER_SPEC = None


def _init_worker(spec) -> None:
    import signal

    global _WORKER_SPEC
    _WORKER_SPEC = spec
    # Ctrl-C goes to the whole process group; the parent decides, workers keep quiet
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_task(index: int, values: dict) -> dict:
    return evaluate_point(_WORKER_SPEC, index, values)


def _run_pool(spec, todo, workers: int, on_result) -> str:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # spawn: a fresh interpreter per worker, never a fork of a process holding ngspice
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(spec,)
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
            raise SweepError("a worker process died (killed, or crashed inside ngspice)") from None
        clean = True
    finally:
        if not clean:  # interrupted or broken: stop the workers now, do not wait for them
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
    return f"{workers} local worker process{'es' if workers > 1 else ''}"


def _run_dask(spec, todo, scheduler, on_result) -> str:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InvalidInput(
            "a Dask scheduler was given but dask.distributed is not installed; "
            "pip install 'devicekit[dask]'"
        ) from None
    if isinstance(scheduler, Client):
        client, own = scheduler, False
    else:
        try:
            client, own = Client(scheduler, timeout="10s"), True
        except OSError as error:
            raise InvalidInput(
                f"cannot reach the Dask scheduler {scheduler!r} ({error}); check the address "
                "(tcp://host:8786) and that the scheduler is running"
            ) from None
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
    finally:
        if own:
            client.close()
    return f"Dask scheduler {address}"
