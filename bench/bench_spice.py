"""hh-squid in ngspice: the accuracy/speed frontier of simulate(), beside a straightforward
hand-written netlist, and the cost of simulate() over `ngspice -b` on the same netlist.

Every row is measured in this one run: 10 uA/cm2 from rest for 1000 ms. The error is the largest
spike-time difference from a tight scipy reference (LSODA, rtol 1e-10, atol 1e-12;
tests/hh_reference.py, written independently of devicekit).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from bench._timing import paired_ratio

HERE = Path(__file__).resolve().parent
STRAIGHTFORWARD = HERE / "netlists" / "hh_straightforward.cir"
REPEAT = 5


def _read_raw(path: Path) -> dict[str, np.ndarray]:
    from devicekit.spice.rawfile import read_rawfile

    return read_rawfile(path)


class _Batch:
    """A netlist in a temporary folder, run by ``ngspice -b`` with a binary rawfile."""

    def __init__(self, netlist: str):
        self._folder = tempfile.TemporaryDirectory()
        self.cir = Path(self._folder.name) / "run.cir"
        self.raw = Path(self._folder.name) / "run.raw"
        self.cir.write_text(netlist)

    def __call__(self):
        subprocess.run(
            ["ngspice", "-b", "-r", str(self.raw), str(self.cir)], check=True, capture_output=True
        )

    def data(self) -> dict:
        return _read_raw(self.raw)


def _error_ms(times, reference) -> float:
    if len(times) != len(reference):
        return float("nan")
    return float(np.max(np.abs(np.asarray(times) - reference)) * 1e3)


def run() -> list[dict]:
    import devicekit as dk
    from devicekit.analyses import Transient
    from devicekit.models.stimuli import Pulse
    from devicekit.spice.compiler import Formulation
    from devicekit.spice.netlist import testbench
    from devicekit.spikes import spike_times, summarize
    from tests.hh_reference import reference_spikes

    reference = reference_spikes(10.0, 1000.0)
    model = dk.load_model("hh-squid").with_stimuli(Pulse(0.1))
    rows = []

    straightforward = _Batch(STRAIGHTFORWARD.read_text())
    straightforward()
    data = straightforward.data()
    err = _error_ms(spike_times(data["time"], data["v(vm)"]), reference)
    baseline_times = []

    def frontier(label, analysis, formulation=None):
        result = {}

        def once():
            result["frame"] = dk.simulate(model, analysis, formulation=formulation)

        seconds, base, ratio = paired_ratio(once, straightforward, repeat=REPEAT)
        baseline_times.append(base)
        err = _error_ms(summarize(result["frame"]).times, reference)
        rows.append(
            {
                "benchmark": label,
                "seconds": seconds,
                "note": f"max spike error {err:.4f} ms; x{ratio:.2f} of the straightforward",
            }
        )

    dk.simulate(model, Transient(0.01))  # load ngspice once, outside the timings
    frontier("simulate() preset accurate (10 us, reltol 1e-4)", Transient(1.0))
    frontier("simulate() preset balanced (20 us, reltol 1e-4)", Transient(1.0, "balanced"))
    frontier("simulate() preset fast (40 us, reltol 1e-3)", Transient(1.0, "fast"))
    frontier("simulate() 30 us, reltol 1e-4", Transient(1.0, max_step=30e-6, reltol=1e-4))
    frontier("simulate() 40 us, reltol 1e-4", Transient(1.0, max_step=40e-6, reltol=1e-4))
    frontier(
        "simulate() inline rates (no rate nodes), 10 us",
        Transient(1.0),
        Formulation(rate_nodes=False),
    )
    frontier(
        "simulate() inline rates (no rate nodes), 30 us",
        Transient(1.0, "fast"),
        Formulation(rate_nodes=False),
    )
    for amplitude in (7.0, 20.0):  # the fast preset's accuracy at other currents
        other = reference_spikes(amplitude, 1000.0)
        times = summarize(
            dk.simulate(model, Transient(1.0, "fast"), stimuli=[Pulse(amplitude / 100)])
        ).times
        rows.append(
            {
                "benchmark": f"simulate() preset fast at {amplitude:g} uA/cm2 (accuracy)",
                "seconds": float("nan"),
                "note": f"max spike error {_error_ms(times, other):.4f} ms over "
                f"{other.size} spikes",
            }
        )
    rows.insert(
        0,
        {
            "benchmark": "straightforward netlist, ngspice -b, fixed 10 us",
            "seconds": float(np.median(baseline_times)),
            "note": f"max spike error {err:.4f} ms; the baseline (x1.00)",
        },
    )

    same = _Batch(testbench(model, Transient(1.0)).text)
    seconds, batch, ratio = paired_ratio(
        lambda: dk.simulate(model, Transient(1.0)), same, repeat=REPEAT
    )
    rows.append(
        {
            "benchmark": "simulate() vs ngspice -b on the same netlist (accurate)",
            "seconds": seconds,
            "note": f"ngspice -b {batch:.3f} s; simulate() / ngspice -b = x{ratio:.2f} "
            "(target <= 1.1)",
        }
    )
    return rows
