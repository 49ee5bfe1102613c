"""Each stimulus gives the same waveform to numpy and to ngspice: run its SPICE source into a
resistor in ngspice and compare with value(t)."""

import numpy as np
import pytest

from devicekit.errors import InvalidInput
from devicekit.models.stimuli import DC, Pulse, Sine, StepTrain, VoltageClamp
from devicekit.spice.engine import engine

STIMULI = [
    DC(2.0),
    Pulse(1.5, delay=1e-3, width=2e-3, period=5e-3),
    Pulse(1.0),
    StepTrain((1e-3, 3e-3, 6e-3), (1.0, -0.5, 0.25)),
    Sine(0.8, 250.0, offset=0.1, delay=2e-3),
    VoltageClamp(-0.065, (2e-3, 5e-3), (0.01, -0.08)),
]


@pytest.mark.parametrize("stimulus", STIMULI, ids=lambda s: s.kind)
def test_spice_source_matches_value(stimulus):
    tstop = 10e-3
    netlist = (
        f"* stimulus\nvsrc a 0 {stimulus.spice(1.0, tstop)}\nr1 a 0 1k\n"
        f".tran 10u {tstop!r} 0 10u\n.end\n"
    )
    run = engine().run(netlist, ["time", "v(a)"], expect_until=tstop)
    t, v = run.vectors["time"], run.vectors["v(a)"]
    assert np.allclose(v, stimulus.value(t), rtol=1e-9, atol=1e-12)
    scalar = stimulus.waveform(tstop)
    assert np.allclose([scalar(x) for x in t], stimulus.value(t), rtol=1e-12, atol=1e-15)


def test_breakpoints_are_the_corners():
    p = Pulse(1.0, delay=1e-3, width=2e-3)
    assert p.breakpoints(10e-3) == pytest.approx([1e-3, 1e-3 + 1e-6, 3e-3 + 1e-6, 3e-3 + 2e-6])


def test_bad_stimuli():
    with pytest.raises(InvalidInput, match="period"):
        Pulse(1.0, width=2e-3, period=1e-3)
    with pytest.raises(InvalidInput, match="increase"):
        StepTrain((2e-3, 1e-3), (1.0, 2.0))
    with pytest.raises(InvalidInput, match="frequency"):
        Sine(1.0, 0.0)
