"""The usage examples in the web modules' docstrings and the edge checks' run and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import stageline.web

MODULES = [
    *(info.name for info in pkgutil.walk_packages(stageline.web.__path__, "stageline.web.")),
    "stageline.errors",
    "stageline.names",
    "stageline.json_input",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
