"""What a re-fetch answer means: only a 404 ``resource_missing`` or an object marked
``deleted`` says an object is gone; any other refusal is an error on the connection, asked
once and never again, and the mirror keeps what it held."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from sqlalchemy import select

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.mirror import load_objects
from stageline.store.models import StripeConnection, StripeEvent
from stageline.sync import jobs
from stageline.sync.inbox import record_event
from stageline.sync.status import connection_status
from stageline_sandbox import (
    SANDBOX_API_KEY,
    FaultConfig,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
)
from tests.sync.conftest import (
    SEED_NOW,
    Linked,
    body_of,
    customer,
    event,
    link_workspace,
    subscription,
)

T = SEED_NOW - 3600
NOW = datetime.fromtimestamp(SEED_NOW, tz=UTC)


@pytest.fixture
def refusing() -> Iterator[SandboxHandle]:
    """A Stripe that answers every request 400, as Stripe words it."""
    faults = FaultConfig(error_rate=1.0, error_status=400)
    handle = run_sandbox_in_thread(
        SandboxConfig(rate_limit=None, faults=faults), port=0, store=SandboxStore()
    )
    yield handle
    handle.stop()


def _deliver(linked: Linked, *events: dict[str, Any]) -> None:
    with linked.store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        for evt in events:
            record_event(
                session,
                connection=connection,
                event=evt,
                payload=body_of(evt),
                source="webhook",
                now=NOW,
            )


def _mirrored(linked: Linked, store: Store, settings: Settings) -> None:
    """cus_1 and sub_1 in the mirror, applied from their events without asking Stripe."""
    _deliver(
        linked,
        event("evt_c", "customer.created", T, customer(1)),
        event("evt_s", "customer.subscription.created", T + 1, subscription(1)),
    )
    with store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        key, connection.api_key_ciphertext = connection.api_key_ciphertext, None
    jobs.apply_inbox(store, settings, NOW)
    with store.session() as session:
        session.get_one(StripeConnection, linked.connection_id).api_key_ciphertext = key


def _statuses(store: Store) -> dict[str, tuple[str, str | None]]:
    with store.session() as session:
        return {e.event_id: (e.status, e.error) for e in session.scalars(select(StripeEvent))}


def _held(store: Store, linked: Linked, object_type: str) -> dict[str, dict[str, Any]]:
    with store.session() as session:
        rows = load_objects(session, workspace_id=linked.workspace_id, object_type=object_type)
        return {row.stripe_id: {**row.data, "_deleted": row.deleted} for row in rows}


def test_a_400_on_refetch_is_an_error_on_the_connection_and_deletes_nothing(
    store: Store, settings: Settings, refusing: SandboxHandle
) -> None:
    linked = link_workspace(store, settings, api_base=refusing.url)
    _mirrored(linked, store, settings)
    _deliver(
        linked,
        # names only its customer: applying it needs the customer as Stripe holds it now
        event("evt_disc", "customer.discount.created", T + 5, {"customer": "cus_1"}),
        # as old as the subscription held and saying something else: a re-fetch settles it
        event("evt_tie", "customer.subscription.updated", T + 1, subscription(1, quantity=4)),
    )

    jobs.apply_inbox(store, settings, NOW)

    assert dict(refusing.app.state.api.received) == {
        "GET /v1/customers/cus_1": 1,
        "GET /v1/subscriptions/sub_1": 1,
    }
    customers, subscriptions = (
        _held(store, linked, "customer"),
        _held(store, linked, "subscription"),
    )
    assert customers["cus_1"]["_deleted"] is False
    assert customers["cus_1"]["email"] == "c1@example.com"
    assert subscriptions["sub_1"]["_deleted"] is False
    assert subscriptions["sub_1"]["items"]["data"][0]["quantity"] == 4  # the payload, as is
    statuses = _statuses(store)
    assert statuses["evt_tie"] == ("applied", None)
    status, error = statuses["evt_disc"]
    assert status == "failed" and "refused" in (error or "") and "400" in (error or "")
    with store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        shown = connection_status(session, connection=connection, now=NOW, public_url="http://x")
    assert shown["status"] == "failing"
    assert "cus_1" in shown["last_error"] and "400" in shown["last_error"]
    assert shown["webhook"]["failed_events"] == 1

    jobs.apply_inbox(store, settings, NOW)  # nothing is asked again
    assert sum(refusing.app.state.api.received.values()) == 2


def test_only_a_404_resource_missing_or_a_deleted_object_means_gone(
    store: Store, settings: Settings
) -> None:
    sandbox = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=SandboxStore())
    try:
        linked = link_workspace(store, settings, api_base=sandbox.url)
        _mirrored(linked, store, settings)  # cus_1 and sub_1, which this Stripe never had
        client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": sandbox.url})
        created = client.v1.customers.create({"email": "gone@example.com"})
        client.v1.customers.delete(created.id)
        _deliver(
            linked,
            event("evt_d1", "customer.discount.created", T + 5, {"customer": created.id}),
            event("evt_d2", "customer.discount.deleted", T + 6, {"customer": "cus_1"}),
        )
        jobs.apply_inbox(store, settings, NOW)
    finally:
        sandbox.stop()
    held = _held(store, linked, "customer")
    assert held[created.id]["_deleted"] is True  # Stripe answered it deleted
    assert held["cus_1"]["_deleted"] is False  # unknown to Stripe (404): the mirror keeps it
    assert {s for s, _e in _statuses(store).values()} == {"applied"}
    with store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        assert (connection.status, connection.last_error) == ("connected", None)
