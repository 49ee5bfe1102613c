"""Model cards: every built-in round-trips through TOML unchanged; bad cards are refused with a
clear error, and nothing in a card is ever executed."""

import tomllib

import pytest

import devicekit as dk
from devicekit.errors import InvalidInput, ModelCardError, UnitError
from devicekit.models.builtin import BUILTIN_MODELS, builtin_model
from devicekit.models.cards import card_text, load_model, save_model


@pytest.mark.parametrize("name", list(BUILTIN_MODELS))
def test_builtin_round_trip(name, tmp_path):
    model = builtin_model(name)
    path = save_model(model, tmp_path / f"{name}.toml")
    assert load_model(path) == model
    # and a second save writes the identical text (stable format)
    assert card_text(load_model(path)) == path.read_text()


def test_card_quantities_read_like_the_literature():
    text = card_text(builtin_model("hh-squid"))
    for fragment in ('"120mS/cm2"', '"-54.387mV"', '"0.07/ms"', '"-18mV"', '"6.3degC"'):
        assert fragment in text


BASE = builtin_model("hh-squid")


def _card(**changes):
    data = tomllib.loads(card_text(BASE))
    for path, value in changes.items():
        target = data
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value
    return data


def _write(tmp_path, data, name="card.toml"):
    import tomli_w

    path = tmp_path / name
    path.write_text(tomli_w.dumps(data))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channels.0.kind": "memristive"}, "not a channel kind"),
        ({"channels.2.conductance": "-0.3mS/cm2"}, "conductance .* must be finite and >= 0"),
        ({"channels.2.conductance": "0.3"}, "no unit"),
        ({"channels.2.reversal": "-54mA"}, "unit of current, not of voltage"),
        ({"membrane.capacitance": "1uF"}, "capacitance density"),
        ({"channels.0.gates.0.alpha.form": "cubic"}, "form = 'cubic' is unknown"),
        ({"channels.0.gates.0.power": 0}, "power = 0"),
        ({"channels.0.colour": "red"}, "unknown key"),
        ({"devicekit": 99}, "version 99"),
    ],
)
def test_bad_cards_are_refused(tmp_path, change, message):
    path = _write(tmp_path, _card(**change))
    before = path.read_bytes()
    with pytest.raises((ModelCardError, UnitError), match=message):
        load_model(path)
    assert path.read_bytes() == before  # the card is left untouched


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('touch {sentinel}')",
        "open('{sentinel}', 'w')",
        "(lambda: 0)()",
        "v.__class__",
        "[x for x in ()]",
        "exec('1')",
    ],
)
def test_expressions_are_parsed_never_executed(tmp_path, expression):
    sentinel = tmp_path / "executed"
    data = tomllib.loads(card_text(builtin_model("morris-lecar")))
    data["channels"][1]["gates"][0]["tau"]["expression"] = expression.format(sentinel=sentinel)
    path = _write(tmp_path, data)
    with pytest.raises(ModelCardError, match="not allowed"):
        load_model(path)
    assert not sentinel.exists()


def test_expression_with_units_is_accepted(tmp_path):
    data = tomllib.loads(card_text(builtin_model("morris-lecar")))
    data["channels"][1]["gates"][0]["tau"]["expression"] = "15ms / cosh((v - 12mV) / 34.8mV)"
    model = load_model(_write(tmp_path, data))
    tau = model.channels[1].gates[0].tau
    # tau_w(12 mV) = 15 ms / cosh(0) (Morris-Lecar type I, phi = 1/15)
    assert tau(0.012) == pytest.approx(0.015, rel=1e-15)


def test_not_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(ModelCardError, match="not valid TOML"):
        load_model(bad)
    with pytest.raises(InvalidInput, match="does not exist"):
        load_model(tmp_path / "missing.toml")
    with pytest.raises(InvalidInput, match="hh-squid"):
        load_model("hh-squidd")


def test_save_refuses_to_overwrite(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text("keep me")
    with pytest.raises(InvalidInput, match="--force"):
        save_model(BASE, path)
    assert path.read_text() == "keep me"
    save_model(BASE, path, force=True)
    assert load_model(path) == BASE


def test_card_with_nernst_battery_and_stimuli(tmp_path):
    from devicekit.models.stimuli import Pulse, Sine, StepTrain, VoltageClamp

    model = dk.load_model("hh-squid")
    import dataclasses

    k = dataclasses.replace(model.channels[1], reversal_potential=None)
    model = dataclasses.replace(
        model,
        channels=(model.channels[0], k, model.channels[2]),
        inside={"K": 400.0},
        outside={"K": 20.0},
        stimuli=(
            Pulse(0.1, 0.01, 0.02, 0.05),
            Sine(0.01, 10.0),
            StepTrain((0.0, 0.01), (0.1, 0.0)),
            VoltageClamp(-0.065, (0.01,), (0.0,)),
        ),
    )
    path = save_model(model, tmp_path / "k.toml")
    back = load_model(path)
    assert back == model
    # E_K from the solutions: 24.08 mV * ln(20/400) = -72.1 mV at 6.3 degC
    assert back.equations().batteries["k"] * 1e3 == pytest.approx(-72.1, abs=0.05)
