"""SPICE: compile models to subcircuits, assemble test benches, run ngspice."""

from devicekit.spice.compiler import Formulation, compile_membrane

__all__ = ["Formulation", "compile_membrane"]
