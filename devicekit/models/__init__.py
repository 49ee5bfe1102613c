"""Model objects built on :mod:`devicekit.electrochem`: ions and solutions, channels, membranes,
neurons, iontronic devices and model cards."""

from devicekit.models.ions import (
    ION_TABLE,
    STANDARD_SOLUTIONS,
    ConcentrationSet,
    Ion,
    get_ion,
    get_solution,
)

__all__ = ["ION_TABLE", "STANDARD_SOLUTIONS", "ConcentrationSet", "Ion", "get_ion", "get_solution"]
