"""Reconciliation sweep: what Stripe changed behind the mirror's back is found, repaired and
counted per object type, and the counts show in the connection's status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import stripe

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.mirror import load_objects, upsert_objects
from stageline.store.models import StripeConnection
from stageline.sync import jobs
from stageline.sync.backfill import run_backfill
from stageline.sync.status import connection_status
from stageline.sync.sweep import run_sweep
from stageline_sandbox import (
    SANDBOX_API_KEY,
    FaultConfig,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
    seed,
)
from tests.sync.conftest import SEED_NOW, SMALL, Linked, link_workspace, sandbox_gateway


@pytest.fixture
def writable_sandbox() -> Iterator[SandboxHandle]:
    store = SandboxStore()
    seed(store, customers=SMALL[0], random_seed=SMALL[1], now=SEED_NOW)
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=store)
    yield handle
    handle.stop()


def _held(linked: Linked, object_type: str) -> dict[str, tuple[bool, dict[str, object]]]:
    with linked.store.session() as session:
        rows = load_objects(session, workspace_id=linked.workspace_id, object_type=object_type)
        return {r.stripe_id: (r.deleted, r.data) for r in rows}


def test_a_sweep_repairs_and_counts_drift(
    store: Store, settings: Settings, writable_sandbox: SandboxHandle
) -> None:
    url = writable_sandbox.url
    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": url})
    doomed = client.v1.products.create({"name": "Short-lived"})
    linked = link_workspace(store, settings, api_base=url, seeded=SMALL)
    run_backfill(
        store,
        workspace_id=linked.workspace_id,
        connection_id=linked.connection_id,
        gateway=sandbox_gateway(url),
        now=datetime.now(UTC),  # the sandbox writes at the wall clock
    )
    with store.session() as session:  # an object the mirror holds but Stripe never had
        connection = session.get_one(StripeConnection, linked.connection_id)
        upsert_objects(
            session,
            connection=connection,
            object_type="coupon",
            objects=[{"id": "ghost", "object": "coupon", "created": SEED_NOW - 99}],
            watermark=SEED_NOW,
        )

    # changes that never reached Stageline (no webhook, no catch-up)
    client.v1.products.delete(doomed.id)
    newcomer = client.v1.customers.create({"email": "new@example.test"})
    active = next(s for s in client.v1.subscriptions.list({"status": "active"}).data)
    item = active["items"].data[0]
    client.v1.subscriptions.update(
        active.id, {"items": [{"id": item.id, "quantity": (item.quantity or 1) + 4}]}
    )

    later = datetime.now(UTC) + timedelta(seconds=5)
    result = run_sweep(
        store,
        workspace_id=linked.workspace_id,
        connection_id=linked.connection_id,
        gateway=sandbox_gateway(url),
        now=later,
    )
    assert result.drift["customer"] == {"missing": 1, "changed": 0, "deleted": 0}
    assert result.drift["subscription"] == {"missing": 0, "changed": 1, "deleted": 0}
    assert result.drift["product"] == {"missing": 0, "changed": 0, "deleted": 1}
    assert result.drift["coupon"] == {"missing": 0, "changed": 0, "deleted": 1}
    assert result.drift["price"] == {"missing": 0, "changed": 0, "deleted": 0}
    assert result.checked > 100

    assert newcomer.id in _held(linked, "customer")
    assert _held(linked, "product")[doomed.id][0] is True
    assert _held(linked, "coupon")["ghost"][0] is True
    repaired = _held(linked, "subscription")[active.id][1]
    assert repaired["items"]["data"][0]["quantity"] == (item.quantity or 1) + 4  # type: ignore[index]

    with store.session() as session:
        status = connection_status(
            session,
            connection=session.get_one(StripeConnection, linked.connection_id),
            now=later,
            public_url="https://x.test",
        )
    assert status["drift"]["counts"]["subscription"]["changed"] == 1
    assert status["drift"]["swept_at"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")

    again = run_sweep(
        store,
        workspace_id=linked.workspace_id,
        connection_id=linked.connection_id,
        gateway=sandbox_gateway(url),
        now=later + timedelta(seconds=1),
    )
    assert again.total_drift == 0


def test_a_sweep_never_deletes_what_appeared_after_it_began(
    store: Store, settings: Settings, writable_sandbox: SandboxHandle
) -> None:
    url = writable_sandbox.url
    linked = link_workspace(store, settings, api_base=url)
    now = datetime.now(UTC)
    with store.session() as session:  # heard of (by an event) after the sweep began
        connection = session.get_one(StripeConnection, linked.connection_id)
        upsert_objects(
            session,
            connection=connection,
            object_type="customer",
            objects=[
                {"id": "cus_fresh", "object": "customer", "created": int(now.timestamp()) + 1}
            ],
            watermark=int(now.timestamp()) + 1,
        )
    result = run_sweep(
        store,
        workspace_id=linked.workspace_id,
        connection_id=linked.connection_id,
        gateway=sandbox_gateway(url),
        now=now,
    )
    assert result.drift["customer"]["deleted"] == 0
    assert _held(linked, "customer")["cus_fresh"][0] is False


def test_a_sweep_marks_deleted_only_what_stripe_confirms_gone(
    store: Store, settings: Settings
) -> None:
    """Not listed is not enough: the sweep asks for each such object, and only a 404
    ``resource_missing`` (or an object marked deleted) makes it deleted in the mirror."""
    refusing = FaultConfig(error_rate=1.0, error_status=400, path_pattern=r"^/v1/customers/.")
    sandbox = run_sandbox_in_thread(
        SandboxConfig(rate_limit=None, faults=refusing), port=0, store=SandboxStore()
    )
    try:
        linked = link_workspace(store, settings, api_base=sandbox.url)
        with store.session() as session:  # held from before, listed by Stripe no more
            connection = session.get_one(StripeConnection, linked.connection_id)
            connection.last_backfill_at = datetime.now(UTC) - timedelta(days=2)
            for object_type, ghost in (("customer", "cus_ghost"), ("coupon", "co_ghost")):
                upsert_objects(
                    session,
                    connection=connection,
                    object_type=object_type,
                    objects=[{"id": ghost, "object": object_type, "created": SEED_NOW - 99}],
                    watermark=SEED_NOW,
                )
        now = datetime.now(UTC)
        outcome = jobs.sweep_due(store, settings, now)
        received = dict(sandbox.app.state.api.received)
        assert jobs.sweep_due(store, settings, now + timedelta(hours=1)) == {}  # swept today
    finally:
        sandbox.stop()
    assert _held(linked, "coupon")["co_ghost"][0] is True  # 404 resource_missing: gone
    assert _held(linked, "customer")["cus_ghost"][0] is False  # 400: kept
    assert received["GET /v1/customers/cus_ghost"] == 1  # asked once, never again
    assert received["GET /v1/coupons/co_ghost"] == 1
    assert "cus_ghost" in outcome[linked.connection_id]
    with store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        shown = connection_status(session, connection=connection, now=now, public_url="http://x")
    assert shown["status"] == "failing" and "400" in (shown["last_error"] or "")
    assert shown["drift"]["counts"]["customer"]["deleted"] == 0
    assert shown["drift"]["counts"]["coupon"]["deleted"] == 1
