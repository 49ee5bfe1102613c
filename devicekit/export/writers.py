"""Writers of exported models.

``spice`` writes a library for ngspice: one ``.subckt <name> vm ref params: ...`` per model,
with the membrane area, its specific capacitance and each channel's conductance (per area) and
battery as parameters, so a designer can include it and override them per instance::

    .include hh-squid.lib
    X1 vm 0 hh_squid area=2e-4
    Vclamp vm 0 DC 0
    .dc Vclamp -0.1 0.05 0.001

``card`` writes the model card (TOML) that :func:`devicekit.load_model` reads back exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from devicekit import __version__
from devicekit.errors import InvalidInput
from devicekit.export.neuroml import neuroml
from devicekit.export.veriloga import verilog_a
from devicekit.io import write_text_atomic
from devicekit.models.cards import card_text
from devicekit.spice.compiler import SPICE_DIALECTS, Formulation, compile_membrane

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

    from devicekit.models.membrane import Membrane

__all__ = ["FORMATS", "export_text", "write_export"]

#: format -> (file suffix, description)
FORMATS = {
    "spice": (".lib", "SPICE library for ngspice: one .subckt per model, with params:"),
    "ltspice": (".lib", "SPICE library in the LTspice dialect (if() for the stable exprel)"),
    "verilog-a": (".va", "Verilog-A module (Spectre, Xyce, OpenVAF)"),
    "card": (".toml", "devicekit model card (TOML), reads back exactly"),
    "neuroml": (".nml", "NeuroML 2 ionChannelHH / ionChannelPassive (HH-type channels)"),
}


def _spice_library(model, dialect: str = "ngspice") -> str:
    sub = compile_membrane(model, Formulation(parameters=True, dialect=dialect))
    usage = [
        f"* devicekit {__version__} SPICE library ({SPICE_DIALECTS[dialect]} dialect) of "
        f"'{model.name}'.",
        "* Usage:",
        f"*   .include {model.name}.lib",
        f"*   X1 inside outside {sub.name}            (override any params: per instance)",
        "* It finds its rest by itself: .op, or a transient from the operating point; the",
        "* .nodeset inside the subcircuit only seeds Newton's iteration at the default rest.",
        "* Pins: vm = inside, ref = outside; SI units; current out of vm is outward.",
        "",
    ]
    return "\n".join(usage) + sub.text


def _ltspice_library(model) -> str:
    """The library printed in the LTspice dialect: the same definition, with LTspice's
    if(condition, a, b) where ngspice has the ternary ?: (the function registry's
    spelling, devicekit.expr.functions)."""
    return _spice_library(model, "ltspice")


def export_text(model: Membrane, fmt: str) -> str:
    """The exported text of ``model`` in format ``fmt`` (see :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise InvalidInput(
            f"export format {fmt!r} is unknown; valid formats: "
            + ", ".join(f"{name} ({desc})" for name, (_, desc) in FORMATS.items())
            + ", vacask (devicekit export -o DIR: Verilog-A and a VACASK netlist)"
        )
    if fmt == "spice":
        return _spice_library(model)
    if fmt == "ltspice":
        return _ltspice_library(model)
    if fmt == "verilog-a":
        return verilog_a(model)
    if fmt == "neuroml":
        return neuroml(model)

    return card_text(model)


def write_export(
    model: Membrane,
    fmt: str,
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Write an export atomically; an existing file is replaced only with ``force``, and an
    input (``inputs``, such as the card it came from) never."""

    return write_text_atomic(Path(path), export_text(model, fmt), force=force, inputs=inputs)
