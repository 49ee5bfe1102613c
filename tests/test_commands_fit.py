"""`devicekit fit`, run as a user runs it."""

import json

import pytest

import devicekit as dk
from tests.conftest import MEASUREMENTS, run_cli

CONICAL = str(MEASUREMENTS / "kamsma_conical_channel_ginf.toml")
NANOPORE = str(MEASUREMENTS / "howorka_dna_nanopore_iv.toml")


def test_fit_conical_channel_with_outputs(tmp_path):
    card, plot = tmp_path / "fitted.toml", tmp_path / "fit.png"
    result = run_cli(
        "fit",
        CONICAL,
        "--model",
        "sigmoid",
        "--verify",
        "--out",
        str(card),
        "--plot",
        str(plot),
        "--json",
        check=True,
    )
    data = json.loads(result.stdout)
    assert data["relative_rmse"] < 0.03  # issue 4
    assert data["spice_check"]["relative"] < 1e-4
    assert {p["name"] for p in data["parameters"]} == {"low", "high", "v_mid", "width"}
    assert "[fit]" in card.read_text() and plot.read_bytes()[:4] == b"\x89PNG"


def test_fit_nanopore_text_report_and_card_loads(tmp_path):
    card = tmp_path / "pore.toml"
    result = run_cli("fit", NANOPORE, "--model", "ohmic", "--out", str(card), check=True)
    assert "g " in result.stdout and "nS" in result.stdout and "R^2" in result.stdout
    model = dk.load_model(card)
    assert model.channels[0].conductance == pytest.approx(4.04e-10, rel=0.02)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["fit", str(MEASUREMENTS / "bongartz_oect_transfer.toml"), "--model", "ohmic"],
            "needs column 'voltage'",
        ),
        (["fit", NANOPORE, "--model", "ghk"], "--model ghk needs --ion"),
        (["fit", NANOPORE, "--model", "ohmic", "--ion", "K"], "--ion applies to --model ghk"),
        (["fit", "no/such.toml", "--model", "ohmic"], "no such file"),
        (["fit", NANOPORE, "--model", "quadratic"], "invalid choice"),
    ],
)
def test_fit_mistakes(args, fragment):
    result = run_cli(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr


def test_fit_refuses_to_overwrite(tmp_path):
    out = tmp_path / "keep.toml"
    out.write_text("mine")
    result = run_cli("fit", NANOPORE, "--model", "ohmic", "--out", str(out))
    assert result.returncode == 2 and out.read_text() == "mine"


def test_fitted_memristor_card_exports(tmp_path):
    # issue 5: a fitted card from `devicekit fit` exports the same way as a built-in
    card, lib = tmp_path / "cone.toml", tmp_path / "cone.lib"
    run_cli("fit", CONICAL, "--model", "sigmoid", "--out", str(card), check=True)
    model = dk.load_model(card)
    assert model.channels[0].gates[0].inf.form == "expression"
    run_cli("export", str(card), "--format", "spice", "-o", str(lib), check=True)
    assert ".subckt conical_memristor_fitted vm ref params:" in lib.read_text()
