"""Parameter sweeps and Monte Carlo: one simulation per point, run in parallel, checkpointed.

>>> import numpy as np
>>> from devicekit import sweep, Transient
>>> from devicekit.models.stimuli import Pulse
>>> fi = sweep(  # doctest: +SKIP
...     "hh-squid",
...     {"stimulus.amplitude": np.linspace(0, 0.2, 41)},  # 0 to 20 uA/cm^2, in A/m^2
...     Transient(0.5, preset="fast"),
...     stimuli=[Pulse(0.0)],
...     measures=["spike_count", "rate_hz"],
...     workers=2,
...     output="fi.parquet",
... )

See :mod:`devicekit.sweeps.space` for parameter paths and distributions, and
:mod:`devicekit.sweeps.measures` for what each point records.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devicekit.analyses import check_timeout
from devicekit.errors import InvalidInput, SweepError
from devicekit.io import check_outputs, input_files, same_file, write_bytes_atomic
from devicekit.simulation import _analysis, as_membrane
from devicekit.sweeps.checkpoint import Checkpoint
from devicekit.sweeps.measures import check_measures
from devicekit.sweeps.runner import SweepSpec, connect_scheduler, run_points
from devicekit.sweeps.space import (
    LogNormal,
    Normal,
    Uniform,
    check_path,
    parse_distribution,
    sweep_points,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import pandas as pd

    from devicekit.analyses import Analysis
    from devicekit.models.stimuli import Stimulus
    from devicekit.simulation import ModelLike

__all__ = [
    "SCHEDULER_VARIABLE",
    "LogNormal",
    "Normal",
    "Uniform",
    "checkpoint_path",
    "parse_distribution",
    "sweep",
]

#: environment variable naming a Dask scheduler, used when no ``scheduler`` is given
SCHEDULER_VARIABLE = "DEVICEKIT_SCHEDULER"
OUTPUT_SUFFIXES = (".parquet", ".csv")


def checkpoint_path(output: str | os.PathLike[str]) -> Path:
    """Where the sweep writing ``output`` keeps its checkpoint: ``<output>.partial.jsonl``."""
    output = Path(output)
    return output.with_name(output.name + ".partial.jsonl")


def sweep(
    model: ModelLike,
    parameters: Mapping[str, Any],
    analysis: Analysis | str = "tran",
    *,
    measures: Sequence[str | Callable[[pd.DataFrame], Any]] | None = None,
    stimuli: Sequence[Stimulus] | None = None,
    samples: int | None = None,
    seed: int | None = None,
    backend: str = "spice",
    workers: int | None = None,
    scheduler: str | None = None,
    output: str | os.PathLike[str] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool | None = None,
    timeout: float | None = None,
    **analysis_options: Any,
) -> pd.DataFrame:
    """Simulate a model at many parameter points and tabulate chosen measures.

    Parameters
    ----------
    model : Membrane, channel or str
        A model object, a built-in name or a card path.
    parameters : dict
        Parameter path -> grid values (a sequence of SI numbers) or a distribution
        (:class:`Uniform`, :class:`Normal`, :class:`LogNormal`). Paths are described in
        :mod:`devicekit.sweeps.space`: ``na.conductance``, ``stimulus.amplitude``,
        ``outside.K``, ``temperature``. Grids are crossed with each other and with the samples.
    analysis : Op, DCSweep, Transient or str
        As for :func:`devicekit.simulate`, with options as keywords.
    measures : sequence, optional
        Measure names (see :mod:`devicekit.sweeps.measures`) or functions of the result frame.
        Default: spike count, rate, first spike, peak and rest for a transient; ``v`` for an
        operating point; ``iv`` for a DC sweep.
    stimuli : sequence, optional
        Stimuli replacing the model's own; ``stimulus.amplitude`` then sweeps the first.
    samples, seed : int
        Monte Carlo: the number of draws and the seed of ``numpy.random.default_rng``. Draws are
        made here, before any worker starts, so the points do not depend on the workers.
    backend : str
        ``spice`` (ngspice, default), ``native`` (scipy), or ``vacask`` (compiled devices,
        transients under current stimuli: up to 25 points run together in one VACASK
        netlist, so its start-up is paid once per batch rather than per point).
    workers : int, optional
        Local worker processes, each with its own ngspice (default: the number of CPUs);
        0 runs every point in this process.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client; default: the environment
        variable ``DEVICEKIT_SCHEDULER``, else the local pool.
    output : path, optional
        ``.parquet`` or ``.csv`` file written (atomically) at the end. An existing file is
        replaced only with ``force``.
    checkpoint : path, optional
        The checkpoint file; default ``<output>.partial.jsonl`` when ``output`` is given.
    resume : bool
        Continue the sweep in ``checkpoint``: run only the points it lacks.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    timeout : float, optional
        Wall-clock limit [s] of each point; a point that runs longer is stopped and recorded as
        failed, and the sweep goes on.

    Returns
    -------
    pandas.DataFrame
        One row per point (per point and voltage for ``iv``): ``point``, the parameters, the
        measures, and ``error`` (empty, or the message of a point that failed, whose measures are
        NaN). ``attrs`` holds ``failed``, ``elapsed_s``, ``ran_on``, ``resumed`` and
        ``computed``.

    Notes
    -----
    Worker processes start fresh interpreters (``spawn``); a script calling ``sweep`` with
    workers must protect its top level with ``if __name__ == "__main__":``.
    """

    membrane = as_membrane(model)
    if stimuli is not None:
        membrane = membrane.with_stimuli(*stimuli)
    analysis = _analysis(analysis, analysis_options)
    if backend not in ("spice", "native", "vacask"):
        raise InvalidInput(f"backend {backend!r} is unknown; choose 'spice', 'native' or 'vacask'")
    measures = check_measures(measures, analysis.kind)
    if not isinstance(parameters, dict):
        raise InvalidInput("parameters must be a dict: path -> values or distribution")
    for path in parameters:
        check_path(membrane, path)
    points = sweep_points(parameters, samples, seed)
    workers = _workers(workers)
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_VARIABLE) or None
    inputs = input_files(model)
    if output is not None:
        output = Path(output)
        if output.suffix.lower() not in OUTPUT_SUFFIXES:
            raise InvalidInput(f"output {str(output)!r}: use a .parquet or .csv file name")
        check_outputs(output, inputs=inputs, force=force)
        checkpoint = checkpoint if checkpoint is not None else checkpoint_path(output)
    if checkpoint is not None:
        # resuming appends to an existing checkpoint; it must still never be an input
        check_outputs(checkpoint, inputs=inputs, force=True)
        if output is not None and same_file(output, checkpoint):
            raise InvalidInput("the checkpoint and the output must be different files")
    if resume and checkpoint is None:
        raise InvalidInput("resume needs the checkpoint: give output (or checkpoint)")

    check_timeout(timeout)
    spec = SweepSpec(membrane, analysis, backend, measures, timeout)
    _check_main_importable(workers, scheduler, measures)
    total = len(points)
    records: dict[int, dict] = {}
    store = None
    client, own_client = None, False
    if scheduler is not None:  # connect before any file is written
        client, own_client = connect_scheduler(scheduler)
    try:
        if checkpoint is not None:
            store, records = Checkpoint.open(
                checkpoint, spec.fingerprint(points), total, resume=resume, force=force
            )
    except BaseException:
        if own_client:
            client.close()
        raise
    resumed = len(records)
    values = points.to_dict("records")
    todo = [(i, values[i]) for i in range(total) if i not in records]
    bar = _bar(total, resumed, membrane.name, progress)
    failed = sum(1 for r in records.values() if r["error"])

    def on_result(record):
        nonlocal failed
        if record["point"] in records:  # never twice, whatever a scheduler retried
            return
        if store is not None:
            store.append(record)
        records[record["point"]] = record
        failed += bool(record["error"])
        bar.update(1)
        if failed:
            bar.set_postfix(failed=failed)

    start = time.perf_counter()
    finished = False
    try:
        ran_on = run_points(spec, todo, workers=workers, scheduler=client, on_result=on_result)
        finished = True
    except (SweepError, KeyboardInterrupt) as error:
        bar.close()
        where = (
            f"; {len(records)} of {total} points are saved in {str(checkpoint)!r}: run again "
            "with --resume (resume=True) to compute the rest"
            if store is not None
            else f"; {len(records)} of {total} points were done (give output= to keep them)"
        )
        reason = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)
        raise SweepError(
            f"sweep stopped: {reason}{where}",
            checkpoint=checkpoint,
            done=len(records),
            total=total,
            interrupted=isinstance(error, KeyboardInterrupt),
        ) from None
    finally:
        if own_client:
            client.close()
        if store is not None and not finished:  # stopped: release the lock now
            store.close()
    try:
        bar.close()
        frame = _assemble(points, records)
        frame.attrs.update(
            failed=failed,
            elapsed_s=time.perf_counter() - start,
            ran_on=ran_on,
            resumed=resumed,
            computed=len(todo),
            model=membrane.name,
        )
        if output is not None:
            write_table(frame, output, force=force)
            if store is not None:
                store.remove()  # still under its lock: no other sweep can take it half-way
    finally:
        if store is not None:
            store.close()
    return frame


def _check_main_importable(workers: int, scheduler, measures) -> None:
    """Worker processes (spawned) start by importing the parent's ``__main__`` from its file,
    and import the functions they run by module: a script read from stdin
    (``python - < run.py``, whose ``__file__`` is ``<stdin>``) has no file to import, and a
    measure defined in ``python -c`` has no module."""
    import __main__

    if workers == 0 and scheduler is None:
        return
    advice = (
        "worker processes need an importable __main__ module: save the script to a file and "
        "run that (python run.py), or use workers=0 (--workers 0)"
    )
    if getattr(getattr(__main__, "__spec__", None), "name", None):
        return  # python -m module: imported by name
    path = getattr(__main__, "__file__", None)
    if path is not None and not os.path.isfile(path):
        raise InvalidInput(f"this script was read from {path!r}; {advice}")
    from_main = [m for m in measures if callable(m) and getattr(m, "__module__", "") == "__main__"]
    if path is None and from_main:
        raise InvalidInput(
            f"measure {from_main[0].__name__!r} is defined in a __main__ without a file; {advice}"
        )


def _workers(workers) -> int:
    if workers is None:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise InvalidInput(
            f"workers = {workers!r} must be a whole number >= 0 (0 runs in this process)"
        )
    return workers


def _bar(total: int, initial: int, name: str, progress):
    from tqdm import tqdm

    if progress is None:
        progress = sys.stderr.isatty()
    return tqdm(
        total=total,
        initial=initial,
        desc=f"sweep {name}",
        unit="point",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )


def _assemble(points, records: dict):
    """The tidy table: one row per point (or per point and voltage), in point order."""
    import numpy as np
    import pandas as pd

    rows = []
    measure_names: list[str] = []
    for index, params in zip(points.index, points.to_dict("records"), strict=True):
        record = records[int(index)]
        for r in record["rows"]:
            for key in r:
                if key not in measure_names:
                    measure_names.append(key)
        base = {"point": int(index), **params}
        if record["rows"]:
            rows.extend({**base, **r, "error": ""} for r in record["rows"])
        else:
            rows.append({**base, "error": record["error"] or ""})
    frame = pd.DataFrame(rows, columns=["point", *points.columns, *measure_names, "error"])
    for name in measure_names:
        if frame[name].dtype == object:
            frame[name] = frame[name].astype(float)
    frame[measure_names] = frame[measure_names].fillna(np.nan)
    return frame


def write_table(frame, path, *, force: bool = False) -> Path:
    """Write a sweep table atomically as Parquet or CSV (by the file's suffix)."""
    import io

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        data = buffer.getvalue()
    elif path.suffix.lower() == ".csv":
        data = frame.to_csv(index=False).encode()
    else:
        raise InvalidInput(f"{str(path)!r}: use a .parquet or .csv file name")
    return write_bytes_atomic(path, data, force=force)
