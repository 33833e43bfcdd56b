"""A Stripe account in one mode is one connection: connecting it again updates that
connection (its MRR never counts twice), another account is a new connection, and a
connection can get a new key or be removed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stageline.config import Settings
from stageline.security import SecretBox
from stageline.store.connections import create_connection
from stageline.store.db import Store
from stageline.store.workspaces import find_workspace
from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxAccount,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
    seed,
)
from tests.e2e.conftest import SEED_NOW, Cli, write_seed_csvs

OTHER_KEY = "sk_test_other_account"
NO_ACCOUNT_READ = "rk_test_cannot_read_account"
READS = (
    "rak_customer_read",
    "rak_subscription_read",
    "rak_invoice_read",
    "rak_plan_read",
    "rak_product_read",
    "rak_coupon_read",
    "rak_event_read",
    "rak_webhook_write",
)


@pytest.fixture
def two_accounts() -> Iterator[SandboxHandle]:
    """The default account, seeded, and a second account with its own key and no data."""
    store = SandboxStore()
    seed(store, customers=40, random_seed=7, now=SEED_NOW)
    config = SandboxConfig(
        rate_limit=None,
        accounts=(SandboxAccount(id="acct_other", api_keys=(OTHER_KEY,)),),
        restricted_keys={NO_ACCOUNT_READ: READS},
    )
    handle = run_sandbox_in_thread(config, port=0, store=store)
    yield handle
    handle.stop()


def _connect(cli: Cli, url: str, key: str = SANDBOX_API_KEY) -> dict[str, object]:
    result: dict[str, object] = cli.json("connect", "stripe", "--api-key", key, "--api-base", url)
    return result


def _total_mrr(cli: Cli) -> int:
    return sum(int(a["mrr"]["amount"]) for a in cli.json("accounts", "list"))


def test_connecting_the_same_account_twice_keeps_one_connection_and_one_mrr(
    cli: Cli, two_accounts: SandboxHandle, tmp_path: object
) -> None:
    cli.json("workspace", "create", "Acme")
    accounts_csv, _ = write_seed_csvs(tmp_path)  # type: ignore[arg-type]
    cli.json("accounts", "import", str(accounts_csv))
    first = _connect(cli, two_accounts.url)
    assert first["stripe_account_id"] == "acct_1SandboxDefault0" and first["updated"] is False
    cli.json("sync")
    before = _total_mrr(cli)
    assert before > 0

    again = _connect(cli, two_accounts.url)
    assert again["id"] == first["id"] and again["updated"] is True
    assert [c["id"] for c in cli.json("connections", "show")] == [first["id"]]
    cli.json("sync")
    assert _total_mrr(cli) == before
    endpoints = stripe.StripeClient(
        SANDBOX_API_KEY, base_addresses={"api": two_accounts.url}
    ).v1.webhook_endpoints.list()
    assert len(endpoints.data) == 1  # no second endpoint either

    other = _connect(cli, two_accounts.url, OTHER_KEY)
    assert other["id"] != first["id"] and other["stripe_account_id"] == "acct_other"
    assert len(cli.json("connections", "show")) == 2


def test_a_key_that_cannot_read_its_account_is_told_which_permission_to_add(
    cli: Cli, two_accounts: SandboxHandle
) -> None:
    cli.json("workspace", "create", "Acme")
    refused = cli.run(
        "connect",
        "stripe",
        "--api-key",
        NO_ACCOUNT_READ,
        "--api-base",
        two_accounts.url,
        check=False,
    )
    assert refused.returncode == 1
    assert "rak_accounts_kyc_basic_read" in refused.stderr
    assert cli.json("connections", "show") == []


def test_two_workspaces_may_each_connect_the_same_account(
    cli: Cli, two_accounts: SandboxHandle
) -> None:
    cli.json("workspace", "create", "Acme")
    cli.json("workspace", "create", "Staging")
    ids = [
        cli.json(
            "connect", "stripe", "--workspace", name, "--api-key", SANDBOX_API_KEY,
            "--api-base", two_accounts.url,
        )["id"]
        for name in ("Acme", "Staging")
    ]  # fmt: skip
    assert ids[0] != ids[1]
    for name, connection in zip(("Acme", "Staging"), ids, strict=True):
        shown = cli.json("connections", "show", "--workspace", name)
        assert [c["id"] for c in shown] == [connection]


def test_set_key_accepts_only_the_same_account_and_remove_drops_its_data(
    cli: Cli, two_accounts: SandboxHandle, tmp_path: object
) -> None:
    cli.json("workspace", "create", "Acme")
    accounts_csv, _ = write_seed_csvs(tmp_path)  # type: ignore[arg-type]
    cli.json("accounts", "import", str(accounts_csv))
    connection = str(_connect(cli, two_accounts.url)["id"])
    cli.json("sync")
    assert _total_mrr(cli) > 0

    wrong = cli.run(
        "connections",
        "set-key",
        connection,
        "--api-key",
        OTHER_KEY,
        "--api-base",
        two_accounts.url,
        check=False,
    )
    assert wrong.returncode == 1 and "acct_other" in wrong.stderr
    rotated = cli.json("connections", "set-key", connection, "--api-key", "sk_test_rotated")
    assert rotated["id"] == connection and rotated["updated"] is True
    assert rotated["api_base"] == two_accounts.url  # the connection's own Stripe, kept
    shown = cli.json("connections", "show")[0]
    assert shown["api_key"].endswith("ated")

    removed = cli.json("connections", "remove", connection, "--yes")
    assert removed["removed"] is True and removed["warning"] is None
    assert cli.json("connections", "show") == []
    assert _total_mrr(cli) == 0
    assert cli.json("customers", "unmatched") == []
    endpoints = stripe.StripeClient(
        SANDBOX_API_KEY, base_addresses={"api": two_accounts.url}
    ).v1.webhook_endpoints.list()
    assert endpoints.data == []


def test_a_connection_made_before_accounts_were_identified_is_not_made_twice(
    cli: Cli, two_accounts: SandboxHandle, store: Store, settings: Settings
) -> None:
    cli.json("workspace", "create", "Acme")
    with store.session() as session:  # as stored before connections knew their account
        legacy = create_connection(
            session,
            workspace=find_workspace(session, ref="Acme"),
            box=SecretBox(settings.secret_key.get_secret_value()),
            api_key=SANDBOX_API_KEY,
            api_base=two_accounts.url,
        ).id
    again = _connect(cli, two_accounts.url)
    assert (again["id"], again["updated"]) == (legacy, True)
    shown = cli.json("connections", "show")
    assert [(c["id"], c["stripe_account_id"]) for c in shown] == [(legacy, "acct_1SandboxDefault0")]
