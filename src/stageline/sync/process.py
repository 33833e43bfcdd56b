"""``process_inbox``: apply pending Stripe events, a workspace batch per transaction.

A batch takes the workspace's sync lock, claims its oldest pending events (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), applies each, recomputes the account facts once and marks the events
done, all in one transaction. A crash anywhere rolls the whole batch back to pending, so a
re-run applies every event exactly once. Fact changes name the event that caused them: when a
batch holds several events, each change is credited to the latest event that touched one of
the account's customers.

A batch that fails for a reason other than Stripe being unavailable is replayed one event at a
time; an event that keeps failing is parked as ``failed`` and the rest goes on.

>>> result = process_inbox(store, now=datetime.now(UTC),  # doctest: +SKIP
...                        gateway_for=lambda connection: gateway)
>>> result.applied  # doctest: +SKIP
42
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stageline.errors import InvalidInput, StripeError
from stageline.facts import recompute_facts
from stageline.store.connections import list_connections
from stageline.store.db import Store
from stageline.store.models import (
    AccountFacts,
    FactChange,
    StripeConnection,
    StripeEvent,
    Workspace,
)
from stageline.stripe_api.client import StripeGateway
from stageline.sync.apply import Applied, Refetch, apply_event
from stageline.sync.events import FACT_OBJECT_TYPES, UnreadableObject
from stageline.sync.inbox import UNREADABLE, claim_events, note_failure, pending_workspaces
from stageline.sync.locks import lock_workspace, log, with_retries

GatewayFor = Callable[[StripeConnection], StripeGateway | None]
AfterApply = Callable[[StripeEvent], None]
MAX_ATTEMPTS = 3
BATCH_SIZE = 200


@dataclass
class InboxResult:
    """Counts of one ``process_inbox`` run."""

    statuses: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    failed: int = 0
    deferred: list[str] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return sum(self.statuses.values())

    def count(self, applied: Applied) -> None:
        self.statuses[applied.status] = self.statuses.get(applied.status, 0) + 1
        if applied.note:
            self.notes[applied.note] = self.notes.get(applied.note, 0) + 1


def process_inbox(
    store: Store,
    *,
    now: datetime,
    gateway_for: GatewayFor,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
    after_apply: AfterApply | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> InboxResult:
    """Apply pending events until none is left (or ``max_batches`` ran); see the module doc."""
    result = InboxResult()
    deferred: set[str] = set()
    gateways: dict[str, StripeGateway | None] = {}
    while max_batches is None or result.batches < max_batches:
        with store.session() as session:
            waiting = [w for w in pending_workspaces(session) if w not in deferred]
        if not waiting:
            break
        progressed = False
        for workspace_id in waiting:
            runner = _BatchRunner(store, workspace_id, now, gateway_for, gateways, sleep)
            try:
                try:
                    done = runner.run(batch_size, result, after_apply)
                except StripeError:
                    raise
                except Exception as exc:
                    log.warning(
                        "inbox batch of %s failed (%r); applying one event at a time",
                        workspace_id,
                        exc,
                    )
                    done = _one_by_one(runner, result, after_apply)
            except StripeError as exc:
                log.warning("inbox of %s deferred: %s", workspace_id, exc.one_line())
                deferred.add(workspace_id)
                result.deferred.append(workspace_id)
                continue
            result.batches += 1
            progressed = progressed or done > 0
            if max_batches is not None and result.batches >= max_batches:
                break
        if not progressed:
            break
    return result


def _one_by_one(runner: _BatchRunner, result: InboxResult, after_apply: AfterApply | None) -> int:
    """Apply events singly so that one bad event cannot hold back the others."""
    done = 0
    while True:
        try:
            count = runner.run(1, result, after_apply)
        except StripeError:
            raise
        except Exception as exc:  # one event's own failure: count it, go on with the next
            runner.park_oldest(f"{type(exc).__name__}: {exc}", result)
            done += 1
            continue
        if count == 0:
            return done
        done += count


class _BatchRunner:
    """One workspace's batch: lock, claim, apply, recompute, mark; all or nothing."""

    def __init__(
        self,
        store: Store,
        workspace_id: str,
        now: datetime,
        gateway_for: GatewayFor,
        gateways: dict[str, StripeGateway | None],
        sleep: Callable[[float], None],
    ) -> None:
        self.store, self.workspace_id, self.now = store, workspace_id, now
        self._gateway_for, self._gateways, self._sleep = gateway_for, gateways, sleep

    def run(self, limit: int, result: InboxResult, after_apply: AfterApply | None) -> int:
        with self.store.session() as session:
            if not lock_workspace(session, workspace_id=self.workspace_id, wait=False):
                return 0
            events = claim_events(session, workspace_id=self.workspace_id, limit=limit)
            if not events:
                return 0
            connections = {
                c.id: c for c in list_connections(session, workspace_id=self.workspace_id)
            }
            touched: list[tuple[str, Applied]] = []
            for row in events:
                connection = connections[row.connection_id]
                applied = self._apply(session, connection, row)
                row.status, row.error = applied.status, None
                if applied.status == UNREADABLE:
                    row.error = applied.note
                row.attempts += 1
                row.applied_at = self.now
                touched.append((row.event_id, applied))
                _note_event_time(connection, row.created)
                if after_apply is not None:
                    after_apply(row)
            self._refresh_facts(session, touched)
        for _event_id, applied in touched:
            result.count(applied)
        return len(events)

    def _apply(self, session: Session, connection: StripeConnection, row: StripeEvent) -> Applied:
        try:
            event = json.loads(row.payload)
            return apply_event(
                session, connection=connection, event=event, refetch=self._refetch(connection)
            )
        except (UnreadableObject, json.JSONDecodeError) as exc:
            log.warning("event %s (%s) kept raw, not applied: %s", row.event_id, row.type, exc)
            return Applied(status=UNREADABLE, note=str(exc)[:500])

    def _refetch(self, connection: StripeConnection) -> Refetch | None:
        if connection.id not in self._gateways:
            self._gateways[connection.id] = self._gateway_for(connection)
        gateway = self._gateways[connection.id]
        if gateway is None:
            return None
        sleep = self._sleep

        def refetch(endpoint: str, object_id: str, expand: list[str]) -> dict[str, Any] | None:
            params = {"expand": expand} if expand else None
            try:
                return with_retries(
                    lambda: gateway.retrieve(endpoint, object_id, params),
                    sleep=sleep,
                    what=f"re-fetch of {object_id}",
                )
            except InvalidInput:
                return None  # gone from Stripe (404): apply what the event said

        return refetch

    def _refresh_facts(self, session: Session, touched: list[tuple[str, Applied]]) -> None:
        relevant = [
            (event_id, applied)
            for event_id, applied in touched
            if applied.changed and applied.object_type in FACT_OBJECT_TYPES
        ]
        if not relevant:
            return
        workspace = session.get_one(Workspace, self.workspace_id)
        if len(relevant) == 1:
            recompute_facts(session, workspace=workspace, now=self.now, cause=relevant[0][0])
            return
        marker = f"inbox-batch:{relevant[-1][0]}"[:200]
        recompute_facts(session, workspace=workspace, now=self.now, cause=marker)
        _credit_changes(session, self.workspace_id, marker, relevant)

    def park_oldest(self, error: str, result: InboxResult) -> None:
        """Count a failed attempt on the oldest pending event; park it after MAX_ATTEMPTS."""
        with self.store.session() as session:
            events = claim_events(session, workspace_id=self.workspace_id, limit=1)
            if not events:
                return
            row = events[0]
            give_up = row.attempts + 1 >= MAX_ATTEMPTS
            note_failure(session, event_pk=row.id, error=error, give_up=give_up)
            log.error(
                "event %s failed to apply (attempt %d): %s", row.event_id, row.attempts + 1, error
            )
            if give_up:
                result.failed += 1


