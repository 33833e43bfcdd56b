"""A recompute started by an import, a settings change or the scheduled refresh, racing an inbox
batch about the same account, writes each ledger row once.

The workspace counts a scheduled cancellation until it takes effect, and the account's
subscription is cancelled at a date that has passed when the race runs, so both writers see
the same change (its MRR drops to nothing). The racer is held right after
it read the account's stored facts, the inbox batch runs to its end meanwhile, then the
racer goes on: without a shared lock both record the churn. Events and barriers order the
two writers; nothing waits for time to pass.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from stageline.config import Settings
from stageline.facts.configure import MrrChange, set_mrr
from stageline.operations import import_accounts
from stageline.store.db import Store
from stageline.store.models import FactChange, MrrMovement, StageTransition, StripeConnection
from stageline.store.workspaces import find_workspace
from stageline.sync.inbox import record_event
from stageline.sync.process import process_inbox
from stageline.worker import refresh_time_based_facts
from tests.sync.conftest import (
    NOW,
    SEED_NOW,
    Linked,
    body_of,
    customer,
    event,
    link_workspace,
    subscription,
)

LATER = NOW + timedelta(days=2)  # the cancellation below has taken effect
CANCEL_AT = SEED_NOW + 86_400
GIVE_UP = 120.0  # seconds; only a broken test ever waits this long

Racer = Callable[[Store, Settings], object]


def _refresh(store: Store, settings: Settings) -> object:
    return refresh_time_based_facts(store, settings, LATER)


def _import(store: Store, settings: Settings) -> object:
    csv = "external_id,name\nacct-1,Account One\n"
    return import_accounts(store, workspace_ref="Acme", csv_text=csv, now=LATER)


def _keep_scheduled_cancellations(store: Store, now: datetime) -> object:
    with store.session() as session:
        workspace = find_workspace(session, ref="Acme")
        change = MrrChange(switches={"keep_scheduled_cancellations": True})
        return set_mrr(session, workspace=workspace, change=change, now=now)


def _settings(store: Store, settings: Settings) -> object:
    return _keep_scheduled_cancellations(store, LATER)  # as saved before: nothing changes


RACERS: dict[str, Racer] = {"scheduled-refresh": _refresh, "import": _import, "settings": _settings}


def _deliver(linked: Linked, *events: dict[str, Any]) -> None:
    with linked.store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        for evt in events:
            record_event(
                session,
                connection=connection,
                event=evt,
                payload=body_of(evt),
                source="webhook",
                now=NOW,
            )


@contextmanager
def _held_after_reading_facts(
    store: Store, thread: threading.Thread
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """``(paused, resume)``: ``thread`` stops right after its first read of stored facts,
    inside its transaction, sets ``paused`` and waits for ``resume``."""
    paused, resume = threading.Event(), threading.Event()

    def after_execute(*args: Any) -> None:
        statement = str(args[2])
        if threading.current_thread() is not thread or paused.is_set():
            return
        if statement.lstrip().upper().startswith("SELECT") and "FROM account_facts" in statement:
            paused.set()
            resume.wait(GIVE_UP)

    sa_event.listen(store.engine, "after_cursor_execute", after_execute)
    try:
        yield paused, resume
    finally:
        resume.set()
        sa_event.remove(store.engine, "after_cursor_execute", after_execute)


def _repeated(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    return {row: n for row, n in Counter(rows).items() if n > 1}


@pytest.mark.parametrize("racer", sorted(RACERS))
def test_a_recompute_racing_an_inbox_batch_writes_each_ledger_row_once(
    pg_store: Store, pg_settings: Settings, racer: str
) -> None:
    store = pg_store
    linked = link_workspace(store, pg_settings, accounts=1)
    _keep_scheduled_cancellations(store, NOW)
    _deliver(
        linked,
        event("evt_c", "customer.created", SEED_NOW - 20, customer(1)),
        event(
            "evt_s",
            "customer.subscription.created",
            SEED_NOW - 10,
            subscription(1, cancel_at=CANCEL_AT),
        ),
    )
    process_inbox(store, now=NOW, gateway_for=lambda _c: None)
    _deliver(linked, event("evt_u", "customer.updated", SEED_NOW, customer(1, name="Renamed Ltd")))

    failures: list[BaseException] = []

    def race() -> None:
        try:
            RACERS[racer](store, pg_settings)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=race, name=f"racer-{racer}")
    with _held_after_reading_facts(store, thread) as (paused, resume):
        thread.start()
        assert paused.wait(GIVE_UP), "the racer never read the stored facts"
        process_inbox(store, now=LATER, gateway_for=lambda _c: None)  # may find it locked
        resume.set()
        thread.join(GIVE_UP)
    assert not thread.is_alive() and failures == []
    process_inbox(store, now=LATER, gateway_for=lambda _c: None)  # whatever was left

    with store.session() as session:
        movements = [
            (m.account_id, m.kind, m.currency, m.amount, m.previous_amount, m.current_amount)
            for m in session.scalars(select(MrrMovement))
        ]
        transitions = [
            (t.account_id, t.from_stage, t.to_stage)
            for t in session.scalars(select(StageTransition))
        ]
        changes = [
            (c.account_id, c.kind, repr(c.old_value), repr(c.new_value))
            for c in session.scalars(select(FactChange))
        ]
    assert [m[1] for m in movements].count("churn") == 1
    assert _repeated(movements) == {}
    assert _repeated(transitions) == {}
    assert _repeated(changes) == {}
