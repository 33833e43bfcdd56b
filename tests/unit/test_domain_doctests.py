"""The usage examples in the domain's docstrings run and stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import stageline.domain

MODULES = [
    info.name
    for info in pkgutil.walk_packages(stageline.domain.__path__, prefix="stageline.domain.")
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
