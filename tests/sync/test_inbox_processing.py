"""Applying inbox events: order, duplicates, ties, old shapes, odd input, crashes, causes."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.mirror import load_objects
from stageline.store.models import (
    AccountFacts,
    FactChange,
    MrrMovement,
    StageTransition,
    StripeConnection,
    StripeEvent,
)
from stageline.sync.inbox import record_event
from stageline.sync.process import InboxResult, process_inbox
from stageline_sandbox import SandboxHandle
from tests.conftest import HANG_LIMIT
from tests.sync.conftest import (
    NOW,
    SEED_NOW,
    Linked,
    body_of,
    customer,
    event,
    link_workspace,
    sandbox_gateway,
    subscription,
)

T = SEED_NOW - 3600


def _deliver(linked: Linked, *events: dict[str, Any]) -> list[bool]:
    stored = []
    with linked.store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        for evt in events:
            stored.append(
                record_event(
                    session,
                    connection=connection,
                    event=evt,
                    payload=body_of(evt),
                    source="webhook",
                    now=NOW,
                )
            )
    return stored


def _process(linked: Linked, gateway: Any = None, **kwargs: Any) -> InboxResult:
    return process_inbox(linked.store, now=NOW, gateway_for=lambda _c: gateway, **kwargs)


def _held(linked: Linked, object_type: str) -> dict[str, dict[str, Any]]:
    with linked.store.session() as session:
        rows = load_objects(session, workspace_id=linked.workspace_id, object_type=object_type)
        return {row.stripe_id: {**row.data, "_deleted": row.deleted} for row in rows}


def _statuses(linked: Linked) -> dict[str, str]:
    with linked.store.session() as session:
        return {e.event_id: e.status for e in session.scalars(select(StripeEvent))}


def _facts(linked: Linked) -> dict[int, AccountFacts]:
    with linked.store.session() as session:
        return {f.account_id: f for f in session.scalars(select(AccountFacts))}


def _causes(linked: Linked) -> list[tuple[int, str, str]]:
    with linked.store.session() as session:
        rows = session.scalars(select(FactChange).where(FactChange.cause.like("evt_%")))
        return sorted((c.account_id, c.kind, c.cause) for c in rows)


def test_events_in_any_order_end_at_the_newest_version(linked: Linked) -> None:
    created = event("evt_1", "customer.subscription.created", T, subscription(1, "trialing"))
    grown = event("evt_3", "customer.subscription.updated", T + 20, subscription(1, quantity=3))
    paid = event("evt_2", "customer.subscription.updated", T + 10, subscription(1, quantity=1))
    _deliver(linked, event("evt_0", "customer.created", T - 5, customer(1)))
    _process(linked)
    _deliver(linked, grown, created, paid)
    result = _process(linked)
    held = _held(linked, "subscription")["sub_1"]
    assert held["status"] == "active"
    assert held["items"]["data"][0]["quantity"] == 3
    assert result.statuses == {"applied": 3}
    assert set(_statuses(linked).values()) == {"applied"}
    facts = list(_facts(linked).values())
    assert [f.mrr_amount for f in facts if f.customer_ids == ["cus_1"]] == [3000]


def test_a_late_update_never_revives_a_canceled_subscription(linked: Linked) -> None:
    canceled = subscription(1, "canceled", canceled_at=T + 10, ended_at=T + 10)
    _deliver(
        linked,
        event("evt_c", "customer.created", T - 5, customer(1)),
        event("evt_del", "customer.subscription.deleted", T + 10, canceled),
        event("evt_old", "customer.subscription.updated", T + 5, subscription(1, "active")),
        event("evt_tie", "customer.subscription.updated", T + 10, subscription(1, "past_due")),
    )
    _process(linked)  # no API key usable: the tie is applied as received, the mirror refuses
    assert _held(linked, "subscription")["sub_1"]["status"] == "canceled"
    assert all(status == "applied" for status in _statuses(linked).values())


def test_a_duplicate_delivery_is_stored_and_applied_once(linked: Linked) -> None:
    evt = event("evt_dup", "customer.created", T, customer(1))
    assert _deliver(linked, evt, evt) == [True, False]
    assert _deliver(linked, evt) == [False]
    result = _process(linked)
    assert result.processed == 1
    assert _process(linked).processed == 0
    with linked.store.session() as session:
        rows = list(session.scalars(select(StripeEvent)))
    assert [(r.event_id, r.attempts, r.status) for r in rows] == [("evt_dup", 1, "applied")]


def test_an_older_api_version_payload_is_read(linked: Linked) -> None:
    legacy = subscription(1)
    item = legacy["items"]["data"][0]
    period_end = item.pop("current_period_end")
    item.pop("current_period_start")
    legacy.update(current_period_end=period_end, current_period_start=period_end - 86_400 * 30)
    _deliver(
        linked,
        event("evt_c", "customer.created", T - 5, customer(1), api_version="2024-06-20"),
        event("evt_s", "customer.subscription.created", T, legacy, api_version="2024-06-20"),
    )
    _process(linked)
    held = _held(linked, "subscription")["sub_1"]
    assert held["items"]["data"][0]["current_period_end"] == period_end
    renewal = [f.renewal_date for f in _facts(linked).values() if f.customer_ids == ["cus_1"]]
    assert renewal and renewal[0] is not None
    assert renewal[0].date().isoformat() == "2026-01-11"


def test_unknown_types_are_ignored_and_odd_shapes_kept_raw(linked: Linked) -> None:
    odd = subscription(2)
    odd["items"]["data"][0]["price"] = {
        **odd["items"]["data"][0]["price"],
        "recurring": {"interval": "fortnight"},
    }
    _deliver(
        linked,
        event("evt_charge", "charge.succeeded", T, {"id": "ch_1", "object": "charge"}),
        event("evt_upcoming", "invoice.upcoming", T, {"object": "invoice", "customer": "cus_1"}),
        event("evt_odd", "customer.subscription.created", T, odd),
        event("evt_noobj", "customer.updated", T, {"object": "customer"}),
        event("evt_ok", "customer.created", T + 1, customer(1)),
    )
    result = _process(linked)
    assert _statuses(linked) == {
        "evt_charge": "ignored",
        "evt_upcoming": "ignored",
        "evt_odd": "unreadable",
        "evt_noobj": "unreadable",
        "evt_ok": "applied",
    }
    assert result.statuses == {"ignored": 2, "unreadable": 2, "applied": 1}
    assert "sub_2" not in _held(linked, "subscription")
    assert "cus_1" in _held(linked, "customer")
    with linked.store.session() as session:
        odd_row = session.scalar(select(StripeEvent).where(StripeEvent.event_id == "evt_odd"))
        assert odd_row is not None and "fortnight" in (odd_row.error or "")
        assert '"fortnight"' in odd_row.payload


def test_deleted_objects_are_marked_and_a_partial_payload_nulls_nothing(linked: Linked) -> None:
    _deliver(
        linked,
        event("evt_1", "customer.created", T, customer(1, name="Ada")),
        event(
            "evt_2",
            "customer.updated",
            T + 1,
            {"id": "cus_1", "object": "customer", "email": None, "metadata": {"x": "1"}},
        ),
        event("evt_3", "customer.created", T, customer(2)),
        event("evt_4", "customer.deleted", T + 2, customer(2)),
    )
    _process(linked)
    _deliver(linked, event("evt_5", "customer.updated", T + 1, customer(2, name="late")))
    assert _process(linked).notes == {"stale": 1}
    held = _held(linked, "customer")
    assert held["cus_1"]["name"] == "Ada"
    assert held["cus_1"]["metadata"] == {"x": "1"}
    assert held["cus_2"]["_deleted"] is True
    assert held["cus_2"].get("name") != "late"


def test_a_same_second_tie_is_settled_by_refetching(
    store: Store, settings: Settings, seeded_sandbox: SandboxHandle
) -> None:
    linked = link_workspace(store, settings, api_base=seeded_sandbox.url)
    gateway = sandbox_gateway(seeded_sandbox.url)
    real = gateway.list_page("subscriptions", {"status": "active", "limit": 1}).objects[0]
    sub_id, customer_id = real["id"], real["customer"]
    fake = {**real, "status": "past_due", "metadata": {"guess": "1"}}
    fake2 = {**real, "status": "unpaid"}
    _deliver(
        linked,
        event("evt_a", "customer.subscription.updated", T, fake),
        event("evt_b", "customer.subscription.updated", T, fake2),
    )
    result = _process(linked, gateway)
    held = _held(linked, "subscription")[sub_id]
    assert held["status"] == "active"
    assert held["customer"] == customer_id
    assert result.notes.get("refetched", 0) >= 1
    assert all(isinstance(d, dict) for d in held.get("discounts") or [])


class Killed(BaseException):
    """Stands for the process dying: nothing in the worker catches it."""


def test_a_crash_mid_batch_loses_nothing_and_applies_each_event_once(linked: Linked) -> None:
    events = [event(f"evt_c{n}", "customer.created", T + n, customer(n)) for n in (1, 2, 3)]
    events += [
        event(f"evt_s{n}", "customer.subscription.created", T + 10 + n, subscription(n))
        for n in (1, 2, 3)
    ]
    _deliver(linked, *events)
    seen: list[str] = []

    def crash_after_four(row: StripeEvent) -> None:
        seen.append(row.event_id)
        if len(seen) == 4:
            raise Killed

    with pytest.raises(Killed):
        _process(linked, after_apply=crash_after_four)
    assert set(_statuses(linked).values()) == {"pending"}
    assert _held(linked, "customer") == {}

    with pytest.raises(Killed):  # the next worker dies too, one batch of two later
        seen.clear()
        _process(linked, batch_size=2, after_apply=crash_after_four)
    assert sorted(_statuses(linked).values()).count("applied") == 2

    result = _process(linked, batch_size=2)
    assert result.processed == 4
    with linked.store.session() as session:
        rows = list(session.scalars(select(StripeEvent)))
    assert {(r.status, r.attempts) for r in rows} == {("applied", 1)}
    assert sorted(f.mrr_amount for f in _facts(linked).values()) == [1000, 1000, 1000]
    mrr_causes = [cause for _a, kind, cause in _causes(linked) if kind == "mrr"]
    assert sorted(mrr_causes) == ["evt_s1", "evt_s2", "evt_s3"]


def test_one_bad_event_is_parked_and_the_rest_applied(linked: Linked) -> None:
    _deliver(
        linked, *[event(f"evt_{n}", "customer.created", T + n, customer(n)) for n in (1, 2, 3)]
    )

    def explode_on_two(row: StripeEvent) -> None:
        if row.event_id == "evt_2":
            raise RuntimeError("boom")

    result = _process(linked, after_apply=explode_on_two)
    assert _statuses(linked) == {"evt_1": "applied", "evt_2": "failed", "evt_3": "applied"}
    assert result.failed == 1
    with linked.store.session() as session:
        bad = session.scalar(select(StripeEvent).where(StripeEvent.event_id == "evt_2"))
        assert bad is not None and bad.attempts == 3 and "boom" in (bad.error or "")


def test_each_fact_change_names_the_event_behind_it(linked: Linked) -> None:
    _deliver(linked, *[event(f"evt_c{n}", "customer.created", T, customer(n)) for n in (1, 2)])
    _process(linked)
    _deliver(
        linked,
        event("evt_one", "customer.subscription.created", T + 1, subscription(1, quantity=2)),
        event("evt_two", "customer.subscription.created", T + 2, subscription(2, quantity=5)),
    )
    _process(linked)
    causes = {(kind, cause) for _a, kind, cause in _causes(linked)}
    assert ("mrr", "evt_one") in causes and ("mrr", "evt_two") in causes
    with linked.store.session() as session:
        movements = {m.cause for m in session.scalars(select(MrrMovement))}
        transitions = {t.cause for t in session.scalars(select(StageTransition))}
    assert movements == {"evt_one", "evt_two"}
    assert {"evt_one", "evt_two"} <= transitions
    _deliver(
        linked, event("evt_up", "customer.subscription.updated", T + 3, subscription(2, quantity=6))
    )
    _process(linked)
    assert ("mrr", "evt_up") in {(kind, cause) for _a, kind, cause in _causes(linked)}


def test_concurrent_workers_apply_each_event_exactly_once(store: Store, settings: Settings) -> None:
    acme = link_workspace(store, settings, name="Acme")
    globex = link_workspace(store, settings, name="Globex")
    for linked in (acme, globex):
        _deliver(
            linked,
            *[event(f"evt_c{n}", "customer.created", T + n, customer(n)) for n in range(1, 4)],
        )
        _deliver(
            linked,
            *[
                event(
                    f"evt_s{n}_{q}",
                    "customer.subscription.updated",
                    T + 10 + q,
                    subscription(n, quantity=q),
                )
                for n in range(1, 4)
                for q in range(1, 21)
            ],
        )
    results: list[InboxResult] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(
                process_inbox(store, now=NOW, gateway_for=lambda _c: None, batch_size=25)
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_LIMIT)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    _process(acme)  # whatever a worker left because another held the lock
    with store.session() as session:
        rows = list(session.scalars(select(StripeEvent)))
    assert len(rows) == 2 * (3 + 60)
    assert {(r.status, r.attempts) for r in rows} == {("applied", 1)}
    assert sum(r.processed for r in results) <= len(rows)
    for linked in (acme, globex):
        held = _held(linked, "subscription")
        assert {k: v["items"]["data"][0]["quantity"] for k, v in held.items()} == {
            "sub_1": 20,
            "sub_2": 20,
            "sub_3": 20,
        }
