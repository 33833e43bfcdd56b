"""Sync fixtures: a seeded sandbox (the Stripe we test against), a connected workspace,
Stripe events built the way Stripe renders them, and SDK-signed webhook headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stripe
from sqlalchemy import text

from stageline.config import Settings
from stageline.operations import import_accounts
from stageline.security import SecretBox
from stageline.store.connections import create_connection
from stageline.store.db import Store
from stageline.store.models import Base
from stageline.store.workspaces import create_workspace
from stageline.stripe_api.client import API_VERSION, StripeGateway
from stageline.sync.gateway import retry_budget
from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    demo_accounts,
    run_sandbox_in_thread,
    seed,
)
from tests.conftest import POSTGRES_URL

SEED_NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
NOW = datetime.fromtimestamp(SEED_NOW, tz=UTC)
WEBHOOK_SECRET = "whsec_test_sync_secret"
SMALL = (30, 3)  # (customers, random seed) of the shared small sandbox
BIG = (250, 5)  # of the shared sandbox with lists long enough to slice


@pytest.fixture(scope="session")
def seeded_sandbox() -> Iterator[SandboxHandle]:
    """A read-only seeded sandbox shared by the tests that only read from it."""
    store = SandboxStore()
    seed(store, customers=SMALL[0], random_seed=SMALL[1], now=SEED_NOW)
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=store)
    yield handle
    handle.stop()


TEST_RETRY = {"stripe_retry_first_delay_seconds": 0.01}
"""Tests retry as production does (same settings, attempts and time budget); only the first
wait is shorter, so that a storm of 429s and 500s does not slow the suite down."""


def sandbox_gateway(url: str) -> StripeGateway:
    """A gateway to the sandbox with the production retry budget, not pacing itself."""
    return StripeGateway(
        api_key=SANDBOX_API_KEY,
        api_base=url,
        retry=retry_budget(Settings(**TEST_RETRY)),
        requests_per_second=100_000,
    )


@dataclass
class Linked:
    """A workspace with accounts ``acct-1`` … ``acct-n`` and one Stripe connection."""

    store: Store
    workspace_id: str
    connection_id: str
    connection_secret: str
    api_key: str


def link_workspace(
    store: Store,
    settings: Settings,
    *,
    api_base: str = "http://127.0.0.1:9",
    accounts: int = 3,
    name: str = "Acme",
    seeded: tuple[int, int] | None = None,
) -> Linked:
    """A workspace linked to ``api_base``; ``seeded=(customers, random_seed)`` imports the
    accounts a sandbox seeded that way points at, instead of ``acct-1`` … ``acct-n``."""
    with store.session() as session:
        created = create_workspace(session, name=name)
        connection = create_connection(
            session,
            workspace=created.workspace,
            box=SecretBox(settings.secret_key.get_secret_value()),
            api_key=SANDBOX_API_KEY,
            api_base=api_base,
            webhook_secret=WEBHOOK_SECRET,
        )
        linked = Linked(
            store, created.workspace.id, connection.id, created.connection_secret, created.api_key
        )
    if seeded is not None:
        pairs = [(a.external_id, a.name) for a in demo_accounts(*seeded)]
    else:
        pairs = [(f"acct-{i}", f"Account {i}") for i in range(1, accounts + 1)]
    csv = "external_id,name\n" + "".join(f'{ext},"{label}"\n' for ext, label in pairs)
    import_accounts(store, workspace_ref=name, csv_text=csv, now=NOW)
    return linked


@pytest.fixture
def linked(store: Store, settings: Settings) -> Linked:
    return link_workspace(store, settings)


PRICE: dict[str, Any] = {
    "id": "price_month",
    "object": "price",
    "currency": "usd",
    "unit_amount": 1000,
    "billing_scheme": "per_unit",
    "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
    "product": "prod_1",
}


def customer(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"cus_{number}",
        "object": "customer",
        "email": f"c{number}@example.com",
        "metadata": {"account_id": f"acct-{number}"},
        **extra,
    }


def subscription(
    number: int,
    status: str = "active",
    quantity: int = 1,
    period_end: int = SEED_NOW + 86_400 * 10,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": f"sub_{number}",
        "object": "subscription",
        "customer": f"cus_{number}",
        "status": status,
        "currency": "usd",
        "created": SEED_NOW - 86_400 * 30,
        "cancel_at_period_end": False,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{number}",
                    "object": "subscription_item",
                    "price": PRICE,
                    "quantity": quantity,
                    "current_period_start": period_end - 86_400 * 30,
                    "current_period_end": period_end,
                }
            ],
        },
        **extra,
    }


def event(
    event_id: str,
    event_type: str,
    created: int,
    obj: dict[str, Any],
    api_version: str = API_VERSION,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": created,
        "api_version": api_version,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }


def body_of(evt: dict[str, Any]) -> str:
    return json.dumps(evt, separators=(",", ":"))


def signed_headers(
    body: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


@pytest.fixture
def every_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Store]]:
    """Every configured backend at once (SQLite, and PostgreSQL when configured), empty: for
    a test that drives one expensive scenario into all of them side by side."""
    sqlite_store = Store.connect(f"sqlite:///{tmp_path / 'every.db'}")
    sqlite_store.migrate()
    stores = [sqlite_store]
    if POSTGRES_URL:
        postgres: Store = request.getfixturevalue("postgres_store")
        _empty(postgres)
        stores.append(postgres)
    yield stores
    sqlite_store.dispose()
    if POSTGRES_URL:
        _empty(stores[1])


def _empty(store: Store) -> None:
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with store.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def big_sandbox() -> Iterator[SandboxHandle]:
    """A read-only sandbox whose lists are long enough to be cut into slices."""
    store = SandboxStore()
    seed(store, customers=BIG[0], random_seed=BIG[1], now=SEED_NOW)
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=store)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def big_expected(big_sandbox: SandboxHandle) -> dict[str, dict[str, Any]]:
    """What a complete mirror of ``big_sandbox`` holds, read with the gateway alone."""
    return expected_mirror(big_sandbox.url)


def expected_mirror(url: str) -> dict[str, dict[str, Any]]:
    """``"type:id" -> data`` of every object, listed as the backfill lists them, plus the
    deleted customers that subscriptions and invoices point at."""
    gateway = sandbox_gateway(url)
    expected: dict[str, dict[str, Any]] = {}
    for object_type, endpoint, params in (
        ("product", "products", {}),
        ("price", "prices", {"expand": ["data.tiers"]}),
        ("coupon", "coupons", {}),
        ("customer", "customers", {}),
        ("subscription", "subscriptions", {"status": "all", "expand": ["data.discounts"]}),
        ("invoice", "invoices", {}),
    ):
        for page in gateway.iter_pages(endpoint, params):
            for obj in page.objects:
                expected[f"{object_type}:{obj['id']}"] = {**obj, "_deleted": False}
    referenced = {
        str(data["customer"])
        for key, data in expected.items()
        if key.startswith(("subscription:", "invoice:")) and data.get("customer")
    }
    for customer_id in sorted(referenced):
        if f"customer:{customer_id}" not in expected:
            stub = gateway.retrieve("customers", customer_id)
            expected[f"customer:{customer_id}"] = {**stub, "_deleted": True}
    return expected
