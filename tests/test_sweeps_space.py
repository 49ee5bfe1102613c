"""Sweep points: parameter paths into models, grids, Monte Carlo draws, and the CLI's value
syntax."""

import numpy as np
import pytest

import devicekit as dk
from devicekit.commands.sweep import parse_param
from devicekit.errors import InvalidInput, ModelCardError, UnitError
from devicekit.models.builtin import builtin_model
from devicekit.models.stimuli import Pulse
from devicekit.sweeps import LogNormal, Normal, Uniform, parse_distribution
from devicekit.sweeps.space import apply_values, check_path, sweep_points

HH = dk.load_model("hh-squid").with_stimuli(Pulse(0.1))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # the numbers of hh-squid's card (PHYSICS.md, HH 1952) in SI
        ("na.conductance", 1200.0),  # 120 mS/cm^2
        ("capacitance", 0.01),  # 1 uF/cm^2
        ("na.m.alpha.midpoint", -0.04),
        ("na.gates.h.beta.scale", 0.01),
        ("stimulus.amplitude", 0.1),
        ("stimuli.0.amplitude", 0.1),
    ],
)
def test_check_path_reads_the_present_value(path, value):
    assert check_path(HH, path) == pytest.approx(value, rel=1e-15)


def test_apply_values_changes_only_the_named_fields():
    changed = apply_values(
        HH, {"na.conductance": 1000.0, "k.reversal_potential": -0.08, "stimulus.amplitude": 0.2}
    )
    assert changed.channels[0].conductance == 1000.0
    assert changed.channels[1].reversal_potential == -0.08
    assert changed.stimuli[0].amplitude == 0.2
    # everything else is untouched, and the original is not modified (frozen dataclasses)
    assert changed.channels[0].gates == HH.channels[0].gates
    assert changed.channels[2] == HH.channels[2]
    assert HH.channels[0].conductance == 1200.0


def test_a_concentration_moves_the_nernst_battery():
    from devicekit.models.channels import OhmicChannel
    from devicekit.models.membrane import Membrane

    cell = Membrane(
        "k-cell", 0.01, 1e-4, (OhmicChannel("k", 10.0, ion="K"),), 310.15,
        inside={"K": 140.0}, outside={"K": 5.0},
    )  # fmt: skip
    changed = apply_values(cell, {"outside.K": 20.0})
    assert dict(changed.outside) == {"K": 20.0}
    # the battery is Nernst's 140/20 mM at 37 degC
    expected = dk.nernst_potential(140.0, 20.0, 1, temperature=310.15)
    assert changed.equations().batteries["k"] == pytest.approx(expected, rel=1e-12)


def test_an_impossible_value_raises_the_models_own_error():
    with pytest.raises(ModelCardError, match="capacitance"):
        apply_values(HH, {"capacitance": -1.0})


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("na.nosuch", "fields are name, conductance"),
        ("nosuch", "fields are"),
        ("outside.Xx", "known: "),
        ("stimuli.3.amplitude", "index 3 is out of range"),
        ("na.name", "not a number"),
        ("na..conductance", "dotted path"),
        ("na.conductance; rm", "dotted path"),
    ],
)
def test_bad_paths_are_named(path, match):
    with pytest.raises(InvalidInput, match=match):
        check_path(HH, path)


def test_stimulus_path_without_a_stimulus_says_how_to_add_one():
    with pytest.raises(InvalidInput, match="has no stimulus"):
        check_path(dk.load_model("hh-squid"), "stimulus.amplitude")


def test_grids_are_crossed_last_fastest():
    points = sweep_points({"a": [1, 2], "b": [10, 20, 30]}, None, None)
    assert list(points["a"]) == [1, 1, 1, 2, 2, 2]
    assert list(points["b"]) == [10, 20, 30, 10, 20, 30]
    assert points.index.name == "point"


