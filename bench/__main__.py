"""Run every benchmark and print one table: ``python -m bench`` (``make bench``).

Record the printed table in bench/README.md when a change moves the numbers.
"""

from __future__ import annotations

import importlib
import platform
import sys

BENCHMARKS = [
    "bench.bench_startup",
    "bench.bench_spice",
    "bench.bench_library",
    "bench.bench_presets",
    "bench.bench_simulators",
    "bench.bench_sweep",
    "bench.bench_instructions",
    "bench.bench_fit",
    "bench.bench_safety",
    "bench.bench_compile",
    "bench.bench_axon",
    "bench.bench_growth",
]


def main(argv: list[str]) -> int:
    selected = [b for b in BENCHMARKS if not argv or any(a in b for a in argv)]
    if not selected:
        print(f"no benchmark matches {argv}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    print(
        f"devicekit benchmarks on {platform.node()} ({platform.processor() or platform.machine()},"
        f" Python {platform.python_version()})"
    )
    rows = []
    for name in selected:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += importlib.import_module(name).run()
    width = max(len(r["benchmark"]) for r in rows)
    print(f"| {'benchmark':<{width}} | median [s] | note |")
    print(f"|{'-' * (width + 2)}|-----------:|------|")
    for r in rows:
        seconds = "" if r["seconds"] != r["seconds"] else f"{r['seconds']:.4f}"  # NaN: not timed
        print(f"| {r['benchmark']:<{width}} | {seconds:>10} | {r['note']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
