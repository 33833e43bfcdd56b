"""The worker's sync jobs, each ``job(store, settings, now)`` over every connection.

- ``catch_up_all``: list events since each connection's cursor into the inbox (on start, then
  every ``events_catch_up_seconds``); a failure marks the connection failing with the error,
  the next success marks it connected again.
- ``apply_inbox``: apply pending events (every couple of seconds).
- ``sweep_due``: the reconciliation sweep of every backfilled connection not swept for a day.

Example::

    catch_up_all(store, settings, datetime.now(UTC))
    # {'conn_1': 'listed 3, new 1'}
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from stageline.config import Settings
from stageline.errors import StagelineError
from stageline.store.connections import list_connections, record_connection_error
from stageline.store.db import Store
from stageline.store.models import StripeConnection
from stageline.store.workspaces import list_workspaces
from stageline.sync.catch_up import catch_up_events, load_cursor
from stageline.sync.gateway import gateways_for, maybe_gateway_for
from stageline.sync.process import InboxResult, process_inbox
from stageline.sync.sweep import SWEEP_CURSOR, run_sweep

log = logging.getLogger("stageline.sync")

INBOX_EVERY_SECONDS = 2.0
SWEEP_CHECK_EVERY_SECONDS = 600.0
SWEEP_EVERY_SECONDS = 86_400
SWEEP_CONCURRENCY = 2


def _connections(store: Store) -> list[StripeConnection]:
    with store.session() as session:
        return [
            connection
            for workspace in list_workspaces(session)
            for connection in list_connections(session, workspace_id=workspace.id)
        ]


def _run_for_each(
    store: Store,
    connections: list[StripeConnection],
    action: Callable[[StripeConnection], str],
) -> dict[str, str]:
    """Run ``action`` per connection; a Stageline error marks that connection failing."""
    outcome: dict[str, str] = {}
    for connection in connections:
        try:
            outcome[connection.id] = action(connection)
        except StagelineError as exc:
            log.warning("sync of %s failed: %s", connection.id, exc.one_line())
            _mark(store, connection.id, error=exc.one_line())
            outcome[connection.id] = f"error: {exc.one_line()}"
            continue
        if connection.status == "failing":
            _mark(store, connection.id, error=None)
    return outcome


def _mark(store: Store, connection_id: str, *, error: str | None) -> None:
    with store.session() as session:
        record_connection_error(session, connection_id=connection_id, error=error)


def catch_up_all(store: Store, settings: Settings, now: datetime) -> dict[str, str]:
    """The events catch-up of every connection that has an API key."""

    def catch_up(connection: StripeConnection) -> str:
        gateway = maybe_gateway_for(connection, settings)
        if gateway is None:
            return "skipped: no API key"
        result = catch_up_events(
            store,
            workspace_id=connection.workspace_id,
            connection_id=connection.id,
            gateway=gateway,
            now=now,
        )
        return f"listed {result.listed}, new {result.new}"

    return _run_for_each(store, _connections(store), catch_up)


def apply_inbox(store: Store, settings: Settings, now: datetime) -> InboxResult:
    """Apply every pending event, re-fetching through each connection's own key."""
    return process_inbox(
        store, now=now, gateway_for=lambda connection: maybe_gateway_for(connection, settings)
    )


def sweep_due(store: Store, settings: Settings, now: datetime) -> dict[str, str]:
    """Sweep the backfilled connections whose last sweep is a day old (or never ran)."""
    due = []
    for connection in _connections(store):
        if connection.api_key_ciphertext is None or connection.last_backfill_at is None:
            continue
        with store.session() as session:
            cursor = load_cursor(session, connection_id=connection.id, name=SWEEP_CURSOR)
        last = int(cursor.value.get("at", 0)) if cursor is not None else 0
        if now.timestamp() - last >= SWEEP_EVERY_SECONDS:
            due.append(connection)

    def sweep(connection: StripeConnection) -> str:
        result = run_sweep(
            store,
            workspace_id=connection.workspace_id,
            connection_id=connection.id,
            gateway=gateways_for(connection, settings, count=SWEEP_CONCURRENCY),
            now=now,
        )
        return f"checked {result.checked}, drift {result.total_drift}"

    return _run_for_each(store, due, sweep)
