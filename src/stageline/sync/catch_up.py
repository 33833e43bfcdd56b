"""Events catch-up: list ``/v1/events`` since the cursor and put them through the inbox.

A webhook missed while the endpoint was down is recovered here; overlap with webhooks is
harmless because the inbox keeps one row per event id. The cursor (``SyncCursor`` named
``events``) is set before the first backfill starts, so nothing changed during the backfill
is lost, and it only moves with the events Stripe returns (never with our own clock), a few
minutes behind the newest one. Stripe keeps events for 30 days: the result carries a warning
when the last complete catch-up nears that age, and says so plainly once it is past it
(then only a backfill closes the gap).

Example::

    result = catch_up_events(store, workspace_id="ws_1", connection_id="conn_1",
                             gateway=gateway, now=datetime.now(UTC))
    result.new
    # 3
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stageline.store.connections import get_connection
from stageline.store.db import Store
from stageline.store.models import StripeConnection, SyncCursor
from stageline.stripe_api.client import StripeGateway
from stageline.sync.inbox import record_events

log = logging.getLogger("stageline.sync")

EVENTS_CURSOR = "events"
EVENT_RETENTION_SECONDS = 30 * 86_400
WARN_AFTER_SECONDS = 25 * 86_400
OVERLAP_SECONDS = 300
"""Each catch-up re-lists this much before the newest event it saw: an event can appear in
the list a moment after events created later (and test clocks emit events in the past)."""


@dataclass(frozen=True)
class CatchUpResult:
    listed: int
    new: int
    since: int
    warning: str | None = None


def load_cursor(session: Session, *, connection_id: str, name: str) -> SyncCursor | None:
    return session.scalar(
        select(SyncCursor).where(SyncCursor.connection_id == connection_id, SyncCursor.name == name)
    )


def save_cursor(
    session: Session, *, connection_id: str, name: str, value: dict[str, Any], now: datetime
) -> None:
    cursor = load_cursor(session, connection_id=connection_id, name=name)
    if cursor is None:
        workspace_id = session.scalars(
            select(StripeConnection.workspace_id).where(StripeConnection.id == connection_id)
        ).one()
        session.add(
            SyncCursor(
                workspace_id=workspace_id,
                connection_id=connection_id,
                name=name,
                value=value,
                updated_at=now,
            )
        )
    else:
        cursor.value = dict(value)
        cursor.updated_at = now
    session.flush()


def ensure_events_cursor(session: Session, *, connection_id: str, now: datetime) -> int:
    """Start the events cursor at ``now`` unless it already runs; returns its position."""
    cursor = load_cursor(session, connection_id=connection_id, name=EVENTS_CURSOR)
    if cursor is not None and "since" in cursor.value:
        return int(cursor.value["since"])
    since = int(now.timestamp())
    save_cursor(
        session,
        connection_id=connection_id,
        name=EVENTS_CURSOR,
        value={"since": since, "checked_at": None, "last_event_id": None},
        now=now,
    )
    return since


def window_warning(last_success: int, now: datetime) -> str | None:
    """A warning when events since ``last_success`` (the last catch-up that went through,
    or the cursor's start) are about to fall, or fell, out of Stripe's 30-day window."""
    age = int(now.timestamp()) - last_success
    if age > EVENT_RETENTION_SECONDS:
        return (
            f"no events catch-up for {age // 86_400} days, past Stripe's 30-day window: "
            "events may be lost, run a backfill (stageline sync)"
        )
    if age > WARN_AFTER_SECONDS:
        return (
            f"no events catch-up for {age // 86_400} days; Stripe keeps events 30 days: "
            "check the worker and the Stripe key"
        )
    return None


def last_success(value: dict[str, Any]) -> int | None:
    """When the events were last known complete: the last catch-up, else the cursor's start."""
    found = value.get("checked_at") or value.get("since")
    return int(found) if found is not None else None


def catch_up_events(
    store: Store,
    *,
    workspace_id: str,
    connection_id: str,
    gateway: StripeGateway,
    now: datetime,
) -> CatchUpResult:
    """List every event created since the cursor into the inbox, then move the cursor."""
    with store.session() as session:
        get_connection(session, workspace_id=workspace_id, connection_id=connection_id)
        since = ensure_events_cursor(session, connection_id=connection_id, now=now)
        cursor = load_cursor(session, connection_id=connection_id, name=EVENTS_CURSOR)
        complete_at = last_success(cursor.value if cursor is not None else {}) or since
    warning = window_warning(complete_at, now)
    if warning:
        log.warning("connection %s: %s", connection_id, warning)
    started = int(now.timestamp())
    listed = new = 0
    newest: tuple[int, str] | None = None
    after: str | None = None
    params: dict[str, Any] = {"created": {"gte": since}}
    while True:
        page = gateway.list_page("events", params, starting_after=after)
        events = [e for e in page.objects if isinstance(e.get("id"), str) and "created" in e]
        if events:
            with store.session() as session:
                connection = get_connection(
                    session, workspace_id=workspace_id, connection_id=connection_id
                )
                new += record_events(
                    session,
                    connection=connection,
                    events=[(e, json.dumps(e, separators=(",", ":"))) for e in events],
                    source="catch_up",
                    now=now,
                )
            top = max((int(e["created"]), str(e["id"])) for e in events)
            newest = top if newest is None or top > newest else newest
        listed += len(page.objects)
        if not page.has_more or page.last_id is None:
            break
        after = page.last_id
    with store.session() as session:
        previous = load_cursor(session, connection_id=connection_id, name=EVENTS_CURSOR)
        value = dict(previous.value) if previous is not None else {}
        value.update(checked_at=started, warning=warning, listed=listed, new=new)
        if newest is not None:
            value.update(
                since=max(since, newest[0] - OVERLAP_SECONDS),
                last_event_created=newest[0],
                last_event_id=newest[1],
            )
        save_cursor(session, connection_id=connection_id, name=EVENTS_CURSOR, value=value, now=now)
    return CatchUpResult(listed=listed, new=new, since=since, warning=warning)
