"""Type checking: mypy in strict mode is clean on the model core (``[tool.mypy]`` in
pyproject.toml: devicekit/electrochem, expr, models and spice), as ``make lint`` runs it, and
the package ships its ``py.typed`` marker (PEP 561)."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict_is_clean_on_the_model_core():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert sorted(config["files"]) == [
        "devicekit/electrochem", "devicekit/expr", "devicekit/models", "devicekit/spice",
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


def test_the_check_fails_on_a_type_error(tmp_path):
    # the same configuration finds an error when there is one: strict mode is in force
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x):\n    return x\n\n\ny: int = 'text'\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1
    assert "no-untyped-def" in done.stdout and "assignment" in done.stdout


def test_the_package_is_marked_typed():
    assert (ROOT / "devicekit" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["devicekit"]
