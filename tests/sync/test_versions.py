"""Deliveries rendered at an API version older than 2025-03-31 (billing periods on the
subscription, a singular discount), from an endpoint the user made: read as they are, or
re-fetched at our pinned version, both end with the right facts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from sqlalchemy import select

from stageline.config import Settings
from stageline.connecting import connect_stripe
from stageline.store.db import Store
from stageline.store.models import AccountFacts, StripeEvent
from stageline.stripe_api.client import StripeGateway
from stageline.sync.process import process_inbox
from stageline.web import create_app
from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
)
from tests.conftest import HANG_LIMIT
from tests.sync.conftest import link_workspace, sandbox_gateway
from tests.sync.servers import serve_in_thread

OLD_VERSION = "2024-06-20"


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    # One delivery at a time, in the order the events happened: read as they are, events of
    # the same second (the subscription created incomplete, then updated to active) apply in
    # the order they arrive, and concurrent deliveries on a busy machine can swap them.
    handle = run_sandbox_in_thread(
        SandboxConfig(
            rate_limit=None,
            webhook_retry_delays=(0.05,),
            webhook_timeout=HANG_LIMIT,
            webhook_concurrency=1,
        ),
        port=0,
        store=SandboxStore(),
    )
    yield handle
    handle.stop()


@pytest.mark.parametrize("refetch", [False, True], ids=["read-as-is", "refetched"])
def test_old_version_deliveries_give_the_right_renewal_date(
    store: Store, settings: Settings, sandbox: SandboxHandle, refetch: bool
) -> None:
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": sandbox.url})
    link_workspace(store, settings, name="Seed", accounts=1)  # acct-1 lives in "Seed"
    with serve_in_thread(create_app(settings, store=store)) as web_url:
        endpoint = client.v1.webhook_endpoints.create(
            {"url": "https://placeholder.test", "enabled_events": ["*"], "api_version": OLD_VERSION}
        )
        connected = connect_stripe(
            store,
            settings,
            workspace_ref="Seed",
            api_key=SANDBOX_API_KEY,
            api_base=sandbox.url,
            webhook_secret=endpoint.secret,
        )
        client.v1.webhook_endpoints.update(
            endpoint.id, {"url": f"{web_url}/webhooks/stripe/{connected.connection_id}"}
        )
        product = client.v1.products.create({"name": "Team"})
        price = client.v1.prices.create(
            {
                "product": product.id,
                "currency": "usd",
                "unit_amount": 3_000,
                "recurring": {"interval": "month"},
            }
        )
        customer = client.v1.customers.create(
            {
                "email": "a@b.test",
                "metadata": {"account_id": "acct-1"},
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        sub = client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": price.id, "quantity": 2}]}
        )
        assert sandbox.app.state.engine.webhooks.wait_idle(HANG_LIMIT)

    with store.session() as session:
        payloads = [json.loads(e.payload) for e in session.scalars(select(StripeEvent))]
    legacy_sub = next(
        p["data"]["object"] for p in payloads if p["type"] == "customer.subscription.created"
    )
    assert {p["api_version"] for p in payloads} == {OLD_VERSION}
    assert "current_period_end" in legacy_sub
    assert "current_period_end" not in legacy_sub["items"]["data"][0]

    gateway: StripeGateway | None = sandbox_gateway(sandbox.url) if refetch else None
    result = process_inbox(store, now=datetime.now(UTC), gateway_for=lambda _c: gateway)
    assert ("refetched" in result.notes) is refetch
    with store.session() as session:
        facts: Any = session.scalars(select(AccountFacts)).one()
    period_end = sub["items"].data[0].current_period_end
    assert facts.mrr_amount == 6_000
    assert facts.renewal_date is not None
    assert facts.renewal_date.date() == datetime.fromtimestamp(period_end, tz=UTC).date()
