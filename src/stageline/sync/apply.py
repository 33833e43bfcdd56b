"""Apply one Stripe event to the mirror, through the same upsert as the backfill.

The event's ``created`` is the watermark: an object is never replaced by an older version.
When the event is as old as what we hold (a same-second burst) and says something different,
when its payload leaves out what we need (unexpanded discounts, tiers), or when it was
rendered at an API version older than 2025-03-31, the object is re-fetched from Stripe (at
our pinned version) instead of guessing; without an API key the payload is read as it is,
in either shape. A late update never revives a canceled
subscription (the mirror refuses it), and a partial payload never nulls known fields.

When Stripe refuses a re-fetch (``StripeRefused``: a 4xx that does not say the object is
gone), an event with a payload is applied as received; one that only names its object
(``customer.discount.*``) cannot be, and the refusal propagates to the caller.

Example::

    applied = apply_event(session, connection=conn, event=event, refetch=None)
    applied.status, applied.changed
    # ('applied', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from stageline.errors import StripeRefused
from stageline.store.mirror import customer_of, upsert_objects
from stageline.store.models import StripeConnection, StripeObject
from stageline.sync.events import (
    EventPlan,
    UnreadableObject,
    check_readable,
    expansion_needed,
    normalize,
    plan_for,
    resolve_references,
    target_id,
)
from stageline.sync.inbox import APPLIED, IGNORED


class Refetcher(Protocol):
    """Fetches current objects from Stripe (``None``: Stripe no longer has it)."""

    def fetch(self, endpoint: str, object_id: str, expand: list[str]) -> dict[str, Any] | None:
        """The object as Stripe holds it now; raises ``StripeRefused`` if Stripe refuses."""

    def holds(self, endpoint: str, object_id: str) -> bool:
        """Whether the object was already fetched for the events being applied."""


LEGACY_BEFORE = "2025-03-31"

DEFAULT_EXPAND: dict[str, list[str]] = {"subscription": ["discounts"], "price": ["tiers"]}
"""Expansions every fetch of an object type asks for (the backfill asks the same)."""


@dataclass(frozen=True)
class Applied:
    """What one event did to the mirror."""

    status: str
    object_type: str | None = None
    object_id: str | None = None
    customer_id: str | None = None
    changed: bool = False
    note: str = ""


def apply_event(
    session: Session,
    *,
    connection: StripeConnection,
    event: Mapping[str, Any],
    refetch: Refetcher | None,
) -> Applied:
    """Apply ``event`` to ``connection``'s mirror; raises ``UnreadableObject`` on odd shapes."""
    plan = plan_for(str(event.get("type", "")))
    if plan.object_type is None or plan.endpoint is None:
        return Applied(status=IGNORED, note="event type not mirrored")
    data = event.get("data")
    data_object = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(data_object, Mapping):
        raise UnreadableObject("the event carries no object")
    object_type, endpoint = plan.object_type, plan.endpoint
    object_id = target_id(plan, data_object)
    created = int(event["created"])
    held = _held(session, connection.id, object_type, object_id)
    if held is not None and created < held.watermark:
        return Applied(APPLIED, object_type, object_id, held.customer_id, note="stale")

    legacy = is_legacy_version(event.get("api_version"))
    obj, note = _incoming(plan, data_object, held, created, endpoint, object_id, refetch, legacy)
    if obj is None:
        return Applied(APPLIED, object_type, object_id, note=note)
    check_readable(object_type, obj)
    counts = upsert_objects(
        session, connection=connection, object_type=object_type, objects=[obj], watermark=created
    )
    changed = counts.inserted + counts.updated > 0
    if not changed:
        note = note or "kept terminal state"
    return Applied(
        APPLIED, object_type, object_id, customer_of(object_type, obj), changed=changed, note=note
    )


def _incoming(
    plan: EventPlan,
    data_object: Mapping[str, Any],
    held: StripeObject | None,
    created: int,
    endpoint: str,
    object_id: str,
    refetch: Refetcher | None,
    legacy: bool,
) -> tuple[dict[str, Any] | None, str]:
    """The object version to upsert (``None``: nothing to do) and a note on how it was got."""
    object_type = plan.object_type or ""
    expand = DEFAULT_EXPAND.get(object_type, [])
    if plan.refetch_only:
        if refetch is None:
            return None, "cannot re-fetch without an API key"
        fetched = refetch.fetch(endpoint, object_id, expand)
        return (normalize(object_type, fetched), "refetched") if fetched else (None, "gone")

    obj = normalize(object_type, data_object)
    if plan.deleted:
        return {**obj, "deleted": True}, ""
    obj = resolve_references(object_type, obj, held.data if held is not None else None)
    tie = held is not None and created == held.watermark and not _adds_nothing(held.data, obj)
    doubt = tie or legacy or bool(expansion_needed(object_type, obj))
    if refetch is not None and (doubt or refetch.holds(endpoint, object_id)):
        try:
            fetched = refetch.fetch(endpoint, object_id, expand)
        except StripeRefused:
            return obj, "re-fetch refused: applied as received"
        if fetched is not None:
            return normalize(object_type, fetched), "refetched"
    return obj, "tie applied as received" if tie else ""


def doubtful_objects(
    events: Sequence[Mapping[str, Any]], watermarks: Mapping[tuple[str, str], int]
) -> dict[tuple[str, str], list[str]]:
    """``(endpoint, id) -> expand`` of the objects applying ``events`` (oldest first) may
    need to re-fetch, given the ``(object type, id) -> watermark`` held; to fetch up front.

    Conservative: a tie counts even when the payloads agree.
    """
    marks = dict(watermarks)
    doubtful: dict[tuple[str, str], list[str]] = {}
    for event in events:
        plan = plan_for(str(event.get("type", "")))
        data = event.get("data")
        data_object = data.get("object") if isinstance(data, Mapping) else None
        if (
            plan.object_type is None
            or plan.endpoint is None
            or not isinstance(data_object, Mapping)
        ):
            continue
        try:
            key = (plan.object_type, target_id(plan, data_object))
        except UnreadableObject:
            continue
        created, held = int(event.get("created", 0)), marks.get(key)
        if held is not None and created < held:
            continue
        marks[key] = created
        if plan.deleted:
            continue
        doubt = (
            plan.refetch_only
            or held == created
            or is_legacy_version(event.get("api_version"))
            or bool(expansion_needed(plan.object_type, data_object))
        )
        if doubt:
            doubtful[(plan.endpoint, key[1])] = DEFAULT_EXPAND.get(plan.object_type, [])
    return doubtful


def is_legacy_version(api_version: Any) -> bool:
    """Rendered before 2025-03-31 (billing periods on the subscription, singular discount):
    readable, but lossy next to the current shape, so re-fetched when possible."""
    return isinstance(api_version, str) and api_version[:10] < LEGACY_BEFORE


def _adds_nothing(known: Mapping[str, Any], incoming: Mapping[str, Any]) -> bool:
    return all(value is None or known.get(key) == value for key, value in incoming.items())


def _held(
    session: Session, connection_id: str, object_type: str, object_id: str
) -> StripeObject | None:
    with session.no_autoflush:  # the mirror's own upsert flushes what it changes
        return session.scalar(
            select(StripeObject).where(
                StripeObject.connection_id == connection_id,
                StripeObject.object_type == object_type,
                StripeObject.stripe_id == object_id,
            )
        )