def test_monte_carlo_is_the_seeded_generator_and_crossed_with_grids():
    points = sweep_points({"g": Normal(1200, 60), "i": [0.05, 0.1]}, 4, 7)
    # the draws are exactly numpy's default_rng(7).normal(1200, 60, 4), repeated per grid value
    expected = np.random.default_rng(7).normal(1200, 60, 4)
    assert np.array_equal(points["g"].to_numpy(), np.concatenate([expected, expected]))
    assert list(points["i"]) == [0.05] * 4 + [0.1] * 4
    again = sweep_points({"g": Normal(1200, 60), "i": [0.05, 0.1]}, 4, 7)
    assert points.equals(again)


def test_distributions_draw_what_they_say():
    rng = np.random.default_rng(0)
    n = 200_000
    # sample statistics of 2e5 draws: standard errors ~ std/sqrt(n) = 0.0022 std
    u = Uniform(2.0, 4.0).draw(rng, n)
    assert u.min() >= 2.0 and u.max() < 4.0
    assert u.mean() == pytest.approx(3.0, abs=0.01)
    x = Normal(5.0, 0.5).draw(rng, n)
    assert x.std() == pytest.approx(0.5, rel=0.01)
    y = LogNormal(50e-9, 0.1).draw(rng, n)
    assert np.median(y) == pytest.approx(50e-9, rel=0.01)
    assert np.log(y).std() == pytest.approx(0.1, rel=0.01)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"g": Normal(1, 1)}, "samples"),
        ({"g": [1.0, np.nan]}, "finite numbers"),
        ({"g": []}, "non-empty"),
        ({"g": "1,2"}, "is text"),
        ({}, "at least one parameter"),
    ],
)
def test_bad_point_specs(spec, match):
    with pytest.raises(InvalidInput, match=match):
        sweep_points(spec, None, None)


def test_monte_carlo_needs_a_seed():
    with pytest.raises(InvalidInput, match="seed"):
        sweep_points({"g": Normal(1, 1)}, 10, None)


@pytest.mark.parametrize(
    "text", ["normal(1, 0)", "uniform(2, 1)", "lognormal(-1, 0.1)", "gauss(1, 2)", "normal(1)"]
)
def test_bad_distributions(text):
    with pytest.raises(InvalidInput):
        parse_distribution(text)


STEPPED = builtin_model("hh-squid").with_stimuli(Pulse(0.0))


def test_cli_value_syntax_with_units():
    # the units come from the model's field metadata (k.conductance is a conductance density)
    path, values = parse_param("stimulus.amplitude=0:20uA/cm2:5", STEPPED)
    assert path == "stimulus.amplitude"
    # 20 uA/cm^2 = 0.2 A/m^2, in 4 equal steps
    assert np.allclose(values, [0, 0.05, 0.1, 0.15, 0.2], rtol=1e-15, atol=0)
    assert parse_param("na.conductance=120mS/cm2,100mS/cm2", STEPPED)[1] == pytest.approx(
        [1200.0, 1000.0], rel=1e-15
    )
    assert parse_param("outside.K=1mM:100mM:3:log", STEPPED)[1] == pytest.approx(
        [1, 10, 100], rel=1e-12
    )
    dist = parse_param("na.conductance=normal(120mS/cm2, 6mS/cm2)", STEPPED)[1]
    assert isinstance(dist, Normal)
    assert (dist.mean, dist.std) == pytest.approx((1200.0, 60.0), rel=1e-15)
    assert parse_param("temperature=6.3degC", STEPPED)[1] == pytest.approx([279.45], rel=1e-15)


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("na.conductance", InvalidInput, "NAME=VALUES"),
        ("na.conductance=1:2", InvalidInput, "start:stop:n"),
        ("na.conductance=1:2:1", InvalidInput, "at least 2"),
        ("na.conductance=3mV", UnitError, "conductance"),
        ("na.q10=3mV", UnitError, "plain SI number"),
        ("outside.K=0:1mM:3:log", InvalidInput, "log range"),
    ],
)
def test_cli_value_syntax_errors(text, error, match):
    with pytest.raises(error, match=match):
        parse_param(text, STEPPED)
