"""Running the points of a sweep: in this process, on local worker processes, or on Dask.

The ngspice shared library is not re-entrant, so every worker is a process with its own ngspice;
within one process a lock serialises the runs (a Dask worker may run several threads). With
the vacask backend a task is a batch of points run as one netlist (:func:`evaluate_batch`).
Each finished point goes to the caller as it arrives, which appends it to the checkpoint
(:mod:`devicekit.sweeps.checkpoint`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devicekit.errors import InvalidInput, SweepError
from devicekit.simulation import VACASK_BATCH, simulate, simulate_vacask_batch
from devicekit.sweeps.measures import measure
from devicekit.sweeps.space import apply_values

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

__all__ = ["SweepSpec", "batches", "evaluate_batch", "evaluate_point", "run_points"]

_ENGINE_LOCK = threading.Lock()


@dataclass(frozen=True)
class SweepSpec:
    """Everything a worker needs to run one point, sent once to each worker."""

    membrane: object
    analysis: object
    backend: str
    measures: tuple
    timeout: float | None = None  # [s] per point

    def fingerprint(self, points: pd.DataFrame) -> str:
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
        rows, error = [], exc
    return _record(index, rows, error, time.perf_counter() - start)


def evaluate_batch(spec: SweepSpec, batch: list) -> list[dict]:
    """Run a batch of ``(index, values)`` points in one simulator run (the vacask backend:
    every point's model in one netlist, VACASK started once), one record per point. A point
    whose values cannot be applied is recorded as failed on its own; if the shared run fails,
    every point is run alone, so that each gets its own result or its own error."""
    if spec.backend != "vacask" or len(batch) == 1:
        return [evaluate_point(spec, index, values) for index, values in batch]
    start = time.perf_counter()
    records, models = [], []
    for index, values in batch:
        try:
            models.append((index, apply_values(spec.membrane, values)))
        except Exception as exc:  # recorded per point, by design: the sweep goes on
            records.append(_record(index, [], exc, 0.0))
    if not models:
        return records
    try:
        timeout = None if spec.timeout is None else spec.timeout * len(models)
        frames = simulate_vacask_batch([m for _, m in models], spec.analysis, timeout)
        share = (time.perf_counter() - start) / len(models)
        for (index, _), frame in zip(models, frames, strict=True):
            try:
                records.append(_record(index, measure(frame, spec.measures), None, share))
            except Exception as exc:  # a measure failed on this point alone
                records.append(_record(index, [], exc, share))
    except Exception:  # the shared run failed: run each point alone for its own record
        ran = {index for index, _ in models}
        records += [evaluate_point(spec, i, values) for i, values in batch if i in ran]
    return records


def _record(index: int, rows: list, error, seconds: float) -> dict:
    message = None if error is None else f"{type(error).__name__}: {' '.join(str(error).split())}"
    return {"point": int(index), "rows": rows, "error": message, "seconds": seconds,
            "pid": os.getpid()}  # fmt: skip


def batches(spec: SweepSpec, todo: list, workers: int) -> list[list]:
    """``todo`` in the tasks sent to workers: one point per task, or with the vacask backend
    up to :data:`BATCH` points per task, about four tasks per worker (so the progress bar
    moves and the workers finish together)."""
    if spec.backend != "vacask":
        return [[point] for point in todo]
    size = max(1, min(BATCH, -(-len(todo) // (4 * max(workers, 1)))))
    return [todo[i : i + size] for i in range(0, len(todo), size)]


BATCH = VACASK_BATCH  # points per VACASK run in a sweep


# ------------------------------------------------------------------------------- executors
def run_points(
    spec: SweepSpec,
    todo: list[tuple[int, dict[str, float]]],
    *,
    workers: int,
    scheduler: Any,
    on_result: Callable[[dict[str, Any]], None],
) -> str:
    """Run ``todo`` (a list of ``(index, values)``) and pass each record to ``on_result`` as it
    arrives. Returns a description of where they ran."""
    if not todo:
        return "nothing to run"
    if scheduler is not None:  # a connected distributed.Client (see connect_scheduler)
        workers = len(scheduler.scheduler_info().get("workers", {}))
        return _run_dask(spec, batches(spec, todo, workers), scheduler, on_result)
    tasks = batches(spec, todo, workers)
    if workers == 0:
        for batch in tasks:
            for record in evaluate_batch(spec, batch):
                on_result(record)
        return "this process"
    return _run_pool(spec, tasks, workers, on_result)


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


def _pool_task(batch: list) -> list[dict]:
    return evaluate_batch(_WORKER_SPEC, batch)


def _run_pool(spec, tasks, workers: int, on_result) -> str:
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
    queue = iter(tasks)
    pending = set()
    clean = False
    try:

        def refill():
            for batch in queue:
                pending.add(pool.submit(_pool_task, batch))
                if len(pending) >= 2 * workers:
                    break

        try:
            refill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    pending.discard(future)
                    for record in future.result():
                        on_result(record)
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


def _run_dask(spec, tasks, client, on_result) -> str:
    from distributed import as_completed

    futures = []
    address = client.scheduler.address
    try:
        shared = client.scatter(spec, broadcast=True)
        futures = [client.submit(evaluate_batch, shared, batch, pure=False) for batch in tasks]
        for future in as_completed(futures):
            try:
                records = future.result()
            except Exception as error:  # evaluate_batch never raises: this is the cluster
                raise SweepError(
                    f"the Dask cluster lost a point ({type(error).__name__}: {error})"
                ) from None
            for record in records:
                on_result(record)
    except BaseException:
        client.cancel(futures)
        raise
    return f"Dask scheduler {address}"
