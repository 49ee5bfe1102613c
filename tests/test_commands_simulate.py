"""`devicekit models` and `devicekit simulate`, run as a user runs them."""

import json

import pandas as pd
import pytest

from tests.conftest import run_cli


def test_models_lists_builtins():
    data = json.loads(run_cli("models", "--json", check=True).stdout)
    names = {m["name"] for m in data["models"]}
    assert {"hh-squid", "morris-lecar"} <= names


def test_simulate_writes_csv_and_plot(tmp_path):
    out, plot = tmp_path / "hh.csv", tmp_path / "hh.png"
    result = run_cli(
        "simulate",
        "hh-squid",
        "--stim",
        "10uA/cm2",
        "--tstop",
        "200ms",
        "-o",  # the short form, as in devicekit sweep
        str(out),
        "--plot",
        str(plot),
        "--json",
        check=True,
    )
    summary = json.loads(result.stdout)
    # 10 uA/cm2: first spike 1.901 ms, 68.3 Hz (issue 3); 14 spikes fit in 200 ms
    assert summary["spike_count"] == 14
    assert summary["rate_hz"] == pytest.approx(68.3, abs=0.3)
    assert summary["first_spike_s"] * 1e3 == pytest.approx(1.901, abs=0.005)
    assert summary["rest_v"] * 1e3 == pytest.approx(-65.0, abs=0.05)
    frame = pd.read_csv(out, index_col=0)
    assert list(frame.columns) == ["v [V]", "na_m [1]", "na_h [1]", "k_n [1]", "stimulus [A]"]
    assert frame.index.name == "time [s]" and frame.index[-1] == pytest.approx(0.2)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_refuses_to_overwrite(tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious")
    result = run_cli("simulate", "hh-squid", "--stim", "10uA/cm2", "--out", str(out))
    assert result.returncode == 2
    assert "--force" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert out.read_text() == "precious"


def test_simulate_op_json():
    data = json.loads(
        run_cli("simulate", "hh-squid", "--analysis", "op", "--json", check=True).stdout
    )
    assert data["operating_point"]["v"] * 1e3 == pytest.approx(-65.0, abs=0.05)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["simulate", "no-such"], "unknown model"),
        (["simulate", "hh-squid", "--stim", "10mV"], "current density"),
        (["simulate", "hh-squid", "--tstop", "-5ms"], "tstop"),
        (["simulate", "hh-squid", "--plot", "x.jpg"], ".png"),
    ],
)
def test_simulate_mistakes(args, fragment, tmp_path):
    result = run_cli(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert fragment in result.stderr
