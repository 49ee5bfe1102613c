"""The examples in the physics docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = [
    "devicekit.electrochem.constants",
    "devicekit.electrochem.nernst",
    "devicekit.electrochem.activity",
    "devicekit.electrochem.ghk",
    "devicekit.electrochem.resting",
    "devicekit.units",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
