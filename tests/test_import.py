"""`import devicekit` stays light: the public names load lazily and PySpice is never imported by
the calculators. The time itself is measured in bench/ (bench_startup.py), not here."""

import subprocess
import sys

import devicekit


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return set(out.split())


def test_import_does_not_load_pyspice_or_heavy_libraries():
    loaded = _modules_after("import devicekit")
    assert "PySpice" not in loaded
    assert not {"scipy", "pandas", "matplotlib", "lmfit"} & loaded


def test_calculator_does_not_load_pyspice():
    loaded = _modules_after(
        "import devicekit; devicekit.ghk_voltage([1, 0.1], [1e-4, 140], [2, 5], [2, 1])"
    )
    assert "PySpice" not in loaded


def test_an_ngspice_simulation_does_not_load_scipy_optimize():
    # every sweep worker is a fresh process: scipy.optimize would add 0.3 s to each one's
    # start-up (bench/README.md, sweeps); the rest search bisects in numpy instead
    loaded = _modules_after(
        "import devicekit as dk; dk.simulate('hh-squid', dk.Transient(0.005, preset='fast'))"
    )
    # it did run in ngspice, whose worker process loads PySpice (this process does not)
    assert "devicekit.spice.engine" in loaded
    assert "PySpice" not in loaded
    assert "scipy.optimize" not in loaded


def test_public_names_resolve():
    for name in devicekit.__all__:
        assert getattr(devicekit, name) is not None
    assert "nernst_potential" in dir(devicekit)
