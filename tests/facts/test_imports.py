"""Importing accounts and users changes only what the file says, counts only rows that
changed, and writes MRR movements only where it changes which customers an account matches."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from stageline.errors import InvalidInput, NotFound
from stageline.operations import Imported, import_accounts, import_users
from stageline.store.models import FactChange, Membership, MrrMovement, StageTransition, User
from tests.facts.conftest import DAY, NOW, World, customer_json, sub_json, ts

BY_PROPERTY = {"type": "property", "property": "stripe_customer_id", "target": "account"}
BY_USER_EMAIL = {"type": "email", "target": "user"}


def _accounts(world: World, text: str, *, clear_empty: bool = False, days: int = 1) -> Imported:
    return import_accounts(
        world.store,
        workspace_ref=None,
        csv_text=text,
        now=NOW + days * DAY,
        clear_empty=clear_empty,
    )


def _users(world: World, text: str, *, clear_empty: bool = False, days: int = 1) -> Imported:
    return import_users(
        world.store,
        workspace_ref=None,
        csv_text=text,
        now=NOW + days * DAY,
        clear_empty=clear_empty,
    )


def _counts(result: Imported) -> tuple[int, int, int]:
    return result.created, result.updated, result.unchanged


def _ledger(world: World, external_id: str) -> list[tuple[str, int, str]]:
    shown = world.show(external_id, now=NOW + 9 * DAY)
    return [(m["kind"], m["amount"], m["cause"]) for m in reversed(shown["movements"])]


def _written(world: World) -> tuple[int, int, int]:
    with world.store.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table))
            for table in (MrrMovement, FactChange, StageTransition)
        )


def _matched_by(world: World, step: dict[str, Any]) -> None:
    world.settings({"matching": {world.connection_id: {"steps": [step]}}})


@pytest.fixture
def paying(world: World) -> World:
    """``acme`` holds the Stripe customer ``cus_1`` (in a property), which pays $100 a month;
    the first recompute (a sync) recorded it as new MRR."""
    _matched_by(world, BY_PROPERTY)
    text = (
        "external_id,name,plan,stripe_customer_id\nacme,Acme,pro,cus_1\nglobex,Globex,basic,cus_2\n"
    )
    assert _counts(_accounts(world, text, days=0)) == (2, 0, 0)
    world.put("customer", customer_json("cus_1"))
    world.put("subscription", sub_json("sub_1", "cus_1"))
    world.recompute(cause="sync")
    assert _ledger(world, "acme") == [("new", 10000, "sync")]
    return world


def test_columns_the_file_leaves_out_keep_their_values(paying: World) -> None:
    result = _accounts(paying, "external_id,name,plan\nacme,Acme Inc,enterprise\n")
    assert _counts(result) == (0, 1, 0)
    acme = paying.show("acme", now=NOW + DAY)
    assert acme["name"] == "Acme Inc"
    assert acme["properties"] == {"plan": "enterprise", "stripe_customer_id": "cus_1"}
    assert (acme["stripe_customer_ids"], acme["mrr"]["amount"]) == (["cus_1"], 10000)
    assert _ledger(paying, "acme") == [("new", 10000, "sync")]
    paying.recompute(now=NOW + 2 * DAY, cause="sync")  # a later sync finds nothing to record
    assert _ledger(paying, "acme") == [("new", 10000, "sync")]


def test_an_import_that_changes_nothing_counts_unchanged_and_writes_nothing(
    paying: World,
) -> None:
    before = _written(paying)
    result = _accounts(paying, "external_id,name,plan\nacme,Acme,pro\nglobex,,\n")
    assert (_counts(result), result.recomputed) == ((0, 0, 2), None)
    assert _written(paying) == before
    result = _accounts(paying, "external_id,plan\nacme,pro\nglobex,premium\n")
    assert _counts(result) == (0, 1, 1)
    assert paying.show("globex")["properties"] == {"plan": "premium", "stripe_customer_id": "cus_2"}
    assert _written(paying) == before


def test_clear_empty_clears_and_a_changed_match_is_the_imports_movement(paying: World) -> None:
    kept = _accounts(paying, "external_id,name,plan,stripe_customer_id\nacme,Acme,,\n")
    assert _counts(kept) == (0, 0, 1)
    cleared = _accounts(
        paying, "external_id,plan,stripe_customer_id\nacme,,\n", clear_empty=True, days=2
    )
    assert _counts(cleared) == (0, 1, 0)
    acme = paying.show("acme", now=NOW + 2 * DAY)
    assert (acme["properties"], acme["stripe_customer_ids"]) == ({}, [])
    assert _ledger(paying, "acme") == [("new", 10000, "sync"), ("churn", -10000, "import")]
    _accounts(paying, "external_id,stripe_customer_id\nacme,cus_1\n", days=3)
    assert _ledger(paying, "acme")[2:] == [("reactivation", 10000, "import")]
    assert [(s["to"], s["cause"]) for s in paying.show("acme")["stage_history"]][:2] == [
        ("Customer", "import"),
        (None, "import"),
    ]


def test_a_new_account_with_its_customer_is_new_mrr_from_the_import(paying: World) -> None:
    paying.put("customer", customer_json("cus_3"))
    paying.put("subscription", sub_json("sub_3", "cus_3", quantity=2))
    paying.recompute(cause="sync")
    result = _accounts(paying, "external_id,name,stripe_customer_id\ninitech,Initech,cus_3\n")
    assert _counts(result) == (1, 0, 0)
    assert _ledger(paying, "initech") == [("new", 20000, "import")]
    assert _ledger(paying, "acme") == [("new", 10000, "sync")]


def test_a_change_the_clock_brought_is_not_recorded_as_the_imports(paying: World) -> None:
    """sub_1 stops counting on day 5 (its scheduled cancellation); an import on day 6 that
    leaves acme's customers alone finds the churn but does not claim it."""
    paying.settings({"mrr_policy": {"keep_scheduled_cancellations": True}})
    paying.put("subscription", sub_json("sub_1", "cus_1", cancel_at=ts(NOW + 5 * DAY)))
    paying.recompute(cause="sync")
    assert _ledger(paying, "acme") == [("new", 10000, "sync")]
    _accounts(paying, "external_id,plan\nacme,enterprise\n", days=6)
    assert _ledger(paying, "acme") == [
        ("new", 10000, "sync"),
        ("churn", -10000, "scheduled-refresh"),
    ]


