"""``process_inbox``: apply pending Stripe events, a workspace batch per transaction.

A batch takes the workspace's sync lock, claims its oldest pending events (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), applies each, recomputes the account facts once and marks the events
done, all in one transaction. A crash anywhere rolls the whole batch back to pending, so a
re-run applies every event exactly once. Fact changes name the event that caused them: when a
batch holds several events, each change is credited to the latest event that touched one of
the account's customers.

A batch that fails for a reason other than Stripe being unavailable is replayed one event at a
time; an event that keeps failing is parked as ``failed`` and the rest goes on. When Stripe
refuses a re-fetch (a 4xx other than 404 ``resource_missing``), the refusal becomes the
connection's last error, an event that cannot be applied without that object is parked as
``failed`` with it, and nothing asks Stripe again; if Stripe is unreachable or rejects the
key, the workspace waits for the next turn and the connection shows why.

Example::

    result = process_inbox(store, now=datetime.now(UTC),
                           gateway_for=lambda connection: gateway)
    result.applied
    # 42
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stageline.errors import StripeError, StripeRefused
from stageline.facts import recompute_facts
from stageline.store.connections import list_connections, record_connection_error
from stageline.store.db import Store
from stageline.store.facts import recredit_causes
from stageline.store.locks import lock_workspace
from stageline.store.models import (
    AccountFacts,
    FactChange,
    StripeConnection,
    StripeEvent,
    StripeObject,
    Workspace,
)
from stageline.stripe_api import mapping
from stageline.stripe_api.client import StripeGateway
from stageline.sync.apply import Applied, apply_event, doubtful_objects
from stageline.sync.events import FACT_OBJECT_TYPES, UnreadableObject, plan_for, target_id
from stageline.sync.fetcher import ObjectFetcher
from stageline.sync.inbox import (
    APPLIED,
    FAILED,
    UNREADABLE,
    claim_events,
    note_failure,
    peek_events,
    pending_workspaces,
)

log = logging.getLogger("stageline.sync")

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
        if applied.status == FAILED:
            self.failed += 1
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
            runner = _BatchRunner(store, workspace_id, now, gateway_for, gateways)
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
    ) -> None:
        self.store, self.workspace_id, self.now = store, workspace_id, now
        self._gateway_for, self._gateways = gateway_for, gateways

    def run(self, limit: int, result: InboxResult, after_apply: AfterApply | None) -> int:
        with self.store.session() as session:
            peeked = peek_events(session, workspace_id=self.workspace_id, limit=limit)
            connections = {
                c.id: c for c in list_connections(session, workspace_id=self.workspace_id)
            }
            if not peeked:
                return 0
            fetchers = self._prefetch(session, peeked, connections)
        with self.store.session() as session:
            if not lock_workspace(session, workspace_id=self.workspace_id, wait=False):
                return 0
            events = claim_events(
                session, workspace_id=self.workspace_id, limit=limit, ids=[e.id for e in peeked]
            )
            touched: list[tuple[str, Applied]] = []
            parsed = [_parsed(row) for row in events]
            last_of = _last_event_of_each_object(events, parsed)
            for index, row in enumerate(events):
                connection = session.get_one(StripeConnection, row.connection_id)
                fetcher = fetchers.get(row.connection_id)
                covered = _covered(index, row, parsed[index], last_of, fetcher)
                applied = covered or self._apply(session, connection, row, fetcher)
                row.status, row.error = applied.status, None
                if applied.status in (UNREADABLE, FAILED):
                    row.error = applied.note
                row.attempts += 1
                row.applied_at = self.now
                touched.append((row.event_id, applied))
                _note_event_time(connection, row.created)
                if after_apply is not None:
                    after_apply(row)
            self._refresh_facts(session, touched)
            for connection_id, fetcher in fetchers.items():
                if fetcher.refusals:
                    error = fetcher.refusals[-1].one_line()
                    record_connection_error(session, connection_id=connection_id, error=error)
        for _event_id, applied in touched:
            result.count(applied)
        return len(events)

    def _prefetch(
        self,
        session: Session,
        peeked: list[StripeEvent],
        connections: dict[str, StripeConnection],
    ) -> dict[str, ObjectFetcher]:
        """Fetch, before locking anything, what the batch may need to re-fetch."""
        fetchers: dict[str, ObjectFetcher] = {}
        for connection_id in {e.connection_id for e in peeked}:
            if connection_id not in self._gateways:
                self._gateways[connection_id] = self._gateway_for(connections[connection_id])
            gateway = self._gateways[connection_id]
            if gateway is None:
                continue
            events = [_parsed(e) for e in peeked if e.connection_id == connection_id]
            wanted = doubtful_objects(
                [e for e in events if e is not None], _watermarks(session, connection_id, events)
            )
            fetcher = ObjectFetcher(gateway)
            try:
                fetcher.prefetch(wanted)
            except StripeError as exc:
                with self.store.session() as own:
                    error = f"re-fetching for the inbox: {exc.one_line()}"
                    record_connection_error(own, connection_id=connection_id, error=error)
                raise
            fetchers[connection_id] = fetcher
        return fetchers

    def _apply(
        self,
        session: Session,
        connection: StripeConnection,
        row: StripeEvent,
        fetcher: ObjectFetcher | None,
    ) -> Applied:
        try:
            event = json.loads(row.payload)
            return apply_event(session, connection=connection, event=event, refetch=fetcher)
        except (UnreadableObject, json.JSONDecodeError) as exc:
            log.warning("event %s (%s) kept raw, not applied: %s", row.event_id, row.type, exc)
            return Applied(status=UNREADABLE, note=str(exc)[:500])
        except StripeRefused as exc:
            log.warning("event %s (%s) parked: %s", row.event_id, row.type, exc.one_line())
            return Applied(status=FAILED, note=exc.one_line()[:500])

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


def _target(event: dict[str, Any] | None) -> tuple[str, str, str] | None:
    """``(connection-free key) endpoint, object type, id`` an event is about, if any."""
    if event is None:
        return None
    plan = plan_for(str(event.get("type", "")))
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if plan.object_type is None or plan.endpoint is None or not isinstance(obj, dict):
        return None
    try:
        return plan.endpoint, plan.object_type, target_id(plan, obj)
    except UnreadableObject:
        return None


def _last_event_of_each_object(
    rows: list[StripeEvent], parsed: list[dict[str, Any] | None]
) -> dict[tuple[str, str, str, str], int]:
    """``(connection, endpoint, type, id) -> index`` of the batch's last event about it."""
    last: dict[tuple[str, str, str, str], int] = {}
    for index, (row, event) in enumerate(zip(rows, parsed, strict=True)):
        target = _target(event)
        if target is not None:
            last[(row.connection_id, *target)] = index
    return last


