"""Events catch-up: what webhooks missed comes back from ``/v1/events`` through the inbox,
overlap is harmless, and an old cursor is warned about."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from sqlalchemy import select

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.mirror import load_objects
from stageline.store.models import StripeConnection, StripeEvent
from stageline.sync.catch_up import (
    EVENTS_CURSOR,
    catch_up_events,
    ensure_events_cursor,
    load_cursor,
)
from stageline.sync.process import process_inbox
from stageline.sync.status import connection_status
from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
)
from tests.sync.conftest import Linked, link_workspace, sandbox_gateway


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=SandboxStore())
    yield handle
    handle.stop()


def _catch_up(linked: Linked, url: str, now: datetime) -> object:
    return catch_up_events(
        linked.store,
        workspace_id=linked.workspace_id,
        connection_id=linked.connection_id,
        gateway=sandbox_gateway(url),
        now=now,
    )


def _start_cursor(linked: Linked, at: datetime) -> None:
    with linked.store.session() as session:
        ensure_events_cursor(session, connection_id=linked.connection_id, now=at)


def test_missed_events_are_listed_into_the_inbox_once(
    store: Store, settings: Settings, sandbox: SandboxHandle
) -> None:
    linked = link_workspace(store, settings, api_base=sandbox.url)
    _start_cursor(linked, datetime.now(UTC) - timedelta(seconds=2))
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": sandbox.url})
    customer = client.v1.customers.create(
        {"email": "a@b.test", "metadata": {"account_id": "acct-1"}}
    )
    client.v1.customers.update(customer.id, {"name": "Renamed"})

    first = _catch_up(linked, sandbox.url, datetime.now(UTC))
    assert first.new == 2 and first.warning is None
    again = _catch_up(linked, sandbox.url, datetime.now(UTC))
    assert again.new == 0 and again.listed >= 2  # the overlap is listed again, stored once
    with store.session() as session:
        rows = list(session.scalars(select(StripeEvent)))
        cursor = load_cursor(session, connection_id=linked.connection_id, name=EVENTS_CURSOR)
    assert sorted(r.type for r in rows) == ["customer.created", "customer.updated"]
    assert {r.source for r in rows} == {"catch_up"}
    assert cursor is not None and cursor.value["last_event_id"] in {r.event_id for r in rows}

    process_inbox(store, now=datetime.now(UTC), gateway_for=lambda _c: sandbox_gateway(sandbox.url))
    with store.session() as session:
        held = load_objects(session, workspace_id=linked.workspace_id, object_type="customer")
        assert [(c.stripe_id, c.data.get("name")) for c in held] == [(customer.id, "Renamed")]


def test_events_from_before_the_cursor_are_not_listed(
    store: Store, settings: Settings, sandbox: SandboxHandle
) -> None:
    linked = link_workspace(store, settings, api_base=sandbox.url)
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": sandbox.url})
    client.v1.customers.create({"email": "early@b.test"})
    _start_cursor(linked, datetime.now(UTC) + timedelta(seconds=5))
    assert _catch_up(linked, sandbox.url, datetime.now(UTC)).new == 0


@pytest.mark.parametrize(
    ("days", "words"),
    [(10, None), (26, "Stripe keeps events 30 days"), (31, "past Stripe's 30-day window")],
)
def test_an_old_cursor_is_warned_about(
    store: Store, settings: Settings, sandbox: SandboxHandle, days: int, words: str | None
) -> None:
    linked = link_workspace(store, settings, api_base=sandbox.url)
    now = datetime.now(UTC)
    _start_cursor(linked, now - timedelta(days=days))
    with store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        before = connection_status(session, connection=connection, now=now, public_url="x")
    result = _catch_up(linked, sandbox.url, now)
    if words is None:
        assert result.warning is None and before["events"]["warning"] is None
    else:
        assert result.warning is not None and words in result.warning
        assert before["events"]["warning"] == result.warning
    with store.session() as session:  # a catch-up that went through clears the warning
        connection = session.get_one(StripeConnection, linked.connection_id)
        after = connection_status(session, connection=connection, now=now, public_url="x")
    assert after["events"]["warning"] is None and after["events"]["lag_seconds"] == 0
