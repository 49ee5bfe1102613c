"""The cost of compiling a model: the SPICE subcircuit, the test bench (rest included) and the
exported library, now and at the commit before the parametric device definitions (issue 12).

The earlier code is checked out with ``git worktree`` into a temporary folder and run in its
own interpreter, alternating with the present code, so that both are measured in the same run
on the same machine. Each figure is the median time per model over the built-ins, from a fresh
model object (no cached definition), after a warm-up.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench._timing import PYTHON

ROOT = Path(__file__).resolve().parents[1]
#: the last commit before the model core was rebuilt on one parametric definition
BEFORE = "23eb8ea"

_SCRIPT = r"""
import json, time
from devicekit.analyses import Transient
from devicekit.models.builtin import BUILTIN_MODELS, builtin_model
from devicekit.spice.compiler import compile_membrane
from devicekit.spice.netlist import testbench
from devicekit.export import export_text

def per_model(step, repeat=20):
    times = []
    for name in BUILTIN_MODELS:
        step(builtin_model(name))  # warm-up
        samples = []
        for _ in range(repeat):
            model = builtin_model(name)  # fresh: no cached equations or definition
            start = time.perf_counter()
            step(model)
            samples.append(time.perf_counter() - start)
        samples.sort()
        times.append(samples[len(samples) // 2])
    return times

out = {
    "subcircuit": per_model(compile_membrane),
    "test bench": per_model(lambda m: testbench(m, Transient(0.1))),
    "library": per_model(lambda m: export_text(m, "spice")),
}
print(json.dumps(out))
"""


def _measure(path: Path) -> dict:
    result = subprocess.run(
        [PYTHON, "-c", _SCRIPT],
        cwd=path,
        env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        before = Path(folder) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before), BEFORE],
            check=True,
            capture_output=True,
        )
        try:
            now, then = [], []
            for k in range(3):  # alternate, so that drift hits both alike
                for path, store in ((ROOT, now), (before, then))[:: 1 if k % 2 == 0 else -1]:
                    store.append(_measure(path))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)],
                check=False,
                capture_output=True,
            )
    rows = []
    for step in ("subcircuit", "test bench", "library"):
        present = statistics.median(statistics.median(r[step]) for r in now)
        earlier = statistics.median(statistics.median(r[step]) for r in then)
        rows.append(
            {
                "benchmark": f"compile: {step}, median over the built-ins",
                "seconds": present,
                "note": f"x{present / earlier:.2f} of {earlier * 1e3:.2f} ms at {BEFORE} "
                "(before the parametric definitions)",
            }
        )
    return rows
