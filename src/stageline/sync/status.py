"""The sync status of a connection, as ``stageline connections show`` and the UI print it.

Connected or failing (with the last error), the last backfill (and whether one is waiting
to resume), webhook health (last delivery, refusals per reason, events that failed to
apply), events lag (how long since the last catch-up, what is still pending, the 30-day
window warning) and the last sweep's drift per object type.

In JSON every moment is ISO 8601 UTC and every duration a number of seconds; for people,
:func:`describe_connection` says the same in words::

    with store.session() as session:
        status = connection_status(session, connection=conn, now=now, public_url=url)
    status["events"]["last_catch_up_at"]     # '2026-12-01T09:30:00Z'
    describe_connection(status, now=now)[0]  # 'connected in test mode to https://...'
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from stageline.store.models import StripeConnection
from stageline.sync.backfill import CHECKPOINT, LAST_BACKFILL
from stageline.sync.catch_up import EVENTS_CURSOR, last_success, load_cursor, window_warning
from stageline.sync.inbox import FAILED, PENDING, UNREADABLE, inbox_summary, rejections
from stageline.sync.sweep import SWEEP_CURSOR


def webhook_url(public_url: str, connection_id: str) -> str:
    return f"{public_url.rstrip('/')}/webhooks/stripe/{connection_id}"


def _iso(value: datetime | int | None) -> str | None:
    """ISO 8601 UTC with a ``Z`` for a datetime or epoch seconds (cursors keep those)."""
    if value is None:
        return None
    moment = datetime.fromtimestamp(value, UTC) if isinstance(value, int) else value
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _age(now: datetime, value: datetime | int | None) -> int | None:
    if value is None:
        return None
    seconds = value if isinstance(value, int) else int(value.timestamp())
    return max(0, int(now.timestamp()) - seconds)


def connection_status(
    session: Session, *, connection: StripeConnection, now: datetime, public_url: str
) -> dict[str, Any]:
    """Everything there is to know about how well ``connection`` keeps in sync."""
    cursors = {
        name: (found.value if found is not None else {})
        for name in (CHECKPOINT, LAST_BACKFILL, EVENTS_CURSOR, SWEEP_CURSOR)
        for found in [load_cursor(session, connection_id=connection.id, name=name)]
    }
    inbox = inbox_summary(session, connection_id=connection.id)
    counts = inbox["counts"]
    events_cursor = cursors[EVENTS_CURSOR]
    complete_at = last_success(events_cursor)
    warning = window_warning(complete_at, now) if complete_at is not None else None
    last = cursors[LAST_BACKFILL]
    return {
        "id": connection.id,
        "mode": connection.mode,
        "api_base": connection.api_base,
        "api_key": connection.api_key_hint,
        "stripe_account_id": connection.stripe_account_id,
        "status": connection.status,
        "last_error": connection.last_error,
        "backfill": {
            "last_at": _iso(connection.last_backfill_at),
            "objects": last.get("counts"),
            "objects_per_second": last.get("objects_per_second"),
            "resumable": bool(cursors[CHECKPOINT].get("started_at")),
        },
        "webhook": {
            "url": webhook_url(public_url, connection.id),
            "endpoint_id": connection.webhook_endpoint_id,
            "signing_secret": connection.webhook_secret_ciphertext is not None,
            "last_received_at": _iso(inbox["last_webhook_at"]),
            "rejected": rejections(session, connection_id=connection.id),
            "failed_events": counts.get(FAILED, 0),
            "unreadable_events": counts.get(UNREADABLE, 0),
        },
        "events": {
            "last_event_at": _iso(connection.last_event_at),
            "last_catch_up_at": _iso(events_cursor.get("checked_at")),
            "lag_seconds": _age(now, events_cursor.get("checked_at")),
            "pending": counts.get(PENDING, 0),
            "oldest_pending_seconds": _age(now, inbox["oldest_pending_at"]),
            "warning": warning,
        },
        "drift": {
            "swept_at": _iso(cursors[SWEEP_CURSOR].get("at")),
            "checked": cursors[SWEEP_CURSOR].get("checked"),
            "counts": cursors[SWEEP_CURSOR].get("drift"),
        },
    }
