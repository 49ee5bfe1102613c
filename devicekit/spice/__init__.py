"""SPICE: compile models to subcircuits, assemble test benches, run ngspice.

``Formulation`` and ``compile_membrane`` are imported on first use (PEP 562), so that the
ngspice worker process, which imports only :mod:`devicekit.spice.library`, stays lean.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devicekit.spice.compiler import Formulation, compile_membrane

__all__ = ["Formulation", "compile_membrane"]


def __getattr__(name: str) -> Any:
    if name in __all__:  # as the package root does for its public names
        return getattr(importlib.import_module("devicekit.spice.compiler"), name)
    raise AttributeError(f"module 'devicekit.spice' has no attribute {name!r}")
