"""A change of an account's facts is logged once: the change log, the MRR ledger and the stage
history are unique per account and revision, on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from stageline.errors import ConcurrentChange
from stageline.facts.ledger import Snapshot, record_changes
from stageline.store import accounts as account_store
from stageline.store.facts import flush_changes
from stageline.store.locks import lock_workspace
from stageline.store.models import (
    AccountFacts,
    FactChange,
    MrrMovement,
    StageTransition,
)
from tests.facts.conftest import DAY, NOW, World, customer_json, sub_json


def _account(world: World, external_id: str = "acme") -> int:
    world.accounts((external_id, external_id.title()))
    with world.store.session() as session:
        return account_store.account_ids_by_external_id(session, workspace_id=world.workspace_id)[
            external_id
        ]


def _movement(
    world: World, account_id: int, *, revision: int, currency: str = "usd"
) -> MrrMovement:
    return MrrMovement(
        workspace_id=world.workspace_id, account_id=account_id, revision=revision,
        kind="new", currency=currency, amount=4900, previous_amount=0, current_amount=4900,
        cause="evt_1", at=NOW,
    )  # fmt: skip


def _ledger(world: World) -> list[tuple[int, str, str]]:
    with world.store.session() as session:
        rows = session.scalars(
            select(MrrMovement).order_by(MrrMovement.revision, MrrMovement.currency)
        )
        return [(row.revision, row.kind, row.currency) for row in rows]


def test_a_duplicate_movement_is_refused_and_nothing_of_its_transaction_is_kept(
    world: World,
) -> None:
    account_id = _account(world)
    with world.store.session() as session:
        session.add(_movement(world, account_id, revision=1))
        session.add(_movement(world, account_id, revision=1, currency="eur"))
        flush_changes(session)
    with pytest.raises(ConcurrentChange) as raised, world.store.session() as session:
        session.add(
            StageTransition(
                workspace_id=world.workspace_id, account_id=account_id, revision=2,
                from_stage=None, to_stage="Customer", cause="evt_2", at=NOW,
            )
        )  # fmt: skip
        session.add(_movement(world, account_id, revision=1))
        flush_changes(session)
    assert raised.value.retryable
    assert _ledger(world) == [(1, "new", "eur"), (1, "new", "usd")]
    with world.store.session() as session:
        assert session.scalars(select(StageTransition)).all() == []


def _second_log_row(kind: str, workspace_id: str, account_id: int) -> object:
    if kind == "stage transition":
        return StageTransition(
            workspace_id=workspace_id, account_id=account_id, revision=1, from_stage="Trial",
            to_stage="Customer", cause="evt_9", at=NOW + DAY,
        )  # fmt: skip
    return FactChange(
        workspace_id=workspace_id, account_id=account_id, revision=1, kind="stage",
        old_value={"value": "Trial"}, new_value={"value": "Customer"}, cause="evt_9",
        at=NOW + DAY,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["stage transition", "fact change"])
def test_each_log_takes_one_row_per_revision(world: World, kind: str) -> None:
    account_id = _account(world)
    with world.store.session() as session:
        session.add(_second_log_row(kind, world.workspace_id, account_id))
    with pytest.raises(ConcurrentChange), world.store.session() as session:
        session.add(_second_log_row(kind, world.workspace_id, account_id))
        flush_changes(session)


def test_other_integrity_errors_are_not_taken_for_a_concurrent_change(world: World) -> None:
    with pytest.raises(IntegrityError), world.store.session() as session:
        session.add(_movement(world, 999_999, revision=1))  # no such account
        flush_changes(session)


def test_logging_the_same_change_twice_from_the_same_facts_is_refused(world: World) -> None:
    """What two racing recomputes do: both read the facts at revision 0 and log the change."""
    account_id = _account(world)
    paid = Snapshot(totals={"usd": 4900}, amount=4900, currency="usd", stage="Customer",
                    renewal_date=None)  # fmt: skip

    def log_from_revision_zero() -> None:
        with world.store.session() as session:
            lock_workspace(session, workspace_id=world.workspace_id)
            recorded = record_changes(
                session, workspace_id=world.workspace_id, account_id=account_id, old=None,
                new=paid, had_mrr_before=False, now=NOW, cause="evt_1", revision=0,
            )  # fmt: skip
            assert recorded.revision == 1
            flush_changes(session)

    log_from_revision_zero()
    with pytest.raises(ConcurrentChange):
        log_from_revision_zero()
    assert _ledger(world) == [(1, "new", "usd")]


def test_churn_reactivation_and_churn_again_by_the_same_cause_are_all_kept(world: World) -> None:
    _account(world)
    world.put("customer", customer_json("cus_1", "acme"))
    for day, status in enumerate(("active", "canceled", "active", "canceled")):
        if status == "active":
            world.put("subscription", sub_json(f"sub_{day}", "cus_1"))
        else:
            world.put("subscription", sub_json(f"sub_{day - 1}", "cus_1", status="canceled"))
        world.recompute(now=NOW + day * DAY, cause="scheduled-refresh")
    assert _ledger(world) == [
        (1, "new", "usd"), (2, "churn", "usd"), (3, "reactivation", "usd"), (4, "churn", "usd"),
    ]  # fmt: skip
    with world.store.session() as session:
        assert session.scalars(select(AccountFacts.revision)).one() == 4
        transitions = session.scalars(select(StageTransition.revision)).all()
        assert sorted(transitions) == sorted(set(transitions))


def test_an_account_whose_facts_were_removed_goes_on_from_its_ledger(world: World) -> None:
    _account(world)
    world.put("customer", customer_json("cus_1", "acme"))
    world.put("subscription", sub_json("sub_1", "cus_1"))
    world.recompute()
    with world.store.session() as session:
        session.execute(delete(AccountFacts))
    world.put("subscription", sub_json("sub_1", "cus_1", status="canceled"))
    world.recompute(now=NOW + DAY)
    with world.store.session() as session:
        assert set(session.scalars(select(FactChange.revision))) == {1, 2}
        assert session.scalars(select(AccountFacts.revision)).one() == 2
