"""Stageline installs and runs without the sandbox distribution: only the demo and the
``stageline sandbox`` mount know it, and without it they say in one line what to install."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import stageline
from tests.conftest import HANG_LIMIT

SANDBOX_USERS = {"demo.py", "cli/sandbox.py"}

# Run the CLI in a fresh interpreter where ``stageline_sandbox`` cannot be imported, as if the
# extra were not installed.
WITHOUT_SANDBOX = """
import sys
from importlib.abc import MetaPathFinder

class NoSandbox(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "stageline_sandbox" or name.startswith("stageline_sandbox."):
            raise ModuleNotFoundError(name)
        return None

sys.meta_path.insert(0, NoSandbox())
import importlib.util
importlib.util.find_spec = (lambda find: lambda name, *a: None if name.startswith(
    "stageline_sandbox") else find(name, *a))(importlib.util.find_spec)
sys.argv = ["stageline", *sys.argv[1:]]
from stageline.cli import main
main()
"""


def _run_without_sandbox(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_SANDBOX, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"STAGELINE_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
        timeout=HANG_LIMIT,
        check=False,
    )


def test_only_the_demo_and_the_mount_import_the_sandbox() -> None:
    root = Path(next(iter(stageline.__path__)))
    importers = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name.split(".")[0] == "stageline_sandbox" for name in names):
                importers.add(path.relative_to(root).as_posix())
    assert importers == SANDBOX_USERS


@pytest.mark.parametrize("command", [["sandbox", "serve", "--port", "0"], ["demo"]])
def test_without_the_extra_the_command_says_what_to_install(
    tmp_path: Path, command: list[str]
) -> None:
    result = _run_without_sandbox(tmp_path, *command)
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "pip install 'stageline[sandbox]'" in lines[0]


def test_without_the_extra_the_rest_of_the_cli_works(tmp_path: Path) -> None:
    result = _run_without_sandbox(tmp_path, "workspace", "create", "Acme", "--json")
    assert result.returncode == 0, result.stderr
    assert '"name": "Acme"' in result.stdout
