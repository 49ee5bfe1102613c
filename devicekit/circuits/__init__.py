"""Circuits of neuron analogs: membranes, synapses and elements between named nodes, simulated
in ngspice. See :class:`Circuit`.

Results are a DataFrame indexed by time [s] with node voltages ``v(<node>)``, states
``<instance>.<state>`` and currents ``i(<instance>)``, all SI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from devicekit.analyses import Transient
from devicekit.circuits.circuit import Circuit, Instance
from devicekit.circuits.elements import Capacitor, CurrentSource, Resistor, VoltageSource
from devicekit.circuits.native import integrate_circuit
from devicekit.circuits.netlist import circuit_netlist, element_currents
from devicekit.circuits.synapses import ChemicalSynapse
from devicekit.circuits.vacask import run_circuit_vacask
from devicekit.errors import InvalidInput
from devicekit.spice.engine import engine

if TYPE_CHECKING:
    import pandas as pd

    from devicekit.analyses import Analysis

__all__ = [
    "Capacitor",
    "ChemicalSynapse",
    "Circuit",
    "CurrentSource",
    "Instance",
    "Resistor",
    "VoltageSource",
    "simulate_circuit",
]


def simulate_circuit(
    circuit: Circuit, analysis: Analysis, *, backend: str = "spice", timeout: float | None = None
) -> pd.DataFrame:
    """Run a transient of ``circuit`` in ngspice (``backend="spice"``), natively with scipy
    (``"native"``), or in VACASK with compiled devices (``"vacask"``, the ``vacask`` extra);
    the result's columns are described above."""
    import pandas as pd

    if not isinstance(analysis, Transient):
        raise InvalidInput("a circuit runs a transient (dk.Transient(tstop)) for now")
    if backend == "native":
        frame = integrate_circuit(circuit, analysis, timeout=timeout)
        return _with_element_currents(circuit, frame)
    if backend == "vacask":
        frame = run_circuit_vacask(circuit, analysis, timeout=timeout)
        return _with_element_currents(circuit, frame)
    if backend != "spice":
        raise InvalidInput(f"backend {backend!r} is unknown; choose 'spice', 'native' or 'vacask'")
    netlist = circuit_netlist(circuit, analysis)
    run = engine().run(netlist.text, netlist.vectors, expect_until=analysis.tstop, timeout=timeout)
    data = {column: run.vectors[vector] for vector, column in netlist.columns.items()}
    frame = pd.DataFrame(data, index=pd.Index(run.vectors["time"], name="time"))
    frame = _with_element_currents(circuit, frame)
    frame.attrs.update(model=circuit.name, netlist=netlist.text)
    return frame


def _with_element_currents(circuit: Circuit, frame):
    """The frame with the elements' currents joined in one step (not column by column, which
    fragments a frame of thousands of columns)."""
    import pandas as pd

    extra = element_currents(circuit, frame)
    if not extra:
        return frame
    joined = pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)
    joined.attrs.update(frame.attrs)
    return joined
