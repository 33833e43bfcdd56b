"""Reconciliation sweep: re-list Stripe, compare with the mirror, repair and report drift.

Per object type it counts what the mirror was missing, what differed (in the fields Stageline
reads) and what Stripe no longer has (marked deleted). Repairs go through the same upsert as
everything else, watermarked with the sweep's start, so nothing newer is overwritten; an
object the mirror heard of after the sweep began is never marked deleted. An object held
alive but no longer listed is asked for once: only a 404 ``resource_missing`` or an answer
marked ``deleted`` makes it deleted; any other refusal keeps it, and the sweep, once its
counts are saved, raises ``StripeRefused`` naming it (the connection shows the error). The
counts are kept in the ``sweep`` cursor and shown in the connection's status.

Example::

    result = run_sweep(store, workspace_id="ws_1", connection_id="conn_1",
                       gateway=gateway, now=datetime.now(UTC))
    result.drift["subscription"]
    # {'missing': 0, 'changed': 1, 'deleted': 0}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stageline.errors import StripeObjectMissing, StripeRefused
from stageline.facts import recompute_facts
from stageline.store.connections import get_connection
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.mirror import upsert_objects
from stageline.store.models import StripeObject, Workspace
from stageline.stripe_api import mapping
from stageline.stripe_api.client import Page, StripeGateway
from stageline.sync.backfill import BACKFILL_RESOURCES
from stageline.sync.catch_up import save_cursor
from stageline.sync.events import UnreadableObject, check_readable, normalize
from stageline.sync.pages import SliceTask, fetch_slices
from stageline.sync.slices import Slice

log = logging.getLogger("stageline.sync")

SWEEP_CURSOR = "sweep"

_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("email", "name", "metadata", "discount"),
    "subscription": (
        "status", "customer", "metadata", "items", "discounts", "cancel_at",
        "cancel_at_period_end", "canceled_at", "ended_at", "trial_end", "pause_collection",
    ),
    "price": ("active", "currency", "unit_amount", "recurring", "billing_scheme", "tiers_mode"),
    "product": ("active", "name"),
    "coupon": ("valid", "percent_off", "amount_off", "duration", "duration_in_months"),
    "invoice": ("status", "customer", "total", "amount_due", "amount_paid"),
}  # fmt: skip


@dataclass
class SweepResult:
    drift: dict[str, dict[str, int]] = field(default_factory=dict)
    checked: int = 0

    @property
    def total_drift(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.drift.values())


def fingerprint(object_type: str, data: Mapping[str, Any]) -> str:
    """What Stageline reads of an object, with expandable fields reduced to their ids."""
    picked = {name: _ids(data.get(name)) for name in _FIELDS.get(object_type, ("status",))}
    picked["deleted"] = bool(data.get("deleted", False))
    return json.dumps(picked, sort_keys=True, default=str)


def _ids(value: Any) -> Any:
    if isinstance(value, Mapping):
        if value.get("object") == "list" and isinstance(value.get("data"), list):
            return [_ids(v) for v in value["data"]]
        if "id" in value and value.get("object") not in (None, "subscription_item"):
            return value["id"]
        return {k: _ids(v) for k, v in value.items() if k not in ("created", "updated")}
    if isinstance(value, list):
        return [_ids(v) for v in value]
    return value


def run_sweep(
    store: Store,
    *,
    workspace_id: str,
    connection_id: str,
    gateway: StripeGateway | Sequence[StripeGateway],
    now: datetime,
) -> SweepResult:
    """List every object type again, repair the mirror, record and return the drift."""
    gateways = [gateway] if isinstance(gateway, StripeGateway) else list(gateway)
    started = int(now.timestamp())
    result = SweepResult(drift={r.object_type: _zero() for r in BACKFILL_RESOURCES})
    seen: dict[str, set[str]] = {r.object_type: set() for r in BACKFILL_RESOURCES}
    tasks = [SliceTask(r, 0, Slice(lo=0, hi=started)) for r in BACKFILL_RESOURCES]
    for task, page in fetch_slices(gateways, tasks):
        object_type = task.resource.object_type
        seen[object_type].update(str(obj["id"]) for obj in page.objects)
        result.checked += len(page.objects)
        with store.session() as session:
            lock_workspace(session, workspace_id=workspace_id)
            _repair_page(
                session,
                workspace_id,
                connection_id,
                object_type,
                page,
                started,
                result.drift[object_type],
            )
    with store.session() as session:
        unlisted = [
            (object_type, stripe_id)
            for object_type, ids in seen.items()
            for stripe_id in _unlisted(session, connection_id, object_type, ids, started)
        ]
    gone, refusals = _confirm_gone(gateways, unlisted)
    with store.session() as session:
        lock_workspace(session, workspace_id=workspace_id)
        for object_type in seen:
            _mark_gone(
                session,
                workspace_id,
                connection_id,
                object_type,
                {stripe_id for kind, stripe_id in gone if kind == object_type},
                started,
                result.drift[object_type],
            )
        if result.total_drift:
            workspace = session.get_one(Workspace, workspace_id)
            recompute_facts(session, workspace=workspace, now=now, cause=f"sweep:{connection_id}")
        save_cursor(
            session,
            connection_id=connection_id,
            name=SWEEP_CURSOR,
            value={"at": started, "checked": result.checked, "drift": result.drift},
            now=now,
        )
    if result.total_drift:
        log.warning("sweep of %s repaired drift: %s", connection_id, result.drift)
    if refusals:
        raise StripeRefused(
            f"the sweep kept {len(refusals)} unlisted object(s) Stripe did not confirm gone; "
            f"{refusals[0].one_line()}"
        )
    return result


def _zero() -> dict[str, int]:
    return {"missing": 0, "changed": 0, "deleted": 0}


def _repair_page(
    session: Session,
    workspace_id: str,
    connection_id: str,
    object_type: str,
    page: Page,
    started: int,
    drift: dict[str, int],
) -> None:
    ids = [str(obj["id"]) for obj in page.objects]
    held = {
        row.stripe_id: row
        for row in session.scalars(
            select(StripeObject).where(
                StripeObject.connection_id == connection_id,
                StripeObject.object_type == object_type,
                StripeObject.stripe_id.in_(ids),
            )
        )
    }
    repairs = []
    for raw in page.objects:
        obj = normalize(object_type, raw)
        try:
            check_readable(object_type, obj)
        except UnreadableObject as exc:
            log.warning("sweep skipped an object it cannot read: %s", exc)
            continue
        row = held.get(str(obj["id"]))
        if row is None:
            drift["missing"] += 1
            repairs.append(obj)
        elif row.watermark < started and fingerprint(object_type, row.data) != fingerprint(
            object_type, obj
        ):
            drift["changed"] += 1
            repairs.append(obj)
    if repairs:
        connection = get_connection(session, workspace_id=workspace_id, connection_id=connection_id)
        upsert_objects(
            session,
            connection=connection,
            object_type=object_type,
            objects=repairs,
            watermark=started,
        )


def _unlisted(
    session: Session, connection_id: str, object_type: str, listed: set[str], started: int
) -> list[str]:
    """Objects held alive, known from before the sweep, that the lists left out."""
    rows = session.scalars(
        select(StripeObject).where(
            StripeObject.connection_id == connection_id,
            StripeObject.object_type == object_type,
            StripeObject.deleted.is_(False),
            StripeObject.watermark < started,
        )
    )
    unlisted = []
    for row in rows:
        created = mapping.timestamp(row.data.get("created"))
        if row.stripe_id in listed or (created is not None and created.timestamp() >= started):
            continue
        unlisted.append(row.stripe_id)
    return unlisted


def _confirm_gone(
    gateways: Sequence[StripeGateway], unlisted: Sequence[tuple[str, str]]
) -> tuple[set[tuple[str, str]], list[StripeRefused]]:
    """Ask Stripe for each ``(object type, id)``, a few at a time: the ones it says are gone,
    and its refusals (objects it would not say anything about)."""
    endpoints = {r.object_type: r.endpoint for r in BACKFILL_RESOURCES}

    def ask(args: tuple[int, tuple[str, str]]) -> bool | StripeRefused:
        index, (object_type, stripe_id) = args
        gateway = gateways[index % len(gateways)]
        try:
            found = gateway.retrieve(endpoints[object_type], stripe_id)
        except StripeObjectMissing:
            return True
        except StripeRefused as exc:
            return StripeRefused(f"asking for {object_type} {stripe_id}: {exc.one_line()}")
        return bool(found.get("deleted"))

    if not unlisted:
        return set(), []
    with ThreadPoolExecutor(max_workers=len(gateways)) as pool:
        answers = list(pool.map(ask, enumerate(unlisted)))
    gone = {key for key, answer in zip(unlisted, answers, strict=True) if answer is True}
    refusals = [answer for answer in answers if isinstance(answer, StripeRefused)]
    return gone, refusals


def _mark_gone(
    session: Session,
    workspace_id: str,
    connection_id: str,
    object_type: str,
    gone_ids: set[str],
    started: int,
    drift: dict[str, int],
) -> None:
    """Mark deleted what Stripe confirmed gone, unless something newer arrived meanwhile."""
    if not gone_ids:
        return
    rows = session.scalars(
        select(StripeObject).where(
            StripeObject.connection_id == connection_id,
            StripeObject.object_type == object_type,
            StripeObject.stripe_id.in_(sorted(gone_ids)),
            StripeObject.deleted.is_(False),
            StripeObject.watermark < started,
        )
    )
    gone = []
    for row in rows:
        marker: dict[str, Any] = {"id": row.stripe_id, "deleted": True}
        if row.status is not None:
            marker["status"] = row.status  # keeps a canceled subscription canceled
        gone.append(marker)
    if gone:
        drift["deleted"] += len(gone)
        connection = get_connection(session, workspace_id=workspace_id, connection_id=connection_id)
        upsert_objects(
            session, connection=connection, object_type=object_type, objects=gone, watermark=started
        )
