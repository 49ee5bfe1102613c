"""Every fit that describes a device writes a model card that loads, round-trips through
save/load, and exports like a built-in: the exported library finds the same rest in ngspice's
``.op`` as devicekit computes for the loaded card."""

import subprocess
import tomllib

import numpy as np
import pytest

import devicekit as dk
from devicekit.export import write_export
from devicekit.fit.models import get_fit_model
from devicekit.models.cards import card_text, parse_card
from devicekit.spice.compiler import spice_name
from devicekit.spice.rawfile import read_rawfile
from tests.conftest import MEASUREMENTS
from tests.fitting_data import noisy

V = np.linspace(-0.1, 0.06, 81)

#: fit model -> (options, data): real data sets where devicekit has them, else the model's
#: own curve at true parameters with 1% noise (tests/fitting_data.py)
CASES = {
    "ohmic": ({}, "howorka_dna_nanopore_iv.toml"),
    "sigmoid": ({}, "kamsma_conical_channel_ginf.toml"),
    # the published cone (Pe -28.83/V, Delta_g -2.05, R_t/R_b 0.25): the measured device sits
    # at the Peclet bound, which warns (tests/test_iontronic.py)
    "conical": ({}, {"delta_g": -2.05, "peclet_per_volt": -28.83, "radius_ratio": 0.25}),
    "boltzmann": ({}, {"v_half": -0.03, "slope": 0.008}),
    "ghk": (
        {"ions": {"K": (140.0, 5.0), "Na": (10.0, 145.0)}, "temperature": 310.15, "area": 1e-9},
        {"P": 3e-6, "ratio_Na": 0.05},
    ),
    "channel-iv": ({"channel": "hh-squid:k", "area": 1e-4}, {"g_max": 300.0, "E": -0.075}),
}


def _fit(name):
    options, data = CASES[name]
    if isinstance(data, str):
        return dk.fit(name, dk.load_measurement(MEASUREMENTS / data), **options)
    model = get_fit_model(name, **options)
    x = np.linspace(-2.0, 2.0, 81) if name == "conical" else V
    return dk.fit(model, (x, noisy(model(x, data), seed=len(name))))


@pytest.mark.parametrize("name", sorted(CASES))
def test_fitted_card_loads_round_trips_and_exports(name, tmp_path):
    result = _fit(name)
    text = result.to_card()
    assert "[fit]" in text
    model = parse_card(tomllib.loads(text), f"{name}.toml")
    # round trip: the card of the loaded model reads back to the same model
    again = parse_card(tomllib.loads(card_text(model)), f"{name}.toml")
    assert again == model
    # the fitted values are in the device (each model's own place for them)
    d = model.definition()
    if name == "ohmic":
        assert d.parameters["g_pore"].value == result.values["g"]
    if name == "channel-iv":
        assert d.parameters["g_k"].value == result.values["g_max"]
    if name == "ghk":
        assert d.parameters["p_k"].value == result.values["P"]
    # exported like a built-in: the library's .op from a bare include finds devicekit's rest
    write_export(model, "spice", tmp_path / "fitted.lib")
    (tmp_path / "user.cir").write_text(
        f".include fitted.lib\nX1 vm 0 {spice_name(model.name)}\n.op\n.end\n"
    )
    run = subprocess.run(
        ["ngspice", "-b", "-r", "out.raw", "user.cir"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "error" not in (run.stdout + run.stderr).lower(), run.stdout
    rest = model.resting_state()["v"]
    # 0.1 mV, the bound of the built-in libraries (tests/test_standalone_libraries.py)
    got = float(np.asarray(read_rawfile(tmp_path / "out.raw")["v(vm)"])[0])
    assert got == pytest.approx(rest, abs=1e-4)
