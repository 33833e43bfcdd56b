"""A workspace with one Stripe connection whose mirror the tests fill with Stripe-shaped JSON.

``World`` writes customers, subscriptions and the catalog straight into the mirror (as a sync
would), imports accounts and users, and recomputes; every test runs on each store backend.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stageline.facts import recompute_facts
from stageline.facts.recompute import RecomputeSummary
from stageline.facts.views import account_detail
from stageline.security import SecretBox
from stageline.store import accounts as account_store
from stageline.store.connections import create_connection
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.mirror import upsert_objects
from stageline.store.models import StripeConnection, Workspace
from stageline.store.workspaces import create_workspace

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


def price_json(
    id: str = "price_m",
    amount: int | None = 10000,
    interval: str | None = "month",
    count: int = 1,
    currency: str = "usd",
    **extra: Any,
) -> dict[str, Any]:
    recurring = {"interval": interval, "interval_count": count, "usage_type": "licensed"}
    return {
        "id": id,
        "object": "price",
        "currency": currency,
        "unit_amount": amount,
        "billing_scheme": "per_unit",
        "recurring": recurring if interval else None,
        "product": "prod_1",
        **extra,
    }


def sub_json(
    id: str,
    customer: str,
    *,
    status: str = "active",
    price: Mapping[str, Any] | None = None,
    quantity: int = 1,
    period_end: datetime | None = None,
    currency: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    p = dict(price or price_json())
    return {
        "id": id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "currency": currency or p["currency"],
        "created": ts(NOW - 60 * DAY),
        "cancel_at_period_end": False,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{id}",
                    "price": p,
                    "quantity": quantity,
                    "current_period_end": ts(period_end or NOW + 10 * DAY),
                }
            ],
        },
        **extra,
    }


def customer_json(id: str, account: str | None = None, **extra: Any) -> dict[str, Any]:
    metadata = {"account_id": account} if account else {}
    return {"id": id, "object": "customer", "metadata": metadata, **extra}


@dataclass
class World:
    store: Store
    workspace_id: str
    connection_id: str
    watermark: int = 1

    def put(self, object_type: str, *objects: Mapping[str, Any]) -> None:
        """Write objects into the mirror, each call newer than the last."""
        self.watermark += 1
        with self.store.session() as session:
            connection = session.get_one(StripeConnection, self.connection_id)
            upsert_objects(
                session,
                connection=connection,
                object_type=object_type,
                objects=list(objects),
                watermark=self.watermark,
            )

    def accounts(self, *rows: tuple[str, str] | tuple[str, str, dict[str, Any]]) -> None:
        with self.store.session() as session:
            account_store.upsert_accounts(
                session,
                workspace_id=self.workspace_id,
                rows=[
                    account_store.AccountRow(r[0], r[1], r[2] if len(r) == 3 else {})  # type: ignore[misc]
                    for r in rows
                ],
            )

    def users(self, *rows: account_store.UserRow) -> None:
        with self.store.session() as session:
            account_store.upsert_users(session, workspace_id=self.workspace_id, rows=list(rows))

    def settings(self, data: Mapping[str, Any]) -> None:
        with self.store.session() as session:
            workspace = session.get_one(Workspace, self.workspace_id)
            workspace.settings = {**(workspace.settings or {}), **data}

    def recompute(
        self,
        *,
        now: datetime = NOW,
        cause: str = "test",
        customer_ids: Collection[str] | None = None,
    ) -> RecomputeSummary:
        with self.store.session() as session:
            lock_workspace(session, workspace_id=self.workspace_id)
            workspace = session.get_one(Workspace, self.workspace_id)
            return recompute_facts(
                session, workspace=workspace, now=now, cause=cause, customer_ids=customer_ids
            )

    def show(self, external_id: str, *, now: datetime = NOW) -> dict[str, Any]:
        with self.store.session() as session:
            workspace = session.get_one(Workspace, self.workspace_id)
            return account_detail(session, workspace=workspace, external_id=external_id, now=now)


@pytest.fixture
def world(store: Store) -> World:
    with store.session() as session:
        workspace = create_workspace(session, name="Acme").workspace
        connection = create_connection(
            session,
            workspace=workspace,
            box=SecretBox("k" * 48),
            api_key="sk_test_x",
            api_base="http://sandbox",
        )
        return World(store, workspace.id, connection.id)
