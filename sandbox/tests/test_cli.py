"""``stageline sandbox seed`` through the Typer app the main CLI mounts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stageline_sandbox import SandboxStore
from stageline_sandbox.cli import sandbox_app


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


def test_seeding_is_the_same_whatever_the_number_of_workers() -> None:
    from stageline_sandbox import seed
    from stageline_sandbox.store import Filter

    stores = [SandboxStore(), SandboxStore()]
    for store, workers in zip(stores, (1, 2), strict=True):
        seed(store, customers=60, random_seed=4, now=1_767_225_600, workers=workers, chunk_size=25)
    listings = [
        [(s["id"], s["status"]) for s in store.find("subscription", Filter())] for store in stores
    ]
    assert listings[0] == listings[1] and len(listings[0]) >= 55
    coupons = [store.find("coupon", Filter()) for store in stores]
    assert coupons[0] == coupons[1]
