"""The domain core stays pure: no I/O library, no clock, no global randomness.

Every module of ``stageline.domain`` is parsed (not imported) and each import checked against
an allow-list of pure standard-library modules; calls that read the clock or do I/O fail too.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import stageline.domain

ALLOWED_MODULES = frozenset(
    {
        "__future__",
        "collections",
        "collections.abc",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "hashlib",
        "hmac",
        "itertools",
        "json",
        "math",
        "operator",
        "re",
        "types",
        "typing",
    }
)
DOMAIN = "stageline.domain"
FORBIDDEN_CALLS = frozenset({"open", "input", "print", "exec", "eval", "__import__", "breakpoint"})
CLOCK_READS = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter"})


def domain_modules() -> list[tuple[str, Path]]:
    """``(package name, path)`` for every module of the domain; a package's name is its own."""
    package_dir = Path(next(iter(stageline.domain.__path__)))
    modules = [(DOMAIN, package_dir / "__init__.py")]
    for info in pkgutil.walk_packages([str(package_dir)], prefix=f"{DOMAIN}."):
        relative = info.name.removeprefix(f"{DOMAIN}.").replace(".", "/")
        path = package_dir / relative
        modules.append((info.name, path / "__init__.py" if info.ispkg else path.with_suffix(".py")))
    return modules


def impurities(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Every forbidden import or call in ``source``, the text of ``module``."""
    package = module if is_package else module.rpartition(".")[0]
    problems = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source_module = _absolute(node, package)
            names = [source_module]
            if not _allowed(source_module):  # ``from stageline import domain`` names a submodule
                names = [f"{source_module}.{alias.name}".lstrip(".") for alias in node.names]
        elif isinstance(node, ast.Call):
            problems.extend(_call_problems(node))
        for name in names:
            if not _allowed(name):
                problems.append(f"line {node.lineno}: imports {name}")
    return problems


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if node.level == 0:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _allowed(name: str) -> bool:
    return name in ALLOWED_MODULES or name == DOMAIN or name.startswith(f"{DOMAIN}.")


def _call_problems(node: ast.Call) -> list[str]:
    func = node.func
    if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
        return [f"line {node.lineno}: calls {func.id}()"]
    if isinstance(func, ast.Attribute) and func.attr in CLOCK_READS:
        return [f"line {node.lineno}: reads the clock with .{func.attr}()"]
    return []


MODULES = domain_modules()


def test_every_domain_module_is_checked() -> None:
    names = {name for name, _ in MODULES}
    assert {f"{DOMAIN}.mrr", f"{DOMAIN}.stages", f"{DOMAIN}.renewal", f"{DOMAIN}.billing"} <= names
    assert all(path.is_file() for _, path in MODULES)


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_domain_module_is_pure(module: str, path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert impurities(source, module, is_package=path.name == "__init__.py") == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("import os", "imports os"),
        ("import os.path", "imports os.path"),
        ("from pathlib import Path", "imports pathlib"),
        ("import sqlalchemy as sa", "imports sqlalchemy"),
        ("from stageline.store import db", "imports stageline.store"),
        ("from .. import config", "imports stageline.config"),
        ("from stageline import store", "imports stageline.store"),
        ("from os import path", "imports os.path"),
        ("from ..store import db", "imports stageline.store"),
        ("import logging", "imports logging"),
        ("import random", "imports random"),
        ("import time", "imports time"),
        ("from datetime import datetime\nx = datetime.now()", "reads the clock with .now()"),
        ("import datetime\nx = datetime.date.today()", "reads the clock with .today()"),
        ("x = open('f')", "calls open()"),
        ("print('x')", "calls print()"),
        ("m = __import__('os')", "calls __import__()"),
    ],
)
def test_checker_catches_impure_code(source: str, problem: str) -> None:
    found = impurities(source, f"{DOMAIN}.example")
    assert any(problem in line for line in found), found


@pytest.mark.parametrize(
    "source",
    [
        "from collections.abc import Mapping",
        "from . import money",
        "from .. import domain",
        "from stageline import domain",
        "from .billing import Price",
        "from stageline.domain.money import Money",
        "import hashlib, hmac, json",
        "from datetime import UTC, datetime, timedelta",
    ],
)
def test_checker_allows_pure_code(source: str) -> None:
    assert impurities(source, f"{DOMAIN}.example") == []
