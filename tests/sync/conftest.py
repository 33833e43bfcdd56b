"""Sync fixtures: a seeded sandbox (the Stripe we test against), a connected workspace,
Stripe events built the way Stripe renders them, and SDK-signed webhook headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from stageline.config import Settings
from stageline.operations import import_accounts
from stageline.sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
    seed,
)
from stageline.security import SecretBox
from stageline.store.connections import create_connection
from stageline.store.db import Store
from stageline.store.workspaces import create_workspace
from stageline.stripe_api.client import API_VERSION, StripeGateway

SEED_NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
NOW = datetime.fromtimestamp(SEED_NOW, tz=UTC)
WEBHOOK_SECRET = "whsec_test_sync_secret"


@pytest.fixture(scope="session")
def seeded_sandbox() -> Iterator[SandboxHandle]:
    """A read-only seeded sandbox shared by the tests that only read from it."""
    store = SandboxStore()
    seed(store, customers=30, random_seed=3, now=SEED_NOW)
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=store)
    yield handle
    handle.stop()


def sandbox_gateway(url: str) -> StripeGateway:
    return StripeGateway(
        api_key=SANDBOX_API_KEY, api_base=url, max_network_retries=0, requests_per_second=1000
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
) -> Linked:
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
    csv = "external_id,name\n" + "".join(f"acct-{i},Account {i}\n" for i in range(1, accounts + 1))
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
