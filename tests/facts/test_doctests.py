"""The usage examples in the facts modules' and the settings command's docstrings run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import stageline.facts

MODULES = [
    *(info.name for info in pkgutil.walk_packages(stageline.facts.__path__, "stageline.facts.")),
    "stageline.cli.settings",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
