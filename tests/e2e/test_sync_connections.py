"""``stageline sync`` backfills every Stripe connection of a workspace and says which; one
that fails is reported and recorded while the others still sync."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stageline_sandbox import (
    SANDBOX_API_KEY,
    AccountProfile,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
    seed,
)
from tests.e2e.conftest import SEED_NOW, Cli


@pytest.fixture
def second_sandbox() -> Iterator[SandboxHandle]:
    """Another Stripe account, with its own customers."""
    store = SandboxStore()
    seed(store, customers=12, random_seed=99, now=SEED_NOW)
    config = SandboxConfig(rate_limit=None, account=AccountProfile(id="acct_second"))
    handle = run_sandbox_in_thread(config, port=0, store=store)
    yield handle
    handle.stop()


def _connect(cli: Cli, url: str) -> str:
    connected = cli.json("connect", "stripe", "--api-key", SANDBOX_API_KEY, "--api-base", url)
    return str(connected["id"])


def test_every_connection_is_synced_and_named(
    cli: Cli, seeded_sandbox: SandboxHandle, second_sandbox: SandboxHandle
) -> None:
    cli.json("workspace", "create", "Acme")
    first = _connect(cli, seeded_sandbox.url)
    second = _connect(cli, second_sandbox.url)
    synced = cli.json("sync")
    by_id = {c["id"]: c for c in synced["connections"]}
    assert list(by_id) == [first, second]
    assert by_id[first]["objects"]["customer"] == 40 and by_id[first]["error"] is None
    assert by_id[second]["objects"]["customer"] == 12 and by_id[second]["error"] is None
    assert synced["objects"]["customer"] == 52

    text = cli.run("sync").stdout
    assert f"{first} (test mode" in text and f"{second} (test mode" in text

    only = cli.json("sync", "--connection", second)
    assert [c["id"] for c in only["connections"]] == [second]


def test_a_failing_connection_is_reported_and_the_others_sync(
    cli: Cli, seeded_sandbox: SandboxHandle, second_sandbox: SandboxHandle
) -> None:
    cli.json("workspace", "create", "Acme")
    healthy = _connect(cli, seeded_sandbox.url)
    broken = _connect(cli, second_sandbox.url)
    second_sandbox.stop()  # that Stripe is now unreachable
    result = cli.run("sync", check=False)
    assert result.returncode == 1
    assert f"{healthy} (test mode" in result.stdout and "synced" in result.stdout
    assert f"Error: {broken} (test mode" in result.stderr
    shown = {c["id"]: c for c in cli.json("connections", "show")}
    assert shown[broken]["status"] == "failing" and shown[broken]["last_error"]
    assert shown[healthy]["status"] == "connected"
