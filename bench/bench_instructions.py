"""Deterministic cost: instructions executed by ngspice (valgrind's callgrind), for the
straightforward hand-written netlist and for simulate()'s netlists at each preset; and the
instructions of simulate() in a Python process against ``ngspice -b`` on the same netlist.

Wall-clock ratios on a shared machine drift by about +-0.05 between runs; instruction counts do
not. Each netlist runs 100 ms of hh-squid at 10 uA/cm2 (ngspice's start-up is about 1% of that,
measured against a 1000 ms run), under `valgrind --tool=callgrind ngspice -b`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# simulate() of hh-squid at 10 uA/cm2 in a fresh Python process, for argv[1] seconds
_IN_PROCESS = """
import sys
import devicekit as dk
from devicekit.models.stimuli import Pulse
model = dk.load_model("hh-squid").with_stimuli(Pulse(0.1))
dk.simulate(model, dk.Transient(float(sys.argv[1])))
"""


def _callgrind(argv: list[str], folder: str) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/cg.out", *argv],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts in every run
    )
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def in_process_instructions(tstop: float) -> int:
    """Instructions of simulate() for ``tstop`` in a Python process, minus the same process
    simulating 10 us: what remains is the transient itself, as ``ngspice -b`` counts it."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "run.py"
        script.write_text(_IN_PROCESS)
        full = _callgrind([sys.executable, str(script), repr(tstop)], folder)
        empty = _callgrind([sys.executable, str(script), "1e-5"], folder)
    return full - empty


def instructions(netlist: str) -> int:
    """Instructions of ``ngspice -b`` running ``netlist``."""
    with tempfile.TemporaryDirectory() as folder:
        cir = Path(folder) / "run.cir"
        cir.write_text(netlist)
        return _callgrind(["ngspice", "-b", "-r", f"{folder}/run.raw", str(cir)], folder)


def run() -> list[dict]:
    if shutil.which("valgrind") is None:
        return [
            {
                "benchmark": "instruction counts",
                "seconds": float("nan"),
                "note": "skipped: valgrind is not installed (apt-get install valgrind)",
            }
        ]
    import devicekit as dk
    from devicekit.analyses import PRESETS, VARIABLE_STEP_PRESETS, Transient
    from devicekit.models.stimuli import Pulse
    from devicekit.spice.netlist import testbench

    straightforward = (HERE / "netlists" / "hh_straightforward.cir").read_text()
    base = instructions(straightforward.replace(".tran 10u 1000m 0 10u", ".tran 10u 100m 0 10u"))
    rows = [
        {
            "benchmark": "instructions: straightforward netlist, 10 us (100 ms)",
            "seconds": float("nan"),
            "note": f"{base:,d} instructions (x1.000)",
        }
    ]
    model = dk.load_model("hh-squid").with_stimuli(Pulse(0.1))
    counts = {}
    for preset in (p for p in PRESETS if p not in VARIABLE_STEP_PRESETS):  # ngspice's
        counts[preset] = instructions(testbench(model, Transient(0.1, preset)).text)
        rows.append(
            {
                "benchmark": f"instructions: simulate() preset {preset} (100 ms)",
                "seconds": float("nan"),
                "note": f"{counts[preset]:,d} instructions (x{counts[preset] / base:.3f})",
            }
        )
    # the marginal cost of 100 ms of simulation on both sides: start-up cancels out
    mine = in_process_instructions(0.1)
    batch = counts["accurate"] - instructions(testbench(model, Transient(1e-5)).text)
    rows.append(
        {
            "benchmark": "instructions: simulate() in Python vs ngspice -b",
            "seconds": float("nan"),
            "note": f"{mine:,d} instructions for 100 ms (accurate preset) in a Python process, "
            f"{batch:,d} in ngspice -b on the same netlist: x{mine / batch:.3f}",
        }
    )
    return rows
