"""The Stripe mirror: newest-known copy of every Stripe object, per connection.

An object is only replaced by a version that is not older (``watermark``: the Stripe event's
``created`` or the time a list call began); a canceled subscription is never revived by an
older payload.

Example::

    upsert_objects(session, connection=conn, object_type="customer",
                   objects=[{"id": "cus_1", ...}], watermark=1764000000)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stageline.store.models import StripeConnection, StripeObject, utcnow

TERMINAL_SUBSCRIPTION_STATUSES = frozenset({"canceled", "incomplete_expired"})


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    skipped_stale: int = 0


def customer_of(object_type: str, data: Mapping[str, Any]) -> str | None:
    if object_type == "customer":
        return str(data["id"])
    ref = data.get("customer")
    if isinstance(ref, Mapping):
        ref = ref.get("id")
    return str(ref) if ref else None


def upsert_objects(
    session: Session,
    *,
    connection: StripeConnection,
    object_type: str,
    objects: Sequence[Mapping[str, Any]],
    watermark: int,
) -> UpsertCounts:
    """Insert or replace objects unless what we hold is newer; returns what happened."""
    if not objects:
        return UpsertCounts()
    ids = [str(obj["id"]) for obj in objects]
    held = {
        row.stripe_id: row
        for row in session.scalars(
            select(StripeObject).where(
                StripeObject.workspace_id == connection.workspace_id,
                StripeObject.connection_id == connection.id,
                StripeObject.object_type == object_type,
                StripeObject.stripe_id.in_(ids),
            )
        )
    }
    inserted = updated = stale = 0
    now = utcnow()
    for obj in objects:
        row = held.get(str(obj["id"]))
        deleted = bool(obj.get("deleted", False))
        if row is None:
            row = StripeObject(
                workspace_id=connection.workspace_id,
                connection_id=connection.id,
                object_type=object_type,
                stripe_id=str(obj["id"]),
                customer_id=customer_of(object_type, obj),
                status=obj.get("status"),
                data=dict(obj),
                watermark=watermark,
                deleted=deleted,
                synced_at=now,
            )
            session.add(row)
            held[row.stripe_id] = row
            inserted += 1
            continue
        if watermark < row.watermark or _would_revive(row, obj):
            stale += 1
            continue
        merged = _merge_without_nulling(row.data, obj) if not deleted else {**row.data, **obj}
        row.data = merged
        row.customer_id = customer_of(object_type, merged) or row.customer_id
        row.status = merged.get("status")
        row.watermark = watermark
        row.deleted = deleted or row.deleted
        row.synced_at = now
        updated += 1
    session.flush()
    return UpsertCounts(inserted=inserted, updated=updated, skipped_stale=stale)


def _would_revive(row: StripeObject, incoming: Mapping[str, Any]) -> bool:
    return (
        row.object_type == "subscription"
        and row.status in TERMINAL_SUBSCRIPTION_STATUSES
        and incoming.get("status") not in TERMINAL_SUBSCRIPTION_STATUSES
    )


def _merge_without_nulling(known: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """Incoming wins, except a null or unexpanded id never replaces a known expanded value."""
    merged = dict(known)
    for key, value in incoming.items():
        old = known.get(key)
        if value is None and old is not None and key not in _NULLABLE_ON_PURPOSE:
            continue
        if isinstance(value, str) and isinstance(old, Mapping) and old.get("id") == value:
            continue
        merged[key] = value
    return merged


# Fields Stripe sets back to null on purpose (a cleared cancellation, an ended trial...).
_NULLABLE_ON_PURPOSE = frozenset(
    {
        "cancel_at", "canceled_at", "ended_at", "trial_end", "trial_start", "pause_collection",
        "discount", "default_payment_method", "cancellation_details", "description", "email",
        "name", "phone", "billing_thresholds",
    }
)  # fmt: skip


def load_objects(
    session: Session,
    *,
    workspace_id: str,
    object_type: str,
    connection_ids: Iterable[str] | None = None,
    customer_ids: Iterable[str] | None = None,
) -> list[StripeObject]:
    query = select(StripeObject).where(
        StripeObject.workspace_id == workspace_id, StripeObject.object_type == object_type
    )
    if connection_ids is not None:
        query = query.where(StripeObject.connection_id.in_(list(connection_ids)))
    if customer_ids is not None:
        query = query.where(StripeObject.customer_id.in_(list(customer_ids)))
    return list(session.scalars(query.order_by(StripeObject.id)))


def count_objects(session: Session, *, connection_id: str) -> dict[str, int]:
    rows = session.execute(
        select(StripeObject.object_type, func.count())
        .where(StripeObject.connection_id == connection_id)
        .group_by(StripeObject.object_type)
    )
    return {object_type: int(count) for object_type, count in rows}
