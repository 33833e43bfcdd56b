"""The worker's sync jobs: catch-up, inbox and sweep for every connection, with failures
shown on the connection and cleared when it recovers."""

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
from stageline.sync import jobs
from stageline.sync.catch_up import ensure_events_cursor
from stageline.worker import Worker, default_jobs
from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
)
from tests.sync.conftest import link_workspace


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=SandboxStore())
    yield handle
    handle.stop()


def test_default_jobs_run_catch_up_inbox_and_sweep(settings: Settings) -> None:
    scheduled = {job.name: job.every_seconds for job in default_jobs(settings)}
    assert scheduled["events-catch-up"] == settings.events_catch_up_seconds
    assert scheduled["inbox"] == jobs.INBOX_EVERY_SECONDS
    assert scheduled["reconcile"] == jobs.SWEEP_CHECK_EVERY_SECONDS
    assert list(scheduled)[:2] == ["events-catch-up", "inbox"]  # caught-up events apply at once


def test_one_worker_turn_brings_a_missed_change_in(
    store: Store, settings: Settings, sandbox: SandboxHandle
) -> None:
    linked = link_workspace(store, settings, api_base=sandbox.url)
    start = datetime.now(UTC) - timedelta(seconds=2)
    with store.session() as session:
        ensure_events_cursor(session, connection_id=linked.connection_id, now=start)
        session.get_one(StripeConnection, linked.connection_id).last_backfill_at = start
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": sandbox.url})
    customer = client.v1.customers.create({"email": "late@b.test"})

    outcome = Worker(store, settings).run_once(now=datetime.now(UTC))
    assert outcome == {
        "events-catch-up": "ok",
        "inbox": "ok",
        "reconcile": "ok",
        "refresh-facts": "ok",
    }
    with store.session() as session:
        held = load_objects(session, workspace_id=linked.workspace_id, object_type="customer")
        statuses = {e.status for e in session.scalars(select(StripeEvent))}
    assert [c.stripe_id for c in held] == [customer.id]
    assert statuses == {"applied"}


def test_a_failing_connection_shows_its_error_and_recovers(
    store: Store, settings: Settings, sandbox: SandboxHandle
) -> None:
    linked = link_workspace(store, settings, api_base="http://127.0.0.1:9")
    now = datetime.now(UTC)
    outcome = jobs.catch_up_all(store, settings, now)
    assert outcome[linked.connection_id].startswith("error: cannot reach Stripe")
    with store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        assert connection.status == "failing" and "cannot reach Stripe" in (
            connection.last_error or ""
        )
        connection.api_base = sandbox.url
    assert jobs.catch_up_all(store, settings, now)[linked.connection_id].startswith("listed")
    with store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        assert (connection.status, connection.last_error) == ("connected", None)


def test_a_sweep_runs_once_a_day_per_backfilled_connection(
    store: Store, settings: Settings, sandbox: SandboxHandle
) -> None:
    linked = link_workspace(store, settings, api_base=sandbox.url)
    now = datetime.now(UTC)
    assert jobs.sweep_due(store, settings, now) == {}  # never backfilled: nothing to compare
    with store.session() as session:
        session.get_one(StripeConnection, linked.connection_id).last_backfill_at = now
    assert jobs.sweep_due(store, settings, now)[linked.connection_id].startswith("checked")
    assert jobs.sweep_due(store, settings, now + timedelta(hours=1)) == {}
    assert linked.connection_id in jobs.sweep_due(store, settings, now + timedelta(days=1))
