"""End-to-end fixtures: the real ``stageline`` command in a subprocess, a seeded sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stageline.config import Settings
from stageline_sandbox import (
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    demo_accounts,
    run_sandbox_in_thread,
    seed,
)
from tests.conftest import HANG_LIMIT

SEED_NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
SEED_CUSTOMERS = 40
SEED_RANDOM = 7


@dataclass
class Cli:
    """Runs ``stageline`` as a user would, against the test's data dir and database."""

    env: dict[str, str]
    cwd: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "stageline", *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=HANG_LIMIT,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"stageline {' '.join(args)} failed:\n{result.stderr}")
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


@dataclass
class InProcessCli:
    """Runs ``stageline`` commands in this process (same data dir and database as ``cli``):
    for the many reads of a test, where a subprocess would only add start-up time."""

    runner: Any

    def json(self, *args: str) -> Any:
        from stageline.cli import app

        result = self.runner.invoke(app, [*args, "--json"])
        if result.exit_code != 0:
            raise AssertionError(f"stageline {' '.join(args)} failed:\n{result.output}")
        return json.loads(result.output)


@pytest.fixture
def cli_in_process(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessCli]:
    from typer.testing import CliRunner

    from stageline.cli.context import reset_runtime

    for name, value in cli.env.items():
        if name.startswith("STAGELINE_"):
            monkeypatch.setenv(name, value)
    reset_runtime()
    yield InProcessCli(CliRunner())
    reset_runtime()


@pytest.fixture
def cli(settings: Settings, tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGELINE_")}
    env.update(
        STAGELINE_DATA_DIR=str(settings.data_dir),
        STAGELINE_DATABASE_URL=settings.database_url,
        STAGELINE_SECRET_KEY=settings.secret_key.get_secret_value(),
        COLUMNS="200",
    )
    return Cli(env=env, cwd=tmp_path)


@pytest.fixture(scope="session")
def seeded_sandbox() -> Iterator[SandboxHandle]:
    store = SandboxStore()
    seed(store, customers=SEED_CUSTOMERS, random_seed=SEED_RANDOM, now=SEED_NOW)
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=store)
    yield handle
    handle.stop()


def write_seed_csvs(directory: Path) -> tuple[Path, Path]:
    """Our own accounts and users, as the seeded customers' metadata expects them."""
    accounts = demo_accounts(customers=SEED_CUSTOMERS, random_seed=SEED_RANDOM)
    accounts_csv = directory / "accounts.csv"
    users_csv = directory / "users.csv"
    accounts_csv.write_text(
        "external_id,name,plan\n"
        + "".join(f'{a.external_id},"{a.name}",{a.plan_hint}\n' for a in accounts)
    )
    users_csv.write_text(
        "external_id,name,email,account_external_ids\n"
        + "".join(
            f'{u.external_id},"{u.name}",{u.email},{a.external_id}\n'
            for a in accounts
            for u in a.users
        )
    )
    return accounts_csv, users_csv
