"""``stageline sandbox seed`` through the Typer app the main CLI mounts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stageline.sandbox import SandboxStore
from stageline.sandbox.cli import sandbox_app


def test_seed_writes_a_database_and_refuses_to_seed_twice(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    runner = CliRunner()
    result = runner.invoke(
        sandbox_app, ["seed", "--customers", "40", "--random-seed", "2", "--db", str(db), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["customers"] == 40 and summary["subscriptions"] >= 30
    store = SandboxStore(str(db))
    assert store.count("customer") == 40
    store.close()
    again = runner.invoke(sandbox_app, ["seed", "--customers", "5", "--db", str(db)])
    assert again.exit_code == 1
    assert "already holds 40 customers" in again.output


def test_commands_have_help() -> None:
    for command in ("serve", "seed"):
        result = CliRunner().invoke(sandbox_app, [command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output
