"""What the safety guarantees cost and deliver (README "Safety"):

* the measurement loader on a 188 MB CSV of short rows (``3,7``: 47 million rows, the worst
  case for memory, since each 4-byte row becomes two 8-byte values): wall time and peak memory
  of a fresh process over the same process before loading (the old loader held every line as
  Python objects: 10.1 GB for this file, measured 2026-12-02, bench/README);
* Ctrl-C: from SIGINT to the exit of ``devicekit simulate`` in the middle of a long ngspice run;
* ngspice on its background thread (so that Ctrl-C and timeouts can stop it) against the
  synchronous ``run`` command it replaced, on the same netlist, as paired runs.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from bench._timing import PYTHON, paired_ratio

ROWS = 47_000_000  # "d,d" rows of one digit each: 188 MB


def _loader() -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        rng = np.random.default_rng(188)
        with open(path, "w") as handle:
            handle.write("voltage [V], current [A]\n")
            for _ in range(ROWS // 1_000_000):
                digits = rng.integers(0, 10, size=(1_000_000, 2))
                handle.write("\n".join(f"{a},{b}" for a, b in digits) + "\n")
        size = path.stat().st_size
        script = textwrap.dedent(f"""
            import resource, time, devicekit, pandas
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.perf_counter()
            frame = devicekit.load_measurement({str(path)!r})
            seconds = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(len(frame), seconds, before * 1024, after * 1024)
        """)
        out = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, check=True)
        rows, seconds, before, after = out.stdout.split()
    grown = int(after) - int(before)
    return [
        {
            "benchmark": f"load_measurement, {size / 1e6:.0f} MB CSV ({int(rows):,} rows)",
            "seconds": float(seconds),
            "note": f"peak memory +{grown / 1e6:.0f} MB ({grown / size:.1f} x the file, "
            f"{grown / (16 * int(rows)):.1f} x the values; the old loader: 10.1 GB)",
        }
    ]


def _ctrl_c(repeat: int = 5) -> list[dict]:
    latencies = []
    for _ in range(repeat):
        process = subprocess.Popen(
            [PYTHON, "-m", "devicekit", "simulate", "hh-squid", "--stim", "10uA/cm2",
             "--tstop", "20s"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(3.0)
        sent = time.perf_counter()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        latencies.append(time.perf_counter() - sent)
        assert process.returncode == 130
    return [
        {
            "benchmark": "Ctrl-C to exit, devicekit simulate in ngspice",
            "seconds": statistics.median(latencies),
            "note": f"{repeat} runs, {min(latencies):.3f} to {max(latencies):.3f} s "
            "(target: about 1 s)",
        }
    ]


def _background_thread(repeat: int = 15) -> list[dict]:
    from devicekit.analyses import Transient
    from devicekit.models.builtin import builtin_model
    from devicekit.models.stimuli import Pulse
    from devicekit.spice.engine import in_process_engine
    from devicekit.spice.netlist import testbench

    model = builtin_model("hh-squid").with_stimuli(Pulse(0.1))
    bench = testbench(model, Transient(0.2, preset="fast"), None)
    ngspice = in_process_engine()  # DEVICEKIT_NGSPICE=in-process: the background thread

    def background():
        ngspice.run(bench.text, bench.vectors, expect_until=bench.expect_until)

    def synchronous():  # what engine.run did before: the blocking "run" command
        with ngspice._lock:
            ngspice._clear_output()
            ngspice._command("destroy all")
            ngspice._load(bench.text)
            ngspice._command("run")
            ngspice.reset()

    background()
    synchronous()
    spread: list[float] = []
    a, b, ratio = paired_ratio(background, synchronous, repeat=repeat, spread=spread)
    return [
        {
            "benchmark": "hh-squid 200 ms (fast), ngspice background thread",
            "seconds": a,
            "note": f"x{ratio:.3f} of the synchronous run ({b:.4f} s), median of {repeat} "
            f"pairs (x{min(spread):.3f} to x{max(spread):.3f})",
        }
    ]


def run() -> list[dict]:
    return [*_background_thread(), *_ctrl_c(), *_loader()]
