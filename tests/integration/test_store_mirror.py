"""The Stripe mirror never takes an older version over a newer one."""

from __future__ import annotations

from typing import Any

from stageline.security import SecretBox
from stageline.store.connections import create_connection
from stageline.store.db import Store
from stageline.store.mirror import count_objects, load_objects, upsert_objects
from stageline.store.models import StripeConnection
from stageline.store.workspaces import create_workspace


def _connection(store: Store) -> StripeConnection:
    with store.session() as session:
        workspace = create_workspace(session, name="Acme").workspace
        return create_connection(
            session,
            workspace=workspace,
            box=SecretBox("k" * 48),
            api_key="sk_test_x",
            api_base="http://sandbox",
        )


def _sub(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": status, **extra}


def _held(store: Store, connection: StripeConnection) -> dict[str, Any]:
    with store.session() as session:
        rows = load_objects(
            session, workspace_id=connection.workspace_id, object_type="subscription"
        )
        assert len(rows) == 1
        return rows[0].data


def test_older_versions_are_skipped_newer_ones_replace(store: Store) -> None:
    connection = _connection(store)
    with store.session() as session:
        first = upsert_objects(
            session,
            connection=connection,
            object_type="subscription",
            objects=[_sub("trialing")],
            watermark=100,
        )
        stale = upsert_objects(
            session,
            connection=connection,
            object_type="subscription",
            objects=[_sub("incomplete")],
            watermark=50,
        )
        newer = upsert_objects(
            session,
            connection=connection,
            object_type="subscription",
            objects=[_sub("active")],
            watermark=150,
        )
    assert (first.inserted, stale.skipped_stale, newer.updated) == (1, 1, 1)
    assert _held(store, connection)["status"] == "active"


def test_a_canceled_subscription_is_never_revived(store: Store) -> None:
    connection = _connection(store)
    with store.session() as session:
        upsert_objects(
            session,
            connection=connection,
            object_type="subscription",
            objects=[_sub("canceled")],
            watermark=100,
        )
        counts = upsert_objects(
            session,
            connection=connection,
            object_type="subscription",
            objects=[_sub("active")],
            watermark=200,
        )
    assert counts.skipped_stale == 1
    assert _held(store, connection)["status"] == "canceled"


def test_partial_payloads_never_null_known_fields(store: Store) -> None:
    connection = _connection(store)
    expanded = {"id": "cus_1", "object": "customer", "email": "a@b.c"}
    with store.session() as session:
        upsert_objects(
            session,
            connection=connection,
            object_type="subscription",
            objects=[_sub("active", customer=expanded, description="Seats")],
            watermark=100,
        )
        upsert_objects(
            session,
            connection=connection,
            object_type="subscription",
            objects=[_sub("past_due", customer="cus_1", latest_invoice=None)],
            watermark=200,
        )
    held = _held(store, connection)
    assert held["status"] == "past_due"
    assert held["customer"] == expanded
    assert held["description"] == "Seats"
    with store.session() as session:
        assert count_objects(session, connection_id=connection.id) == {"subscription": 1}
