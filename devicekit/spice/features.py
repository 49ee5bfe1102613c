"""What the ngspice library that devicekit runs was built with.

:func:`ngspice_features` asks the library itself (``version -f``, and the ``osdi`` command,
which only a build with OSDI has) in a short-lived process of its own, so that neither the
caller nor the ngspice worker loads or disturbs anything. ``devicekit info`` prints the answer.

What devicekit does with it: Debian's and Ubuntu's ngspice (39 on Debian 12) is built with
neither KLU nor OSDI. Without OSDI, devicekit's compiled devices (its Verilog-A compiled to OSDI
by openvaf-r) run in VACASK (``backend="vacask"``), and ngspice runs the B-source subcircuits.
devicekit sets no solver option, so a build with KLU runs with its own default solver; on the
1000-compartment axon the time goes to the B-sources' evaluation, not to the sparse solve
(bench/README.md).

``python -m devicekit.spice.features`` is the probe: it prints the library's answers as JSON.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from dataclasses import dataclass

from devicekit.errors import SimulationError
from devicekit.spice.engine import _worker_environment
from devicekit.spice.library import NgspiceEngine, _loaded_file

__all__ = ["NgspiceFeatures", "ngspice_features", "parse_features"]

_OSDI_PROBE = "osdi /nonexistent/devicekit-osdi-probe.osdi"
_NO_COMMAND = "no such command"


@dataclass(frozen=True)
class NgspiceFeatures:
    """The ngspice library's version and build options."""

    #: ngspice's version, e.g. "39"
    version: str
    #: the library file that was loaded
    library: str
    #: the KLU sparse solver is compiled in
    klu: bool
    #: OSDI is compiled in: compiled Verilog-A devices can be loaded (``pre_osdi``)
    osdi: bool
    #: the "Relevant compilation options" lines of ``version -f``
    options: tuple[str, ...]


def parse_features(version_text: str, osdi_text: str, library: str) -> NgspiceFeatures:
    """Read ``version -f``'s banner and the answer to the ``osdi`` command."""
    lines = [line.strip("* ").strip() for line in version_text.splitlines()]
    version = next(
        (
            line.split("ngspice-", 1)[1].split()[0]
            for line in lines
            if line.startswith("ngspice-") and len(line) > len("ngspice-")
        ),
        "",
    )
    if not version:
        raise SimulationError(
            "ngspice's 'version -f' named no version; its answer was: "
            + " | ".join(filter(None, lines))[:300]
        )
    options: list[str] = []
    start = next((i for i, line in enumerate(lines) if line.startswith("Relevant compil")), None)
    for line in [] if start is None else lines[start + 1 :]:
        if not line or line.startswith("ngspice shared library"):
            break
        options.append(line)
    return NgspiceFeatures(
        version=version,
        library=library,
        klu="klu" in version_text.lower(),
        osdi=_NO_COMMAND not in osdi_text.lower(),
        options=tuple(options),
    )


def _probe() -> dict[str, str]:
    engine = NgspiceEngine(background=False)
    engine._instance()
    answers = {}
    for key, command in (("version", "version -f"), ("osdi", _OSDI_PROBE)):
        engine._clear_output()
        engine._command(command)
        stdout, stderr = engine._output()
        answers[key] = "\n".join(stdout + stderr)
    answers["library"] = _loaded_file("libngspice") or ""
    return answers


@functools.cache
def ngspice_features() -> NgspiceFeatures:
    """The version and build options of the ngspice library devicekit loads (asked once per
    process, in a process of its own: about 0.3 s).

    Raises
    ------
    SimulationError
        When the library cannot be loaded (the message says how to install it).
    """
    result = subprocess.run(
        [sys.executable, "-m", "devicekit.spice.features"],
        capture_output=True,
        text=True,
        env=_worker_environment(),
        timeout=60,
    )
    if result.returncode != 0:
        tail = " ".join((result.stderr or result.stdout).strip().splitlines()[-1:])
        raise SimulationError(
            f"cannot ask ngspice for its build options: {tail.removeprefix('devicekit: ')}"
        )
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    return parse_features(answers["version"], answers["osdi"], answers["library"])


def main() -> int:
    try:
        answers = _probe()
    except SimulationError as error:  # no library: one line, as the CLI would
        print(f"devicekit: {error}", file=sys.stderr)
        return 1
    print(json.dumps(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
