"""The `devicekit` command, run as a user runs it (a real subprocess) and in-process."""

import json

import pytest

from devicekit.cli import main
from tests.conftest import run_cli


def test_version():
    result = run_cli("--version", check=True)
    assert result.stdout.startswith("devicekit 0.")


def test_nernst_example_from_issue():
    result = run_cli(
        "nernst",
        "--ion",
        "K",
        "--inside",
        "140mM",
        "--outside",
        "5mM",
        "--temperature",
        "37degC",
        check=True,
    )
    assert "-89.06 mV" in result.stdout


def test_nernst_json_by_valence():
    result = run_cli(
        "nernst", "--z", "2", "--inside", "100nM", "--outside", "2mM", "--json", check=True
    )
    data = json.loads(result.stdout)
    # Ca2+ 100 nM / 2 mM at the default 37 degC: +132.3 mV (issue 2)
    assert data["reversal_potential_V"] * 1e3 == pytest.approx(132.3, abs=0.05)
    assert data["temperature_K"] == pytest.approx(310.15)


def test_nernst_with_davies_activity(capsys):
    code = main(
        [
            "nernst",
            "--ion",
            "Na",
            "--inside",
            "15mM",
            "--outside",
            "145mM",
            "--activity",
            "davies",
            "--ionic-strength-inside",
            "150mM",
            "--ionic-strength-outside",
            "150mM",
            "--temperature",
            "25degC",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    # equal ionic strength on both sides: the coefficients (0.760) cancel in the ratio
    assert data["activity_coefficient_inside"] == pytest.approx(0.760, abs=0.005)
    assert data["reversal_potential_V"] * 1e3 == pytest.approx(25.693 * 2.2687, abs=0.01)


def test_ghk_example_from_issue():
    result = run_cli(
        "ghk",
        "--ion",
        "K:140mM:5mM:1",
        "--ion",
        "Na:10mM:145mM:0.04",
        "--ion",
        "Cl:10mM:110mM:0.45",
        "--json",
        check=True,
    )
    data = json.loads(result.stdout)
    # closed form: 26.727 mV * ln((5 + 0.04*145 + 0.45*10) / (140 + 0.04*10 + 0.45*110))
    assert data["ghk_voltage_V"] * 1e3 == pytest.approx(-67.31, abs=0.01)


def test_ghk_squid_solution(capsys):
    assert main(["ghk", "--solution", "squid-giant-axon", "--temperature", "6.3degC"]) == 0
    assert "-59.36 mV" in capsys.readouterr().out


def test_ghk_with_calcium_and_explicit_valence(capsys):
    code = main(["ghk", "--ion", "K:140mM:5mM:1", "--ion", "X:100nM:2mM:0.5:2", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    e_k, e_x = (ion["nernst_potential_V"] for ion in data["ions"])
    assert e_k < data["ghk_voltage_V"] < e_x


def test_rest_chord_with_pump(capsys):
    args = [
        "rest",
        "--ion",
        "K:140mM:5mM",
        "--ion",
        "Na:15mM:145mM",
        "--conductance",
        "K=0.5mS/cm2",
        "--conductance",
        "Na=0.025mS/cm2",
        "--json",
    ]
    assert main(args) == 0
    without = json.loads(capsys.readouterr().out)["resting_potential_V"]
    assert main([*args, "--pump", "1uA/cm2"]) == 0
    data = json.loads(capsys.readouterr().out)
    # 1 uA/cm2 = 0.01 A/m^2 over 0.525 mS/cm2 = 5.25 S/m^2: -1.905 mV (current balance)
    assert data["resting_potential_V"] - without == pytest.approx(-0.01 / 5.25, rel=1e-9)


def test_rest_ghk_and_balanced_pump(capsys):
    assert main(["rest", "--ion", "K:140mM:5mM:1", "--ion", "Na:15mM:145mM:0.05", "--json"]) == 0
    ghk = json.loads(capsys.readouterr().out)["resting_potential_V"]
    assert (
        main(
            [
                "rest",
                "--ion",
                "K:140mM:5mM:1",
                "--ion",
                "Na:15mM:145mM:0.05",
                "--balanced-pump",
                "--json",
            ]
        )
        == 0
    )
    pumped = json.loads(capsys.readouterr().out)["resting_potential_V"]
    assert pumped < ghk


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["nernst", "--ion", "K", "--inside", "0mM", "--outside", "5mM"], "--inside = '0mM'"),
        (["nernst", "--ion", "K", "--inside", "-5mM", "--outside", "5mM"], "--inside = '-5mM'"),
        (["nernst", "--ion", "K", "--inside", "nanmM", "--outside", "5mM"], "--inside = 'nanmM'"),
        (["nernst", "--z", "0", "--inside", "1mM", "--outside", "5mM"], "z = 0"),
        (
            ["nernst", "--ion", "K", "--inside", "1mM", "--outside", "5mM", "--temperature", "0K"],
            "--temperature",
        ),
        (
            [
                "nernst",
                "--ion",
                "K",
                "--inside",
                "1mM",
                "--outside",
                "5mM",
                "--temperature",
                "-300degC",
            ],
            "absolute zero",
        ),
        (["nernst", "--ion", "K", "--inside", "140mV", "--outside", "5mM"], "voltage"),
        (["nernst", "--ion", "Xx", "--inside", "1mM", "--outside", "5mM"], "unknown ion 'Xx'"),
        (["nernst", "--ion", "K", "--inside", "140", "--outside", "5mM"], "no unit"),
        (["ghk", "--ion", "K:140mM:5mM"], "SYMBOL:INSIDE:OUTSIDE:PERMEABILITY"),
        (["ghk", "--ion", "K:0mM:5mM:1"], "inside concentration of K"),
        (["rest", "--ion", "K:1mM:5mM", "--pump", "1uA/cm2"], "--conductance"),
        (["nernst", "--bogus"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_mistakes_give_one_line_and_exit_2(args, fragment):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in lines[0]


@pytest.mark.parametrize(
    "command", ["nernst", "ghk", "rest", "demo", "models", "simulate", "fit", "sweep"]
)
def test_help_has_an_example(command):
    result = run_cli(command, "--help", check=True)
    assert "Example" in result.stdout and "--json" in result.stdout
