"""devicekit's exception and warning types.

Every error a user can provoke is one of these. A message names the offending value, the valid
range and a way to fix it, so that the command-line interface can print it as one line.

``InvalidInput`` and ``DataFormatError`` also derive from :class:`ValueError`, and
``SimulationError`` and ``FitError`` from :class:`RuntimeError`, so that code written against the
standard exceptions keeps working.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import os

__all__ = [
    "CheckpointWarning",
    "ConvergenceWarning",
    "DataFormatError",
    "DevicekitError",
    "DevicekitWarning",
    "FitError",
    "ImplausibleValueWarning",
    "InvalidInput",
    "ModelCardError",
    "PoorFitError",
    "SimulationError",
    "SweepError",
    "UnitError",
    "quote",
    "warn",
]


def quote(text: object, limit: int = 80) -> str:
    """``repr`` of a user's text for an error message, cut to about ``limit`` characters (the
    start and the end are kept), so that a 5000-character cell makes a one-line error still."""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 20] + "..." + text[-17:]
    return repr(text)


class DevicekitError(Exception):
    """Base class of every error raised by devicekit."""


class InvalidInput(DevicekitError, ValueError):
    """An argument is outside its valid range (for example a negative concentration or z = 0)."""


class UnitError(InvalidInput):
    """A quantity has no unit, an unknown unit, or the unit of another kind of quantity."""


class ModelCardError(InvalidInput):
    """A model card is malformed: unknown keys or kinds, missing units, forbidden expressions."""


class DataFormatError(DevicekitError, ValueError):
    """A measurement file cannot be read as the data set its metadata describes."""


class SimulationError(DevicekitError, RuntimeError):
    """ngspice failed. Carries ngspice's own message and the netlist that was run."""

    def __init__(self, message: str, *, netlist: str | None = None, log: str | None = None):
        super().__init__(message)
        self.netlist = netlist
        self.log = log


class FitError(DevicekitError, RuntimeError):
    """A fit failed to converge or is not determined by the data."""


class PoorFitError(FitError):
    """A fit converged but cannot be right: worse than a constant (R^2 < 0), or data with no
    variation. The fit is kept in ``result`` for inspection; the CLI exits with status 3."""

    def __init__(self, message: str, *, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


class SweepError(DevicekitError, RuntimeError):
    """A sweep stopped before its end (a worker died, it was interrupted, or its output could not
    be written). Every finished point is kept in ``checkpoint``; run again with ``resume=True``
    (``--resume``) to compute only the missing ones."""

    def __init__(
        self,
        message: str,
        *,
        checkpoint: str | os.PathLike[str] | None = None,
        done: int = 0,
        total: int = 0,
        interrupted: bool = False,
    ) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint
        self.done = done
        self.total = total
        self.interrupted = interrupted  # by Ctrl-C (KeyboardInterrupt)


class DevicekitWarning(UserWarning):
    """Base class of devicekit's warnings."""


class ConvergenceWarning(DevicekitWarning, RuntimeWarning):
    """A numerical procedure finished but its result is poorly determined."""


class ImplausibleValueWarning(DevicekitWarning):
    """A value is valid but most likely a mistake (37 K where 37 degC was meant)."""


class CheckpointWarning(DevicekitWarning):
    """A sweep checkpoint had damaged records; they were skipped and their points run again."""


_PACKAGE = str(Path(__file__).resolve().parent) + "/"


def warn(message: str, category: type[Warning]) -> None:
    """Issue a warning that points at the user's line: the first frame of the call stack
    outside devicekit, however deep inside it the warning arises (a fixed ``stacklevel`` is
    wrong as soon as a function is reached through another path, such as the callable
    ``devicekit.fit``)."""
    level, frame = 2, sys._getframe(1)  # stacklevel 2: warn's caller
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
