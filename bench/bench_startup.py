"""Import time and CLI start-up time (issue 2: `import devicekit` under 0.3 s).

Each figure is the median wall time of a fresh interpreter, and the baseline `python -c pass` is
measured in the same run, so the cost attributable to devicekit is the difference.
"""

from __future__ import annotations

from bench._timing import PYTHON, median_process_seconds


def run() -> list[dict]:
    bare = median_process_seconds([PYTHON, "-c", "pass"])
    numpy = median_process_seconds([PYTHON, "-c", "import numpy"])
    imported = median_process_seconds([PYTHON, "-c", "import devicekit"])
    nernst = median_process_seconds(
        [PYTHON, "-m", "devicekit", "nernst", "--ion", "K", "--inside", "140mM", "--outside", "5mM"]
    )
    return [
        {"benchmark": "python -c pass (baseline)", "seconds": bare, "note": ""},
        {
            "benchmark": "python -c 'import numpy' (reference)",
            "seconds": numpy,
            "note": f"+{numpy - bare:.3f} s over baseline",
        },
        {
            "benchmark": "import devicekit",
            "seconds": imported,
            "note": f"+{imported - bare:.3f} s over baseline (target < 0.3 s)",
        },
        {
            "benchmark": "devicekit nernst (whole CLI call)",
            "seconds": nernst,
            "note": f"+{nernst - bare:.3f} s over baseline",
        },
    ]
