"""The usage examples in the sandbox's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import stageline_sandbox

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(stageline_sandbox.__path__, "stageline_sandbox.")
    if info.name != "stageline_sandbox.cli"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
