"""Where simulate()'s distance to ``ngspice -b`` goes: the ngspice shared library run by itself
in processes that differ in one thing each, every one paired with ``ngspice -b`` on the same
netlist (hh-squid, 10 uA/cm2, 1000 ms, the `accurate` preset's test bench).

* a fresh Python process that loads libngspice with ctypes and nothing else (no numpy), and
  runs the netlist with ngspice's ``run`` command: the library as such;
* the same process after it has started one thread that has already ended;
* the same with numpy imported (whose OpenBLAS starts a thread pool as it loads);
* the same with pandas imported (which imports numpy, and numexpr and pyarrow where they are
  installed: pyarrow is a devicekit dependency, numexpr comes with the neuroml extra's
  PyTables, which `make test` installs);
* devicekit's engines in this (warm) process, each run on the test bench: its ngspice worker
  process (the default), and the library loaded in this process (``DEVICEKIT_NGSPICE=
  in-process``, which has imported pandas and runs ngspice on its background thread).
  ``simulate()`` itself has its own row in bench_spice.

Only the ``run`` command is timed; ``ngspice -b`` is timed as a whole process (its start-up,
about 20 ms, included), as bench_spice does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench._timing import PYTHON, paired_ratio, paired_seconds, wall_time
from bench.bench_spice import _Batch

REPEAT = 5

# runs the netlist argv[1] once in libngspice and prints the seconds of its run command
_LIBRARY_RUN = """
import ctypes, sys, time
if "thread" in sys.argv:  # one thread, started and ended before ngspice is loaded
    import threading
    helper = threading.Thread(target=lambda: None)
    helper.start()
    helper.join()
if "numpy" in sys.argv:
    import numpy
if "pandas" in sys.argv:
    import pandas
lib = ctypes.CDLL(sys.argv[2])
text = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p)
leave = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_bool, ctypes.c_bool, ctypes.c_int,
                         ctypes.c_void_p)
keep = (text(lambda *a: 0), text(lambda *a: 0), leave(lambda *a: 0))
lib.ngSpice_Init(*keep, None, None, None, None)
lines = [line.rstrip("\\n").encode() for line in open(sys.argv[1])]
lib.ngSpice_Circ((ctypes.c_char_p * (len(lines) + 1))(*lines, None))
start = time.perf_counter()
lib.ngSpice_Command(b"run")
print(time.perf_counter() - start)
"""


def _library_seconds(netlist: Path, library: str, *flags: str) -> float:
    result = subprocess.run(
        [PYTHON, "-c", _LIBRARY_RUN, str(netlist), library, *flags],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(result.stdout.split()[-1])


def run() -> list[dict]:
    import devicekit as dk
    from devicekit.models.stimuli import Pulse
    from devicekit.spice.engine import engine, in_process_engine
    from devicekit.spice.library import _library_path
    from devicekit.spice.netlist import testbench

    library = _library_path() or "libngspice.so"
    model = dk.load_model("hh-squid").with_stimuli(Pulse(0.1))
    cases = {
        "libngspice alone (ctypes, no numpy, one thread)": (),
        "libngspice after one thread has run": ("thread",),
        "libngspice with numpy imported (OpenBLAS threads)": ("numpy",),
        "libngspice with pandas imported": ("pandas",),
    }
    rows = []
    bench = testbench(model, dk.Transient(1.0))
    batch = _Batch(bench.text)
    batch()  # warm the file cache
    for label, flags in cases.items():
        ratios: list[float] = []
        mine, theirs, ratio = paired_seconds(
            lambda flags=flags: _library_seconds(batch.cir, library, *flags),
            wall_time(batch),
            repeat=REPEAT,
            spread=ratios,
        )
        rows.append(
            {
                "benchmark": f"{label} vs ngspice -b",
                "seconds": mine,
                "note": f"ngspice -b {theirs:.3f} s; x{ratio:.3f} (pairs x{min(ratios):.2f} to "
                f"x{max(ratios):.2f})",
            }
        )
    engines = {
        "devicekit's ngspice worker process (the default)": engine(),
        "devicekit's library in this process (in-process)": in_process_engine(),
    }
    for label, ngspice in engines.items():
        ratios = []

        def one_run(ngspice=ngspice) -> None:
            ngspice.run(bench.text, bench.vectors, expect_until=bench.expect_until)

        one_run()  # start the worker, load the library
        mine, theirs, ratio = paired_ratio(one_run, batch, repeat=REPEAT, spread=ratios)
        rows.append(
            {
                "benchmark": f"{label} vs ngspice -b",
                "seconds": mine,
                "note": f"ngspice -b {theirs:.3f} s; x{ratio:.3f} (pairs x{min(ratios):.2f} to "
                f"x{max(ratios):.2f})",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row, file=sys.stderr)
