"""The inbox: raw Stripe events kept durably, once per (connection, event id), until applied.

Webhook deliveries and the events catch-up both write here; the worker claims pending rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and applies them. A duplicate insert is a no-op,
so overlapping sources are harmless.

Example::

    with store.session() as session:
        record_event(session, connection=conn, event=event, payload=body, source="webhook",
                     now=now)
    # True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from stageline.errors import InvalidInput
from stageline.json_input import loads_strict
from stageline.store.models import StripeConnection, StripeEvent, WebhookRejection

PENDING = "pending"
APPLIED = "applied"  # the mirror took the object (or already held something newer)
IGNORED = "ignored"  # an event type the mirror does not hold
UNREADABLE = "unreadable"  # an object shape we do not understand; kept raw
FAILED = "failed"  # applying failed repeatedly; kept for a look and a replay
DONE_STATUSES = frozenset({APPLIED, IGNORED, UNREADABLE, FAILED})
MAX_CREATED = 253402300800  # 10000-01-01T00:00:00Z: a Unix time a BigInteger column holds


def parse_event(body: bytes) -> dict[str, Any]:
    """A Stripe event from a request body; ``InvalidInput`` if it is not one."""
    try:
        event = loads_strict(body)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc.msg}", code="invalid_json") from exc
    if not isinstance(event, dict):
        raise InvalidInput("the body is not a JSON object")
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 120:
        raise InvalidInput("the event has no usable id")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 120:
        raise InvalidInput("the event has no usable type")
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created < MAX_CREATED:
        raise InvalidInput("the event has no usable created timestamp")
    return event


def _insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _event_row(
    connection: StripeConnection, event: Mapping[str, Any], payload: str, source: str, now: datetime
) -> dict[str, Any]:
    api_version = event.get("api_version")
    return {
        "workspace_id": connection.workspace_id,
        "connection_id": connection.id,
        "event_id": event["id"],
        "type": event["type"],
        "created": int(event["created"]),
        "api_version": api_version if isinstance(api_version, str) else None,
        "payload": payload,
        "source": source,
        "status": PENDING,
        "attempts": 0,
        "received_at": now,
    }


def record_events(
    session: Session,
    *,
    connection: StripeConnection,
    events: Sequence[tuple[Mapping[str, Any], str]],
    source: str,
    now: datetime,
) -> int:
    """Store ``(event, raw payload)`` pairs not yet held; returns how many were new."""
    if not events:
        return 0
    table = StripeEvent.__table__
    assert isinstance(table, Table)
    rows = [_event_row(connection, event, payload, source, now) for event, payload in events]
    statement = (
        _insert(session, table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["workspace_id", "connection_id", "event_id"])
        .returning(table.c.id)
    )
    return len(session.execute(statement).all())


def record_event(
    session: Session,
    *,
    connection: StripeConnection,
    event: Mapping[str, Any],
    payload: str,
    source: str,
    now: datetime,
) -> bool:
    """Store one event; ``False`` when it was already held (a duplicate delivery)."""
    return (
        record_events(
            session, connection=connection, events=[(event, payload)], source=source, now=now
        )
        == 1
    )


def count_rejection(session: Session, *, connection_id: str, reason: str, now: datetime) -> None:
    """Add one to the connection's counter of refused deliveries for ``reason``."""
    table = WebhookRejection.__table__
    assert isinstance(table, Table)
    workspace_id = (
        select(StripeConnection.workspace_id)
        .where(StripeConnection.id == connection_id)
        .scalar_subquery()
    )
    statement = (
        _insert(session, table)
        .values(
            workspace_id=workspace_id,
            connection_id=connection_id,
            reason=reason,
            count=1,
            last_at=now,
        )
        .on_conflict_do_update(
            index_elements=["workspace_id", "connection_id", "reason"],
            set_={"count": table.c.count + 1, "last_at": now},
        )
    )
    session.execute(statement)


def rejections(session: Session, *, connection_id: str) -> dict[str, int]:
    rows = session.execute(
        select(WebhookRejection.reason, WebhookRejection.count).where(
            WebhookRejection.connection_id == connection_id
        )
    )
    return {reason: int(count) for reason, count in rows}


def pending_workspaces(session: Session) -> list[str]:
    """Workspaces with pending events, the one waiting longest first."""
    rows = session.execute(
        select(StripeEvent.workspace_id, func.min(StripeEvent.received_at))
        .where(StripeEvent.status == PENDING)
        .group_by(StripeEvent.workspace_id)
    )
    return [workspace_id for workspace_id, _ in sorted(rows, key=lambda row: row[1])]


def claim_events(
    session: Session, *, workspace_id: str, limit: int, ids: Sequence[int] | None = None
) -> list[StripeEvent]:
    """Lock up to ``limit`` pending events of a workspace (only ``ids`` if given), oldest (by
    ``created``) first; without the lock (``peek_events``) to look before claiming."""
    query = (
        select(StripeEvent)
        .where(StripeEvent.workspace_id == workspace_id, StripeEvent.status == PENDING)
        .order_by(StripeEvent.created, StripeEvent.id)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(StripeEvent.id.in_(list(ids)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def peek_events(session: Session, *, workspace_id: str, limit: int) -> list[StripeEvent]:
    """The pending events ``claim_events`` would take, read without locking them."""
    return list(
        session.scalars(
            select(StripeEvent)
            .where(StripeEvent.workspace_id == workspace_id, StripeEvent.status == PENDING)
            .order_by(StripeEvent.created, StripeEvent.id)
            .limit(limit)
        )
    )


def note_failure(session: Session, *, event_pk: int, error: str, give_up: bool) -> None:
    """Count a failed attempt on an event (in its own transaction); ``give_up`` parks it."""
    values: dict[str, Any] = {"attempts": StripeEvent.attempts + 1, "error": error[:2000]}
    if give_up:
        values["status"] = FAILED
    session.execute(update(StripeEvent).where(StripeEvent.id == event_pk).values(**values))


def inbox_summary(session: Session, *, connection_id: str) -> dict[str, Any]:
    """Counts per status, the oldest pending event and the last one received."""
    by_status = dict(
        session.execute(
            select(StripeEvent.status, func.count())
            .where(StripeEvent.connection_id == connection_id)
            .group_by(StripeEvent.status)
        ).all()
    )
    oldest_pending = session.scalar(
        select(func.min(StripeEvent.received_at)).where(
            StripeEvent.connection_id == connection_id, StripeEvent.status == PENDING
        )
    )
    last_webhook = session.scalar(
        select(func.max(StripeEvent.received_at)).where(
            StripeEvent.connection_id == connection_id, StripeEvent.source == "webhook"
        )
    )
    return {
        "counts": {str(k): int(v) for k, v in by_status.items()},
        "oldest_pending_at": oldest_pending,
        "last_webhook_at": last_webhook,
    }