def _covered(
    index: int,
    row: StripeEvent,
    event: dict[str, Any] | None,
    last_of: dict[tuple[str, str, str, str], int],
    fetcher: ObjectFetcher | None,
) -> Applied | None:
    """An event whose object was re-fetched for this batch is served by that copy, which the
    batch's last event about the object applies (with the newest watermark); earlier ones
    are done without writing."""
    target = _target(event)
    if target is None or fetcher is None or not fetcher.holds(target[0], target[2]):
        return None
    if last_of[(row.connection_id, *target)] == index:
        return None
    if event is not None and plan_for(str(event.get("type", ""))).deleted:
        return None
    return Applied(
        status=APPLIED, object_type=target[1], object_id=target[2], note="covered by re-fetch"
    )


def _parsed(row: StripeEvent) -> dict[str, Any] | None:
    try:
        event = json.loads(row.payload)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def _watermarks(
    session: Session, connection_id: str, events: list[dict[str, Any] | None]
) -> dict[tuple[str, str], int]:
    """The held watermark of every object the events talk about (by id, any type)."""
    ids: set[str] = set()
    for event in events:
        data = (event or {}).get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if isinstance(obj, dict):
            ids.update(str(v) for v in (obj.get("id"), mapping.object_id(obj.get("customer"))) if v)
    rows = session.execute(
        select(StripeObject.object_type, StripeObject.stripe_id, StripeObject.watermark).where(
            StripeObject.connection_id == connection_id, StripeObject.stripe_id.in_(sorted(ids))
        )
    )
    return {(object_type, stripe_id): int(mark) for object_type, stripe_id, mark in rows}


def _note_event_time(connection: StripeConnection, created: int) -> None:
    at = datetime.fromtimestamp(created, tz=UTC)
    if connection.last_event_at is None or connection.last_event_at < at:
        connection.last_event_at = at


def _credit_changes(
    session: Session, workspace_id: str, marker: str, relevant: list[tuple[str, Applied]]
) -> None:
    """Credit each change of a batch (facts, MRR movements, stage transitions) to the latest
    event touching the account."""
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
    causes: dict[int, str] = {}
    for account_id in {change.account_id for change in changes}:
        customers = facts[account_id].customer_ids if account_id in facts else []
        candidates = [latest_by_customer[c] for c in customers if c in latest_by_customer]
        causes[account_id] = max(candidates, key=order.__getitem__) if candidates else fallback
    recredit_causes(session, workspace_id=workspace_id, marker=marker, causes=causes)
