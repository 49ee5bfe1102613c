"""The reference netlists in netlists/: one library and one runnable netlist per built-in model.

Regenerate them with ``make netlists`` (``python -m devicekit.spice.reference netlists``). The
tests check that the files equal what the code generates now and that each runs in
``ngspice -b`` and through PySpice.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from devicekit.analyses import Transient
from devicekit.io import write_text_atomic
from devicekit.models.builtin import BUILTIN_MODELS, builtin_model
from devicekit.models.stimuli import Pulse, SineClamp, Stimulus
from devicekit.spice.compiler import compile_membrane
from devicekit.spice.netlist import testbench

__all__ = ["REFERENCE_RUNS", "reference_files", "write_reference_files"]

#: model -> (stimulus, duration [s]) of its runnable reference netlist
REFERENCE_RUNS: dict[str, tuple[Stimulus, float]] = {
    "hh-squid": (Pulse(0.1), 0.1),  # 10 uA/cm2 for 100 ms: repetitive firing at 68 Hz
    "morris-lecar": (Pulse(0.5), 0.5),  # 50 uA/cm2 for 500 ms: type I, 13 Hz
    "morris-lecar-ii": (Pulse(1.0), 0.5),  # 100 uA/cm2 for 500 ms
    # 1.5 V at 1/(2 pi tau) = 19.1 Hz for two periods: the pinched hysteresis loop
    "conical-memristor": (SineClamp(1.5, 19.098593171027442), 0.1047),
    # a 20 ms pulse of 0.25 pA, about twice the threshold: one all-or-none spike
    "iontronic-neuron": (Pulse(2.5e-13, delay=0.005, width=0.02, per_area=False), 0.3),
    # 10 pA from 0.5 s to 1.5 s, run to 20 s: the pools record the charge moved
    "pump-leak-cell": (Pulse(1e-11, delay=0.5, width=1.0, per_area=False), 20.0),
    # 20 uA/cm2 for 200 ms: a spike train that piles K+ up in the periaxonal space
    "hh-squid-kacc": (Pulse(0.2), 0.2),
}
#: model -> the largest step [s] of its reference run, where the preset's is far too small
REFERENCE_STEPS = {"pump-leak-cell": 0.01}


def reference_files() -> dict[str, str]:
    """File name -> text of every reference file."""
    files = {}
    for name in BUILTIN_MODELS:
        model = builtin_model(name)
        files[f"{name}.lib"] = compile_membrane(model).text
        stimulus, duration = REFERENCE_RUNS[name]
        analysis = Transient(duration, max_step=REFERENCE_STEPS.get(name))
        bench = testbench(model.with_stimuli(stimulus), analysis)
        files[f"{name}.cir"] = bench.text
    return files


def write_reference_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Write (or rewrite) the reference files into ``folder``; returns the paths written."""

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_text_atomic(folder / n, t, force=True) for n, t in reference_files().items()]


if __name__ == "__main__":  # pragma: no cover - exercised by `make netlists`
    target = sys.argv[1] if len(sys.argv) > 1 else "netlists"
    for path in write_reference_files(target):
        print(path)
