"""Read ngspice's binary rawfiles (``ngspice -b -r out.raw``) into numpy arrays."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from devicekit.arraytypes import FloatArray
from devicekit.errors import DataFormatError

__all__ = ["read_rawfile"]


def read_rawfile(path: str | os.PathLike[str]) -> dict[str, FloatArray]:
    """Vectors of the (last) real-valued plot in a binary rawfile, by lower-case name."""
    data = Path(path).read_bytes()
    head, separator, body = data.rpartition(b"Binary:\n")
    if not separator:
        raise DataFormatError(f"{path}: not a binary ngspice rawfile")
    text = head.decode(errors="replace").split("Title:")[-1]
    if "Flags: real" not in text:
        raise DataFormatError(f"{path}: only real-valued plots are read")
    counts = re.search(r"No. Variables:\s*(\d+)", text), re.search(r"No. Points:\s*(\d+)", text)
    if counts[0] is None or counts[1] is None:
        raise DataFormatError(f"{path}: no variable or point count in its header")
    nvars, npts = int(counts[0].group(1)), int(counts[1].group(1))
    names = re.findall(r"^\s+\d+\s+(\S+)\s+\S+", text.split("\nVariables:\n")[1], re.M)[:nvars]
    if npts == 0:  # the simulator writes the count when it finishes: an unfinished run
        raise DataFormatError(f"{path}: no points; the run that wrote it did not finish")
    if len(body) < nvars * npts * 8:
        raise DataFormatError(
            f"{path}: truncated ({len(body)} of {nvars * npts * 8} bytes of data)"
        )
    values = np.frombuffer(body[: nvars * npts * 8], dtype=np.float64).reshape(npts, nvars)
    return {name.lower(): values[:, i].copy() for i, name in enumerate(names)}
