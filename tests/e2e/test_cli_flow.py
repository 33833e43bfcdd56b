"""The whole flow through the ``stageline`` command, against the sandbox via the Stripe SDK."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import stripe

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.web_sessions import redeem_sign_in_link
from stageline.store.workspaces import workspace_for_connection_secret
from stageline_sandbox import SANDBOX_API_KEY, SandboxHandle
from tests.e2e.conftest import Cli, write_seed_csvs

CUSTOMER_STATUSES = {"active", "incomplete", "incomplete_expired", "past_due", "unpaid"}


def _stage_oracle(statuses: set[str]) -> str | None:
    """The default stage rules, restated independently of the domain code."""
    if statuses & CUSTOMER_STATUSES:
        return "Customer"
    if "trialing" in statuses:
        return "Trial"
    if "canceled" in statuses:
        return "Churn"
    return None


def test_workspace_connect_sync_and_read_accounts(
    cli: Cli, seeded_sandbox: SandboxHandle, tmp_path: Path
) -> None:
    created = cli.json("workspace", "create", "Acme")
    assert set(created) == {"id", "name", "api_key", "connection_secret"}
    accounts_csv, users_csv = write_seed_csvs(tmp_path)
    assert cli.json("accounts", "import", str(accounts_csv))["created"] > 0
    assert cli.json("users", "import", str(users_csv))["created"] > 0
    connection = cli.json(
        "connect", "stripe", "--api-key", SANDBOX_API_KEY, "--api-base", seeded_sandbox.url
    )
    assert connection["mode"] == "test"

    synced = cli.json("sync")
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": seeded_sandbox.url})
    subscriptions = list(
        client.v1.subscriptions.list({"status": "all", "limit": 100}).auto_paging_iter()
    )
    assert synced["objects"]["subscription"] == len(subscriptions)

    accounts = cli.json("accounts", "list")
    by_id = {a["external_id"]: a for a in accounts}
    customers = {c.id: c for c in client.v1.customers.list({"limit": 100}).auto_paging_iter()}
    statuses: dict[str, set[str]] = {}
    for sub in subscriptions:
        customer = customers.get(sub.customer)
        account_id = customer.metadata.to_dict().get("account_id") if customer else None
        if account_id in by_id:
            statuses.setdefault(account_id, set()).add(sub.status)
    assert statuses, "the seed should give matched subscriptions"
    for account_id, seen in statuses.items():
        assert by_id[account_id]["stage"] == _stage_oracle(seen), account_id
    paying = [a for a in accounts if a["mrr"]["amount"] > 0]
    assert paying and all(a["stage"] == "Customer" for a in paying)

    detail = cli.json("accounts", "show", paying[0]["external_id"])
    assert detail["mrr"] == paying[0]["mrr"]
    assert detail["subscriptions"] and detail["mrr_lines"]
    counted = sum(
        float(line["monthly_amount"])
        for line in detail["mrr_lines"]
        if line["counted"] and line["currency"] == detail["mrr"]["currency"]
    )
    assert round(counted) == detail["mrr"]["amount"]

    unmatched = cli.json("customers", "unmatched")
    assert len(unmatched) == synced["customers"]["unmatched"] + synced["customers"]["ambiguous"]
    assert all(row["reason"] for row in unmatched)
    shown = cli.json("connections", "show")
    assert shown[0]["status"] == "connected" and shown[0]["last_backfill_at"]
    assert shown[0]["api_key"].endswith(SANDBOX_API_KEY[-4:])


def test_a_wrong_key_is_a_one_line_error_and_nothing_is_stored(
    cli: Cli, seeded_sandbox: SandboxHandle
) -> None:
    cli.json("workspace", "create", "Acme")
    result = cli.run(
        "connect",
        "stripe",
        "--api-key",
        "rk_test_wrong",
        "--api-base",
        seeded_sandbox.url,
        check=False,
    )
    assert result.returncode == 1
    assert "Stripe rejected the API key" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli.json("connections", "show") == []


def test_an_unreachable_api_base_is_named(cli: Cli) -> None:
    cli.json("workspace", "create", "Acme")
    result = cli.run(
        "connect",
        "stripe",
        "--api-key",
        SANDBOX_API_KEY,
        "--api-base",
        "http://127.0.0.1:9",
        check=False,
    )
    assert result.returncode == 1
    assert "cannot reach Stripe at http://127.0.0.1:9" in result.stderr


def test_unknown_workspace_and_malformed_csv_change_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.json("workspace", "create", "Acme")
    unknown = cli.run("accounts", "list", "--workspace", "Nope", check=False)
    assert unknown.returncode == 1 and "unknown workspace 'Nope'" in unknown.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,name\ngood,Good Co\nbroken,Too,Many\n")
    result = cli.run("accounts", "import", str(bad), check=False)
    assert result.returncode == 1 and "line 3" in result.stderr
    assert cli.json("accounts", "list") == []


def test_rotating_the_connection_secret_retires_the_old_one(cli: Cli, settings: Settings) -> None:
    created = cli.json("workspace", "create", "Acme")
    rotated = cli.json("workspace", "rotate-secret")
    assert rotated["id"] == created["id"]
    assert rotated["connection_secret"] != created["connection_secret"]
    store = Store.connect(settings.database_url)
    try:
        with store.session() as session:
            assert (
                workspace_for_connection_secret(session, secret=created["connection_secret"])
                is None
            )
            found = workspace_for_connection_secret(session, secret=rotated["connection_secret"])
            assert found is not None and found.id == created["id"]
    finally:
        store.dispose()


def test_a_printed_sign_in_link_opens_one_session(cli: Cli, settings: Settings) -> None:
    created = cli.json("workspace", "create", "Acme")
    printed = cli.json("workspace", "sign-in-link")
    assert printed["id"] == created["id"]
    token = printed["url"].split("/login?token=", 1)[1]
    store = Store.connect(settings.database_url)
    try:
        with store.session() as session:
            now = datetime.now(UTC)
            assert redeem_sign_in_link(session, token=token, now=now) == created["id"]
            assert redeem_sign_in_link(session, token=token, now=now) is None
    finally:
        store.dispose()
