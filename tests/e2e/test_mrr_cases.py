"""Each MRR rule of docs/mrr.md, built in the sandbox through the Stripe SDK (products, prices,
coupons, customers, subscriptions, test clocks for dunning), synced by ``stageline sync`` and
read back from ``stageline accounts show --json``.

The expected amounts are the worked examples of the issue, restated here in cents.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
)
from tests.e2e.conftest import Cli, InProcessCli

DAY = 86_400
CARD = "pm_card_visa"

# account → (MRR in cents, stage) under the default definition
EXPECTED: dict[str, tuple[int, str]] = {
    "yearly": (10000, "Customer"),  # $1,200/yr
    "quarterly": (10000, "Customer"),  # $300 every 3 months
    "weekly": (4333, "Customer"),  # $10/week × 52/12
    "forever20": (8000, "Customer"),  # $100/mo, 20% off forever
    "repeating50": (10000, "Customer"),  # $100/mo, 50% off for 3 months: not MRR
    "volume": (12000, "Customer"),  # 15 units, ≤10 @ $10 else @ $8, volume
    "graduated": (14000, "Customer"),  # the same tiers, graduated
    "trialing": (0, "Trial"),
    "past_due": (10000, "Customer"),  # Stripe keeps counting while it retries
    "unpaid": (0, "Customer"),  # Stripe's MRR drops it; the default stage keeps Customer
    "canceling": (0, "Customer"),  # cancel_at_period_end: stops counting when scheduled
}


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    config = SandboxConfig(rate_limit=None, dunning_final_action="unpaid")
    handle = run_sandbox_in_thread(config, port=0, store=SandboxStore())
    yield handle
    handle.stop()


def _customer(client: stripe.StripeClient, account: str, **extra: Any) -> Any:
    return client.v1.customers.create(
        {
            "email": f"billing@{account}.test",
            "metadata": {"account_id": account},
            "payment_method": CARD,
            "invoice_settings": {"default_payment_method": CARD},
            **extra,
        }
    )


def _subscribe(
    client: stripe.StripeClient, account: str, price: Any, quantity: int = 1, **extra: Any
) -> Any:
    customer = _customer(client, account)
    return client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id, "quantity": quantity}], **extra}
    )


def _dunning(client: stripe.StripeClient, account: str, price: Any, days_late: int) -> Any:
    """A subscription on a test clock whose renewal fails, ``days_late`` days after it."""
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": int(time.time())})
    customer = _customer(client, account, test_clock=clock.id)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": "pm_card_chargeDeclined"}}
    )
    period_end = sub["items"].data[0].current_period_end
    client.v1.test_helpers.test_clocks.advance(
        clock.id, {"frozen_time": period_end + days_late * DAY}
    )
    return client.v1.subscriptions.retrieve(sub.id)


def build_cases(client: stripe.StripeClient) -> dict[str, Any]:
    """Every case of ``EXPECTED`` as real sandbox objects; returns the subscriptions."""
    product = client.v1.products.create({"name": "Plan"})

    def price(amount: int | None = None, interval: str = "month", **extra: Any) -> Any:
        params: dict[str, Any] = {
            "product": product.id,
            "currency": "usd",
            "recurring": {"interval": interval, **extra.pop("recurring", {})},
            **extra,
        }
        if amount is not None:
            params["unit_amount"] = amount
        return client.v1.prices.create(params)

    monthly = price(10000)
    tiers = [{"up_to": 10, "unit_amount": 1000}, {"up_to": "inf", "unit_amount": 800}]
    forever = client.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    repeating = client.v1.coupons.create(
        {"percent_off": 50, "duration": "repeating", "duration_in_months": 3}
    )
    subs = {
        "yearly": _subscribe(client, "yearly", price(120000, "year")),
        "quarterly": _subscribe(client, "quarterly", price(30000, recurring={"interval_count": 3})),
        "weekly": _subscribe(client, "weekly", price(1000, "week")),
        "forever20": _subscribe(client, "forever20", monthly, discounts=[{"coupon": forever.id}]),
        "repeating50": _subscribe(
            client, "repeating50", monthly, discounts=[{"coupon": repeating.id}]
        ),
        "volume": _subscribe(
            client, "volume", price(billing_scheme="tiered", tiers_mode="volume", tiers=tiers), 15
        ),
        "graduated": _subscribe(
            client,
            "graduated",
            price(billing_scheme="tiered", tiers_mode="graduated", tiers=tiers),
            15,
        ),
        "trialing": _subscribe(client, "trialing", monthly, trial_period_days=14),
        "past_due": _dunning(client, "past_due", monthly, days_late=1),
        "unpaid": _dunning(client, "unpaid", monthly, days_late=20),
        "canceling": _subscribe(client, "canceling", monthly),
    }
    client.v1.subscriptions.update(subs["canceling"].id, {"cancel_at_period_end": True})
    return subs


def test_every_mrr_case_built_through_the_sdk_reads_back_from_the_cli(
    cli: Cli, cli_in_process: InProcessCli, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": sandbox.url})
    subs = build_cases(client)
    statuses = {case: client.v1.subscriptions.retrieve(s.id).status for case, s in subs.items()}
    assert statuses["past_due"] == "past_due" and statuses["unpaid"] == "unpaid"
    assert statuses["trialing"] == "trialing" and statuses["volume"] == "active"

    accounts_csv = tmp_path / "accounts.csv"
    accounts_csv.write_text("external_id,name\n" + "".join(f"{c},{c}\n" for c in EXPECTED))
    cli_in_process.json("workspace", "create", "Cases")
    cli_in_process.json("accounts", "import", str(accounts_csv))
    cli.json("connect", "stripe", "--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url,
             "--no-webhook")  # fmt: skip
    synced = cli.json("sync")
    assert synced["customers"]["matched"] == len(EXPECTED)

    listed = {a["external_id"]: a for a in cli.json("accounts", "list")}
    graduated = cli.json("accounts", "show", "graduated")
    assert graduated["mrr_lines"][0]["price"].startswith("graduated tiers: up to 10 @ $10.00")
    assert graduated["movements"][0]["kind"] == "new"
    found = {}
    for case in EXPECTED:
        shown = cli_in_process.json("accounts", "show", case)
        assert shown["mrr"] == listed[case]["mrr"], case
        found[case] = (shown["mrr"]["amount"], shown["stage"])
        assert shown["mrr"]["currency"] == "usd"
        assert shown["mrr_by_currency"] == {"usd": shown["mrr"]["amount"]}
    assert found == EXPECTED

    repeating = cli_in_process.json("accounts", "show", "repeating50")
    assert "not applied" in repeating["mrr_lines"][0]["discount"]
    canceling = cli_in_process.json("accounts", "show", "canceling")
    assert canceling["renewal_date"] is None and canceling["ends_at"] is not None
    assert canceling["mrr_lines"][0]["reason"] == "scheduled to cancel"
    trial = cli_in_process.json("accounts", "show", "trialing")
    assert trial["renewal_date"] is not None and 13 <= trial["renews_in_days"] <= 14


def test_switches_and_a_later_change_show_in_the_ledger(
    cli: Cli, cli_in_process: InProcessCli, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": sandbox.url})
    product = client.v1.products.create({"name": "Seats"})
    monthly = client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 10000,
         "recurring": {"interval": "month"}}
    )  # fmt: skip
    euro = client.v1.prices.create(
        {"product": product.id, "currency": "eur", "unit_amount": 5000,
         "recurring": {"interval": "month"}}
    )  # fmt: skip
    half = client.v1.coupons.create(
        {"percent_off": 50, "duration": "repeating", "duration_in_months": 3}
    )
    _subscribe(client, "sw-trial", monthly, trial_period_days=7)
    promo = _subscribe(client, "sw-promo", monthly, discounts=[{"coupon": half.id}])
    _subscribe(client, "sw-promo", euro)  # a second customer, in euros, on the same account
    (tmp_path / "a.csv").write_text("external_id,name\nsw-trial,Trial\nsw-promo,Promo\n")
    run = cli_in_process  # the set-up is the first test's; only the settings change is a subprocess
    run.json("workspace", "create", "Switches")
    run.json("accounts", "import", str(tmp_path / "a.csv"))
    run.json("connect", "stripe", "--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url,
             "--no-webhook")  # fmt: skip
    run.json("sync")
    before = cli_in_process.json("accounts", "show", "sw-promo")
    assert before["mrr_by_currency"] == {"eur": 5000, "usd": 10000}
    assert before["mrr"] == {"amount": 10000, "currency": "usd"}
    assert before["mrr_basis"] == "primary_currency"

    changed = cli.json(
        "settings", "mrr", "set", "--count-trials", "--apply-all-active-discounts",
        "--fx-rate", "eur=1.20", "--fx-rates-date", "2026-01-31",
    )  # fmt: skip
    assert changed["mrr"]["fx_rates"] == {"eur": "1.20"}
    trial = cli_in_process.json("accounts", "show", "sw-trial")
    promo_shown = cli_in_process.json("accounts", "show", "sw-promo")
    assert trial["mrr"]["amount"] == 10000
    assert promo_shown["mrr"] == {"amount": 5000 + 6000, "currency": "usd"}
    assert promo_shown["mrr_basis"] == "converted" and promo_shown["fx_rates_date"] == "2026-01-31"

    client.v1.subscriptions.update(
        promo.id, {"items": [{"id": promo["items"].data[0].id, "quantity": 3}]}
    )
    run.json("sync")
    after = cli_in_process.json("accounts", "show", "sw-promo")
    assert after["mrr_by_currency"]["usd"] == 15000
    kinds = [(m["kind"], m["currency"], m["amount"]) for m in after["movements"]]
    assert kinds[0] == ("expansion", "usd", 10000)
    assert kinds[-1][0] == "new"
