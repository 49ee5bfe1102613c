"""Deterministic cost: instructions executed by ngspice (valgrind's callgrind), for the
straightforward hand-written netlist and for simulate()'s netlists at each preset.

Wall-clock ratios on a shared machine drift by about +-0.05 between runs; instruction counts do
not. Each netlist runs 100 ms of hh-squid at 10 uA/cm2 (ngspice's start-up is about 1% of that,
measured against a 1000 ms run), under `valgrind --tool=callgrind ngspice -b`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def instructions(netlist: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        cir = Path(folder) / "run.cir"
        cir.write_text(netlist)
        result = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={folder}/cg.out",
                "ngspice",
                "-b",
                "-r",
                f"{folder}/run.raw",
                str(cir),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


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
    from devicekit.analyses import PRESETS, Transient
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
    for preset in PRESETS:
        count = instructions(testbench(model, Transient(0.1, preset)).text)
        rows.append(
            {
                "benchmark": f"instructions: simulate() preset {preset} (100 ms)",
                "seconds": float("nan"),
                "note": f"{count:,d} instructions (x{count / base:.3f})",
            }
        )
    return rows
