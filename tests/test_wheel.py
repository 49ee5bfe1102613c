"""devicekit as a user installs it: the wheel built from this checkout, installed into a fresh
virtual environment outside the checkout, runs the main job and fits a packaged data set by
name from an empty folder, where nothing of the checkout can be found.

The fresh environment gets its third-party packages (numpy, PySpice...) from the test's own
environment through a ``.pth`` line, so that nothing is downloaded; devicekit itself comes
only from the wheel (the test checks where it was imported from).
"""

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: the build writes build/ and *.egg-info into its tree
    skip = shutil.ignore_patterns(
        ".git",
        ".venv",
        "build",
        "dist",
        "*.egg-info",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        "devicekit-report",
    )
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
         "-w", str(work / "dist"), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    # the build (setuptools' output, shown with -v) warns of no deprecated licence metadata: a
    # TOML-table licence or a licence classifier is what it would complain of
    log = (build.stdout + build.stderr).lower()
    assert "running bdist_wheel" in log  # the backend's own output is there to be read
    complaints = [line for line in log.splitlines() if "licen" in line and "deprecat" in line]
    assert not complaints, complaints
    wheel = next((work / "dist").glob("devicekit-*.whl"))
    env_dir = work / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # the dependencies, from this environment's site-packages (its editable devicekit is not
    # seen: .pth files of a directory added this way are not processed)
    Path(purelib, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]
    empty = work / "empty"
    empty.mkdir()
    return env_dir, empty


def _run(env_dir, cwd, *args, timeout=900):
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    return subprocess.run(
        [str(env_dir / "bin" / "devicekit"), *args],
        capture_output=True, text=True, cwd=cwd, timeout=timeout, env=environment,
    )  # fmt: skip


def test_the_wheel_holds_the_data_sets_and_their_licences(installed):
    env_dir, empty = installed
    where = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c",
         "import devicekit, devicekit.datasets as d; print(devicekit.__file__); "
         "print(d.directory()); print(','.join(d.list()))"],
        capture_output=True, text=True, cwd=empty, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert str(env_dir) in where[0] and str(ROOT) not in where[0]  # from the wheel
    folder = Path(where[1])
    assert str(env_dir) in str(folder)
    assert where[2].split(",") == [
        "bongartz-oect-transfer", "hh1952-fig6-sodium", "howorka-dna-nanopore-iv",
        "kamsma-conical-channel-ginf",
    ]  # fmt: skip
    shipped = sorted(p.name for p in folder.iterdir())
    assert shipped == sorted(p.name for p in (ROOT / "measurements").iterdir())
    for name in shipped:  # the same bytes as the checkout's measurements/
        assert (folder / name).read_bytes() == (ROOT / "measurements" / name).read_bytes()
    # PEP 561: the installed package says it carries type information
    assert (Path(where[0]).parent / "py.typed").is_file()


def test_a_data_set_is_fitted_by_name_from_an_empty_folder(installed):
    env_dir, empty = installed
    fitted = _run(env_dir, empty, "fit", "howorka-dna-nanopore-iv", "--model", "ohmic", "--json")
    assert fitted.returncode == 0, fitted.stderr
    data = json.loads(fitted.stdout)
    assert data["model"] == "ohmic" and data["r_squared"] > 0.99  # near-ohmic I-V
    assert list(empty.iterdir()) == []  # nothing written where it was not asked


@pytest.mark.slow
def test_the_demo_runs_from_the_installed_wheel(installed):
    env_dir, empty = installed
    result = _run(env_dir, empty, "demo", "--out", "report", "--no-progress", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    report = empty / "report"
    assert (report / "index.html").exists()
    assert any(p.suffix == ".png" for p in report.iterdir())