def test_a_new_account_needs_a_name_and_a_refused_file_writes_nothing(paying: World) -> None:
    with pytest.raises(InvalidInput, match="line 3: account 'initech' is new and has no name"):
        _accounts(paying, "external_id,plan\nacme,enterprise\ninitech,pro\n")
    with pytest.raises(InvalidInput, match="line 3: a quoted value never closes"):
        _accounts(paying, 'external_id,name\nacme,Acme Inc\nglobex,"Globex\ninitech,Initech\n')
    assert paying.show("acme")["properties"] == {"plan": "pro", "stripe_customer_id": "cus_1"}
    assert paying.show("acme")["name"] == "Acme"


@pytest.fixture
def members(world: World) -> World:
    """``u1`` (ann@x.io) belongs to acme; the Stripe customer ``cus_1`` with that email
    matches the user, so acme holds it."""
    _matched_by(world, BY_USER_EMAIL)
    _accounts(world, "external_id,name\nacme,Acme\nglobex,Globex\n", days=0)
    result = _users(
        world,
        "external_id,name,email,account_external_ids,role\nu1,Ann,Ann@x.io,acme,admin\n",
        days=0,
    )
    assert _counts(result) == (1, 0, 0)
    world.put("customer", customer_json("cus_1", email="ann@x.io"))
    world.put("subscription", sub_json("sub_1", "cus_1"))
    world.recompute(cause="sync")
    assert _ledger(world, "acme") == [("new", 10000, "sync")]
    return world


def _user(world: World) -> tuple[Any, ...]:
    with world.store.session() as session:
        user = session.scalars(select(User)).one()
        accounts = session.scalars(
            select(Membership.account_id).where(Membership.user_id == user.id)
        ).all()
        return user.name, user.email, user.properties, len(accounts)


def test_users_keep_email_and_memberships_the_file_leaves_out(members: World) -> None:
    assert _counts(_users(members, "external_id,role\nu1,owner\n")) == (0, 1, 0)
    assert _user(members) == ("Ann", "ann@x.io", {"role": "owner"}, 1)
    text = "external_id,name,email,account_external_ids,role\nu1,,,,owner\n"
    assert _counts(_users(members, text)) == (0, 0, 1)
    assert _ledger(members, "acme") == [("new", 10000, "sync")]
    assert members.show("acme")["stripe_customer_ids"] == ["cus_1"]


def test_users_memberships_move_the_customer_and_clear_empty_removes_them(
    members: World,
) -> None:
    moved = _users(members, "external_id,account_external_ids\nu1,globex\n", days=2)
    assert _counts(moved) == (0, 1, 0)
    assert _ledger(members, "acme") == [("new", 10000, "sync"), ("churn", -10000, "import")]
    assert _ledger(members, "globex") == [("new", 10000, "import")]
    text = "external_id,name,email,account_external_ids,role\nu1,,,,\n"
    cleared = _users(members, text, clear_empty=True, days=3)
    assert _counts(cleared) == (0, 1, 0)
    assert _user(members) == (None, None, {}, 0)
    assert _ledger(members, "globex")[1:] == [("churn", -10000, "import")]


def test_users_refer_to_known_accounts_and_a_refused_file_writes_nothing(members: World) -> None:
    with pytest.raises(NotFound, match="unknown accounts: nope"):
        _users(members, "external_id,account_external_ids\nu1,nope\n")
    with pytest.raises(InvalidInput, match="line 2: expected 2 fields"):
        _users(members, "external_id,role\nu1,owner,extra\n")
    assert _user(members) == ("Ann", "ann@x.io", {"role": "admin"}, 1)
