"""Full backfill of a connection: every product, price, coupon, customer, subscription
(``status=all``) and invoice, page by page, resumable from a checkpoint after a crash.

Each page is written in its own transaction together with the checkpoint, so an interrupted
backfill resumes at the next page and never writes a page twice.

>>> result = run_backfill(store, connection_id="conn_...", workspace_id="ws_...",  # doctest: +SKIP
...                       gateway=gateway, now=datetime.now(UTC))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from stageline.facts import recompute_facts
from stageline.store.connections import get_connection
from stageline.store.db import Store
from stageline.store.mirror import upsert_objects
from stageline.store.models import SyncCursor, Workspace
from stageline.stripe_api.client import StripeGateway


@dataclass(frozen=True)
class Resource:
    object_type: str
    endpoint: str
    params: dict[str, Any] = field(default_factory=dict)


BACKFILL_RESOURCES: tuple[Resource, ...] = (
    Resource("product", "products"),
    Resource("price", "prices", {"expand": ["data.tiers"]}),
    Resource("coupon", "coupons"),
    Resource("customer", "customers"),
    Resource("subscription", "subscriptions", {"status": "all", "expand": ["data.discounts"]}),
    Resource("invoice", "invoices"),
)
CHECKPOINT = "backfill"

ProgressCallback = Callable[[str, int], None]


@dataclass
class BackfillResult:
    counts: dict[str, int] = field(default_factory=dict)
    resumed: bool = False
    accounts: int = 0
    matched_customers: int = 0
    unmatched_customers: int = 0
    ambiguous_customers: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def run_backfill(
    store: Store,
    *,
    workspace_id: str,
    connection_id: str,
    gateway: StripeGateway,
    now: datetime,
    on_progress: ProgressCallback | None = None,
) -> BackfillResult:
    """Fetch everything, resuming from the checkpoint if one exists, then refresh facts."""
    result = BackfillResult()
    with store.session() as session:
        cursor = _load_checkpoint(session, connection_id)
        if cursor.value.get("started_at"):
            result.resumed = True
        else:
            cursor.value = {"started_at": int(now.timestamp()), "done": [], "after": {}}
    state: dict[str, Any] = dict(cursor.value)
    watermark = int(state["started_at"])
    for resource in BACKFILL_RESOURCES:
        if resource.object_type in state["done"]:
            continue
        after = state["after"].get(resource.object_type)
        for page in gateway.iter_pages(resource.endpoint, resource.params, starting_after=after):
            with store.session() as session:
                connection = get_connection(
                    session, workspace_id=workspace_id, connection_id=connection_id
                )
                upsert_objects(
                    session,
                    connection=connection,
                    object_type=resource.object_type,
                    objects=page.objects,
                    watermark=watermark,
                )
                state["after"] = {**state["after"], resource.object_type: page.last_id}
                _save_checkpoint(session, connection_id, state)
            result.counts[resource.object_type] = result.counts.get(resource.object_type, 0) + len(
                page.objects
            )
            if on_progress:
                on_progress(resource.object_type, len(page.objects))
        state["done"] = [*state["done"], resource.object_type]
        with store.session() as session:
            _save_checkpoint(session, connection_id, state)

    with store.session() as session:
        connection = get_connection(session, workspace_id=workspace_id, connection_id=connection_id)
        workspace = session.get_one(Workspace, workspace_id)
        summary = recompute_facts(
            session, workspace=workspace, now=now, cause=f"backfill:{connection_id}"
        )
        connection.last_backfill_at = now
        connection.status = "connected"
        connection.last_error = None
        _save_checkpoint(session, connection_id, {})
    result.accounts = summary.accounts
    result.matched_customers = summary.matched_customers
    result.unmatched_customers = summary.unmatched_customers
    result.ambiguous_customers = summary.ambiguous_customers
    return result


def _load_checkpoint(session: Any, connection_id: str) -> SyncCursor:
    cursor = session.scalar(
        select(SyncCursor).where(
            SyncCursor.connection_id == connection_id, SyncCursor.name == CHECKPOINT
        )
    )
    if cursor is None:
        cursor = SyncCursor(connection_id=connection_id, name=CHECKPOINT, value={})
        session.add(cursor)
        session.flush()
    return cursor  # type: ignore[no-any-return]


def _save_checkpoint(session: Any, connection_id: str, value: dict[str, Any]) -> None:
    cursor = _load_checkpoint(session, connection_id)
    cursor.value = dict(value)
