"""The usage examples in the sync modules' docstrings run and hold (I/O ones are skipped
inside the docstring with ``# doctest: +SKIP``; the tests next to this file run them)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import stageline.sync

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(stageline.sync.__path__, "stageline.sync.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
