"""Imports as a user runs them, against a workspace synced from the sandbox: a file with
fewer columns changes only those columns, and a malformed file is refused with its line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from stageline.cli import app
from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
)
from tests.e2e.conftest import Cli, InProcessCli

CARD = "pm_card_visa"


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=SandboxStore())
    yield handle
    handle.stop()


def _paying_customer(url: str) -> str:
    """A Stripe customer paying $50 a month, who says nothing of its account in Stripe."""
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": url})
    product = client.v1.products.create({"name": "Plan"})
    price = client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 5000,
         "recurring": {"interval": "month"}}
    )  # fmt: skip
    customer = client.v1.customers.create(
        {"email": "billing@acme.test", "payment_method": CARD,
         "invoice_settings": {"default_payment_method": CARD}}
    )  # fmt: skip
    client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    return str(customer.id)


def _ledger(reads: InProcessCli) -> list[tuple[str, int, str]]:
    movements = reads.json("accounts", "show", "acme")["movements"]
    return [(m["kind"], m["amount"], m["cause"].split(":")[0]) for m in reversed(movements)]


def test_an_import_without_the_customer_column_keeps_the_match_and_the_ledger(
    cli: Cli, cli_in_process: InProcessCli, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """The set-up and the reads run in process; the imports that matter run as a user runs
    them."""
    run = cli_in_process.json
    customer_id = _paying_customer(sandbox.url)
    full = tmp_path / "accounts.csv"
    full.write_text(f"external_id,name,plan,stripe_customer_id\nacme,Acme,pro,{customer_id}\n")
    fewer = tmp_path / "plans.csv"
    fewer.write_text("external_id,name,plan\nacme,Acme Inc,enterprise\n")
    users = tmp_path / "users.csv"
    users.write_text("external_id,name,email,account_external_ids\nu1,Ann,ann@acme.test,acme\n")
    roles = tmp_path / "roles.csv"
    roles.write_text("external_id,role\nu1,admin\n")

    run("workspace", "create", "Acme")
    run("accounts", "import", str(full))
    run("users", "import", str(users))
    run("connect", "stripe", "--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url)
    run("settings", "matching", "set", "--step", "property:stripe_customer_id:account")
    run("sync")
    assert _ledger(cli_in_process) == [("new", 5000, "backfill")]

    changed = cli.run("accounts", "import", str(fewer)).stdout
    acme = run("accounts", "show", "acme")
    assert acme["properties"] == {"plan": "enterprise", "stripe_customer_id": customer_id}
    assert (acme["name"], acme["stripe_customer_ids"]) == ("Acme Inc", [customer_id])
    assert (acme["mrr"]["amount"], acme["stage"]) == (5000, "Customer")
    assert _ledger(cli_in_process) == [("new", 5000, "backfill")]
    assert changed.strip() == "Accounts: 0 created, 1 updated, 0 unchanged."
    assert run("accounts", "import", str(fewer)) == {"created": 0, "updated": 0, "unchanged": 1}
    run("sync")
    assert _ledger(cli_in_process) == [("new", 5000, "backfill")]

    run("users", "import", str(roles))
    ann = run("users", "show", "u1")
    assert (ann["email"], [a["external_id"] for a in ann["accounts"]]) == (
        "ann@acme.test",
        ["acme"],
    )

    cleared = tmp_path / "cleared.csv"
    cleared.write_text("external_id,stripe_customer_id\nacme,\n")
    assert run("accounts", "import", str(cleared))["unchanged"] == 1
    assert cli.json("accounts", "import", str(cleared), "--clear-empty")["updated"] == 1
    assert _ledger(cli_in_process) == [("new", 5000, "backfill"), ("churn", -5000, "import")]


MALFORMED = [
    (b'external_id,name\nacme,"Acme\nglobex,Globex\n', "line 2: a quoted value never closes"),
    (b"external_id,name\nacme,Acme\nglobex,Glob\xe9x\n", "line 3: the accounts CSV is not UTF-8"),
    (b"external_id,name\nacme,Ac\x00me\n", "line 2: the accounts CSV contains a NUL byte"),
    (b"external_id,name\nacme,Acme,Inc\n", "line 2: expected 2 fields, found 3"),
    (b"external_id,name,name\nacme,Acme,A\n", "line 1: the accounts CSV header repeats name"),
    (b"id,name\nacme,Acme\n", "line 1: the accounts CSV has no external_id column"),
    (b"external_id,name\nacme,Acme\nacme,Acme\n", "line 3: external_id 'acme' repeats line 2"),
    (b"", "the accounts CSV is empty"),
]


def test_a_malformed_file_is_one_line_naming_its_line_and_writes_nothing(
    cli: Cli, cli_in_process: InProcessCli, tmp_path: Path
) -> None:
    """The first file runs as a user runs it; the others in process, where an uncaught
    exception would show as the result's exception instead of an exit."""
    cli_in_process.json("workspace", "create", "Acme")
    files = []
    for number, (content, _error) in enumerate(MALFORMED):
        files.append(tmp_path / f"bad{number}.csv")
        files[-1].write_bytes(content)
    result = cli.run("accounts", "import", str(files[0]), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert MALFORMED[0][1] in result.stderr and len(result.stderr.strip().splitlines()) == 1
    for path, (_content, error) in zip(files, MALFORMED, strict=True):
        for command in ("accounts", "users"):
            outcome = cli_in_process.runner.invoke(app, [command, "import", str(path)])
            assert (outcome.exit_code, type(outcome.exception)) == (1, SystemExit), path
            assert error.replace("accounts", command) in outcome.output, outcome.output
    assert cli_in_process.json("accounts", "list") == []
