"""The ngspice worker process: ``python -m devicekit.spice.worker FD``.

It holds one ngspice shared library (:class:`~devicekit.spice.library.NgspiceEngine` without
its background thread) and answers the requests of the process that started it over the socket
``FD``, one run at a time. Its parent (:class:`devicekit.spice.engine.WorkerEngine`) gives it a
single-threaded environment (one OpenBLAS thread, a session of its own so that the terminal's
Ctrl-C reaches only the parent) and ends it to stop a run. Messages, each a pickled tuple:

* parent -> worker: ``("run", request)`` with :meth:`NgspiceEngine.run`'s arguments (``settled``
  given as a flag), then ``(answer,)`` to each question;
* worker -> parent: ``("ready",)`` once the library is loaded; ``("started",)`` when it has
  taken a run (a worker that dies before that gets the run again); ``("settled?", vectors)`` at a
  checkpoint of a steered run; ``("done", SpiceRun, restarts)``; ``("failed", message, netlist,
  log, restarts)`` for a :class:`~devicekit.errors.SimulationError`; ``("crashed", traceback)``
  for anything else.

Only the standard library, numpy, PySpice and the engine are imported here: no pandas, no
thread pools. The worker exits when its parent closes the socket (or, in the middle of a run,
when that run ends: the parent-death signal of Linux follows the parent's *thread*, and a
worker started from a short-lived thread must outlive it).
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from devicekit.errors import SimulationError
from devicekit.spice.library import NgspiceEngine


def _serve(connection: Connection) -> None:
    ngspice = NgspiceEngine(background=False)
    try:
        ngspice._instance()
    except SimulationError as error:  # no library: say why, then end
        connection.send(("failed", str(error), None, None, 0))
        return
    connection.send(("ready",))
    while True:
        try:
            kind, request = connection.recv()
        except EOFError:  # the parent has gone
            return
        if kind != "run":
            connection.send(("crashed", f"unknown request {kind!r}"))
            continue
        connection.send(("started",))
        restarts = ngspice.restarts

        def settled(vectors: dict[str, np.ndarray]) -> bool:
            connection.send(("settled?", vectors))
            (answer,) = connection.recv()
            return bool(answer)

        arguments: dict[str, Any] = dict(request)
        if arguments.pop("settled"):
            arguments["settled"] = settled
        try:
            result = ngspice.run(**arguments)
        except SimulationError as error:
            connection.send(
                ("failed", str(error), error.netlist, error.log, ngspice.restarts - restarts)
            )
        except Exception:  # a defect: report it whole rather than die silently
            connection.send(("crashed", traceback.format_exc()))
        else:
            connection.send(("done", result, ngspice.restarts - restarts))


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopping a run is the parent's job
    connection = Connection(int(argv[1]))
    try:
        _serve(connection)
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the parent ended mid-message
    finally:
        connection.close()
    os._exit(0)  # skip interpreter teardown: libngspice's atexit handlers are not needed


if __name__ == "__main__":
    main(sys.argv)
