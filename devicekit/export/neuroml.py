"""NeuroML 2 export: channels, a one-compartment cell and a network, written through libNeuroML's
object model, with a LEMS simulation file that runs it.

devicekit's rate forms are NeuroML's standard ones: ``exp`` is ``HHExpRate``, ``sigmoid`` is
``HHSigmoidRate`` and ``exp_linear`` is ``HHExpLinearRate`` (rate per ms, midpoint and scale in
mV). A channel's Q10 is a ``q10Settings`` inside each of its gates; an ohmic leak is a
gate-less ``ionChannelHH``. The cell carries the membrane's densities and reversal potentials
(``channelDensity``), its specific capacitance, its initial potential (the model's rest) and a
spherical morphology of the model's area; the network holds one cell at the model's
temperature (``networkWithTemperature``) and, with a stimulus, a ``pulseGenerator`` into it.

What NeuroML's standard forms cannot express is refused with the reason: GHK channels, gates
given as free expressions or as steady state and time constant, iontronic rates, and devices in
their own units (no area). Export those as a card, SPICE or Verilog-A.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

from devicekit import __version__
from devicekit.errors import InvalidInput
from devicekit.spice.compiler import spice_name

if TYPE_CHECKING:
    from devicekit.models.membrane import Membrane

__all__ = ["LEMS_STEP_MS", "lems_simulation", "neuroml", "neuroml_document"]

_RATES = {"exp": "HHExpRate", "sigmoid": "HHSigmoidRate", "exp_linear": "HHExpLinearRate"}
#: the LEMS file's fixed step [ms]: NEURON keeps hh-squid's first spike and interspike
#: interval within 0.02 ms of the reference at it (tests/test_neuroml.py)
LEMS_STEP_MS = 0.0025
INSTALL = "pip install 'devicekit[neuroml]'"


def _g(value: float) -> str:
    """A number as NeuroML text, without float noise (6.3, not 6.3000000000000114)."""
    text = f"{value:.10g}"
    return text if "e" not in text else f"{float(text):g}"


def _libneuroml():
    try:
        import neuroml
        import neuroml.writers
    except ImportError:
        raise InvalidInput(f"NeuroML export needs libNeuroML: {INSTALL}") from None
    return neuroml


def _rate(nml, rate, where: str):
    form = getattr(rate, "form", None)
    if form not in _RATES:
        raise InvalidInput(
            f"{where}: a {form or type(rate).__name__!r} rate has no standard NeuroML form "
            "(exp, sigmoid and exp_linear do); export this model as a card, SPICE or Verilog-A"
        )
    return nml.HHRate(
        type=_RATES[form],
        rate=f"{_g(rate.amplitude / 1000)}per_ms",
        midpoint=f"{_g(rate.midpoint * 1000)}mV",
        scale=f"{_g(rate.scale * 1000)}mV",
    )


def _channel(nml, channel):
    if channel.kind == "ghk":
        raise InvalidInput(
            f"channel {channel.name}: a GHK channel has no standard NeuroML ionChannelHH form"
        )
    species = (channel.ion or "non_specific").lower()
    made = nml.IonChannelHH(id=channel.name, species=species, conductance="10pS")
    for gate in getattr(channel, "gates", ()):
        where = f"gate {gate.name} of channel {channel.name}"
        if gate.alpha is None:
            raise InvalidInput(
                f"{where} is given by its steady state and time constant; only alpha/beta "
                "gates in the standard forms are exported to NeuroML"
            )
        made_gate = nml.GateHHRates(
            id=gate.name,
            instances=gate.power,
            forward_rate=_rate(nml, gate.alpha, where),
            reverse_rate=_rate(nml, gate.beta, where),
        )
        if channel.q10 != 1.0 and channel.q10_temperature is not None:
            made_gate.q10_settings = nml.Q10Settings(
                type="q10ExpTemp",
                q10_factor=_g(channel.q10),
                experimental_temp=f"{_g(channel.q10_temperature - 273.15)} degC",
            )
        made.gate_hh_rates.append(made_gate)
    return made


def neuroml_document(model: Membrane, stimulus: float | None = None) -> Any:
    """The NeuroML document of ``model``: its channels, a cell ``<name>_cell``, and a network
    ``<name>_net`` of one cell (population ``pop``); ``stimulus`` [A] adds a step current into
    it from t = 0."""
    nml = _libneuroml()
    if not model.per_area:
        raise InvalidInput(
            f"{model.name} is a device in its own units (S, F, A), not a membrane with values "
            "per area; NeuroML describes cells: export it as a card, SPICE or Verilog-A"
        )
    if model.pools or model.pumps:
        raise InvalidInput(
            f"{model.name} has ion pools or pumps, which devicekit's NeuroML export does not "
            "carry yet (NeuroML's concentration models describe Ca2+ pools only; its batteries "
            "would be frozen at their start); export it as SPICE, Verilog-A or a card"
        )
    name = spice_name(model.name)
    eq = model.equations()
    doc = nml.NeuroMLDocument(
        id=name,
        notes=f"devicekit {__version__}: model '{model.name}'"
        + (f"; source: {model.reference}" if model.reference else ""),
    )
    membrane = nml.MembraneProperties()
    for channel in model.channels:
        doc.ion_channel_hhs.append(_channel(nml, channel))
        membrane.channel_densities.append(
            nml.ChannelDensity(
                id=f"{channel.name}_all",
                ion_channel=channel.name,
                cond_density=f"{_g(channel.conductance * 0.1)} mS_per_cm2",
                erev=f"{_g(eq.batteries[channel.name] * 1000)}mV",
                ion=(channel.ion or "non_specific").lower(),
            )
        )
    rest = model.resting_state()["v"]
    membrane.specific_capacitances.append(
        nml.SpecificCapacitance(value=f"{_g(model.capacitance * 100)} uF_per_cm2")
    )
    membrane.init_memb_potentials.append(nml.InitMembPotential(value=f"{_g(rest * 1000)}mV"))
    membrane.spike_threshes.append(nml.SpikeThresh(value="0mV"))
    intracellular = nml.IntracellularProperties()
    intracellular.resistivities.append(nml.Resistivity(value="0.03 kohm_cm"))
    # a sphere of the model's area: proximal = distal, area pi d^2
    diameter_um = math.sqrt(model.area * 1e12 / math.pi)
    point = nml.Point3DWithDiam(x=0, y=0, z=0, diameter=_g(diameter_um))
    cell = nml.Cell(
        id=f"{name}_cell",
        morphology=nml.Morphology(
            id="morphology",
            segments=[nml.Segment(id=0, name="soma", proximal=point, distal=point)],
        ),
        biophysical_properties=nml.BiophysicalProperties(
            id="biophysics",
            membrane_properties=membrane,
            intracellular_properties=intracellular,
        ),
    )
    doc.cells.append(cell)
    network = nml.Network(
        id=f"{name}_net",
        type="networkWithTemperature",
        temperature=f"{_g(model.temperature - 273.15)} degC",
    )
    network.populations.append(nml.Population(id="pop", component=cell.id, size=1))
    if stimulus is not None:
        doc.pulse_generators.append(
            nml.PulseGenerator(
                id="stim", delay="0ms", duration="1e9ms", amplitude=f"{_g(stimulus * 1e6)}uA"
            )
        )
        network.explicit_inputs.append(nml.ExplicitInput(target="pop[0]", input="stim"))
    doc.networks.append(network)
    return doc


def neuroml(model: Membrane, stimulus: float | None = None) -> str:
    """The NeuroML 2 text of :func:`neuroml_document`."""
    nml = _libneuroml()
    out = io.StringIO()
    nml.writers.NeuroMLWriter.write(neuroml_document(model, stimulus), out, close=False)
    return out.getvalue()


def lems_simulation(
    model: Membrane, nml_file: str, tstop: float, step_ms: float = LEMS_STEP_MS
) -> str:
    """A LEMS simulation of the network in ``nml_file`` for ``tstop`` [s] at a fixed step,
    recording the membrane potential [V] against time [s] into ``<name>.v.dat``."""
    name = spice_name(model.name)
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<Lems>",
            f"    <!-- devicekit {__version__}: {model.name} for {_g(tstop * 1000)} ms at a "
            f"fixed step of {_g(step_ms)} ms -->",
            f'    <Target component="sim_{name}"/>',
            '    <Include file="Cells.xml"/>',
            '    <Include file="Networks.xml"/>',
            '    <Include file="Simulation.xml"/>',
            f'    <Include file="{nml_file}"/>',
            f'    <Simulation id="sim_{name}" length="{_g(tstop * 1000)}ms" '
            f'step="{_g(step_ms)}ms" target="{name}_net">',
            f'        <OutputFile id="voltage" fileName="{name}.v.dat">',
            '            <OutputColumn id="v" quantity="pop[0]/v"/>',
            "        </OutputFile>",
            "    </Simulation>",
            "</Lems>",
            "",
        ]
    )