def _note_event_time(connection: StripeConnection, created: int) -> None:
    at = datetime.fromtimestamp(created, tz=UTC)
    if connection.last_event_at is None or connection.last_event_at < at:
        connection.last_event_at = at


def _credit_changes(
    session: Session, workspace_id: str, marker: str, relevant: list[tuple[str, Applied]]
) -> None:
    """Credit each fact change of a batch to the latest event touching the account."""
    changes = list(
        session.scalars(
            select(FactChange).where(
                FactChange.workspace_id == workspace_id, FactChange.cause == marker
            )
        )
    )
    if not changes:
        return
    latest_by_customer = {a.customer_id: event_id for event_id, a in relevant if a.customer_id}
    catalog = [event_id for event_id, a in relevant if a.object_type in ("price", "coupon")]
    fallback = catalog[-1] if catalog else relevant[-1][0]
    facts = {
        f.account_id: f
        for f in session.scalars(
            select(AccountFacts).where(
                AccountFacts.account_id.in_({change.account_id for change in changes})
            )
        )
    }
    order = {event_id: index for index, (event_id, _) in enumerate(relevant)}
    for change in changes:
        customers = facts[change.account_id].customer_ids if change.account_id in facts else []
        candidates = [latest_by_customer[c] for c in customers if c in latest_by_customer]
        change.cause = max(candidates, key=order.__getitem__) if candidates else fallback
