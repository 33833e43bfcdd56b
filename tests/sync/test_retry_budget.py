"""One call to Stripe costs at most the retry budget, whoever makes it, counted on the wire.

Each case runs a production path (a backfill page, an events catch-up page, a re-fetch for the
inbox) with gateways built from ``Settings`` as in production, against a sandbox that answers
every request with the same fault, and counts the requests the sandbox received.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stageline.config import Settings
from stageline.errors import StripeError
from stageline.store.db import Store
from stageline.store.models import StripeConnection
from stageline.sync import jobs
from stageline.sync.backfill import run_backfill
from stageline.sync.gateway import gateways_for
from stageline.sync.inbox import record_event
from stageline_sandbox import FaultConfig, SandboxConfig, SandboxStore, run_sandbox_in_thread
from tests.sync.conftest import NOW, SEED_NOW, Linked, body_of, event, link_workspace, subscription

ATTEMPTS = 3
BUDGET = {"stripe_retry_attempts": ATTEMPTS, "stripe_retry_seconds": 60.0}

FAULTS: dict[str, tuple[FaultConfig, int]] = {
    "500": (FaultConfig(error_rate=1.0), ATTEMPTS),
    "503": (FaultConfig(error_rate=1.0, error_status=503), ATTEMPTS),
    "429": (FaultConfig(rate_limit_rate=1.0), ATTEMPTS),
    "500 should-retry false": (FaultConfig(error_rate=1.0, should_retry=False), 1),
    "429 should-retry false": (FaultConfig(rate_limit_rate=1.0, should_retry=False), 1),
    "400": (FaultConfig(error_rate=1.0, error_status=400), 1),
    "400 should-retry true": (FaultConfig(error_rate=1.0, error_status=400, should_retry=True), 3),
}


def _backfill_page(linked: Linked, settings: Settings) -> str:
    with linked.store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        gateways = gateways_for(connection, settings, count=1)
    with contextlib.suppress(StripeError):
        run_backfill(
            linked.store,
            workspace_id=linked.workspace_id,
            connection_id=linked.connection_id,
            gateway=gateways,
            now=NOW,
        )
    return "GET /v1/products"  # the first list a backfill asks for


def _events_page(linked: Linked, settings: Settings) -> str:
    jobs.catch_up_all(linked.store, settings, NOW)
    return "GET /v1/events"


def _refetch(linked: Linked, settings: Settings) -> str:
    def deliver(evt: dict[str, Any]) -> None:
        with linked.store.session() as session:
            connection = session.get_one(StripeConnection, linked.connection_id)
            record_event(
                session, connection=connection, event=evt, payload=body_of(evt),
                source="webhook", now=NOW,
            )  # fmt: skip

    with linked.store.session() as session:  # held first, without asking Stripe
        connection = session.get_one(StripeConnection, linked.connection_id)
        key, connection.api_key_ciphertext = connection.api_key_ciphertext, None
    deliver(event("evt_a", "customer.subscription.created", SEED_NOW - 10, subscription(1)))
    jobs.apply_inbox(linked.store, settings, NOW)
    with linked.store.session() as session:
        session.get_one(StripeConnection, linked.connection_id).api_key_ciphertext = key
    # as old as what is held and saying something else: settled by a re-fetch
    tie = subscription(1, quantity=2)
    deliver(event("evt_b", "customer.subscription.updated", SEED_NOW - 10, tie))
    jobs.apply_inbox(linked.store, settings, NOW)
    return "GET /v1/subscriptions/sub_1"


PATHS: dict[str, Callable[[Linked, Settings], str]] = {
    "backfill page": _backfill_page,
    "events page": _events_page,
    "re-fetch": _refetch,
}


@contextlib.contextmanager
def _sandbox(faults: FaultConfig) -> Iterator[Any]:
    handle = run_sandbox_in_thread(
        SandboxConfig(rate_limit=None, faults=faults), port=0, store=SandboxStore()
    )
    try:
        yield handle
    finally:
        handle.stop()


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("path", sorted(PATHS))
def test_one_call_costs_at_most_the_budget(
    store: Store, settings: Settings, fault: str, path: str
) -> None:
    faults, expected = FAULTS[fault]
    budgeted = settings.model_copy(update=BUDGET)
    with _sandbox(faults) as sandbox:
        linked = link_workspace(store, settings, api_base=sandbox.url)
        before = dict(sandbox.app.state.api.received)
        asked = PATHS[path](linked, budgeted)
        received = {k: v - before.get(k, 0) for k, v in sandbox.app.state.api.received.items()}
    assert received[asked] == expected
    assert max(received.values()) <= ATTEMPTS  # no other call went over the budget either


def test_no_retry_starts_once_the_time_budget_is_spent(store: Store, settings: Settings) -> None:
    no_time = settings.model_copy(update={"stripe_retry_attempts": 5, "stripe_retry_seconds": 0})
    with _sandbox(FaultConfig(error_rate=1.0)) as sandbox:
        linked = link_workspace(store, settings, api_base=sandbox.url)
        _events_page(linked, no_time)
        assert sandbox.app.state.api.received["GET /v1/events"] == 1
