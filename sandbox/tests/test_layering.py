"""The sandbox stands alone: it imports nothing of Stageline, and only the app wiring (and
the CLI through it) builds the engine, so the parts it composes never import it back."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import stageline_sandbox

PACKAGE = "stageline_sandbox"
ENGINE = f"{PACKAGE}.engine"
WIRING = {f"{PACKAGE}.app", f"{PACKAGE}.cli", ENGINE}


def _modules() -> dict[str, Path]:
    root = Path(next(iter(stageline_sandbox.__path__)))
    found = {PACKAGE: root / "__init__.py"}
    for info in pkgutil.walk_packages([str(root)], prefix=f"{PACKAGE}."):
        relative = Path(*info.name.split(".")[1:])
        found[info.name] = (
            root / relative / "__init__.py" if info.ispkg else root / (f"{relative}.py")
        )
    return found


def imported_modules(source: str, module: str) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, as absolute names."""
    package = module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
            else:
                names.add(node.module or "")
    return names


MODULES = _modules()


def test_every_module_is_found() -> None:
    assert {ENGINE, f"{PACKAGE}.invoicing", f"{PACKAGE}.lifecycle", f"{PACKAGE}.context"} <= set(
        MODULES
    )


def test_nothing_of_stageline_is_imported() -> None:
    offenders = {
        name: sorted(
            n for n in imported_modules(path.read_text(), name) if n.split(".")[0] == "stageline"
        )
        for name, path in MODULES.items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_only_the_wiring_imports_the_engine() -> None:
    importers = {
        name
        for name, path in MODULES.items()
        if any(
            n == ENGINE or n.startswith(f"{ENGINE}.")
            for n in imported_modules(path.read_text(), name)
        )
    }
    assert importers <= WIRING
    assert f"{PACKAGE}.app" in importers


def test_the_checker_sees_relative_and_absolute_imports() -> None:
    source = "from ..engine import Engine\nfrom stageline.store import db\nimport stageline"
    found = imported_modules(source, f"{PACKAGE}.resources.test_clocks")
    assert found == {ENGINE, "stageline.store", "stageline"}
