"""Every command's help is complete and current: a one-line summary, a description or
example, help text on every option, and the choices the code has (formats, fit models,
backends, presets, data sets) named where the help lists them."""

import argparse

import pytest

from devicekit.analyses import PRESETS
from devicekit.cli import build_parser
from devicekit.datasets import list as dataset_names
from devicekit.export import FORMATS
from devicekit.fit.models import FIT_MODELS


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _summaries() -> dict[str, str]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {choice.dest: choice.help for choice in action._choices_actions}


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_and_option_is_described(name):
    sub = _commands()[name]
    assert _summaries()[name], f"{name} has no one-line summary in devicekit --help"
    assert sub.description or sub.epilog, name
    assert "Example" in (sub.epilog or ""), f"{name} --help shows no example"
    for action in sub._actions:
        if action.dest == "help":
            continue
        assert action.help and len(action.help) > 5, f"{name} {action.option_strings} has no help"


def test_the_help_names_what_the_code_offers():
    commands = _commands()
    export = commands["export"].format_help()
    for fmt in (*FORMATS, "vacask"):  # every format export writes
        assert fmt in export, fmt
    fit = commands["fit"].format_help()
    for model in FIT_MODELS:
        assert model in fit, model
    for name in dataset_names():  # the packaged data sets, by name
        assert name in fit.replace("\n", "").replace(" ", ""), name
    for command in ("simulate", "sweep"):
        text = commands[command].format_help()
        for preset in PRESETS:
            assert preset in text, (command, preset)
        for backend in ("spice", "native", "vacask"):
            assert backend in text, (command, backend)
    summaries = _summaries()
    assert "VACASK" in summaries["simulate"] and "LTspice" in summaries["export"]
