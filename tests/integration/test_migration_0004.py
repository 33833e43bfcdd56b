"""Upgrading a database that holds data from revision 0003 (keys without workspace_id) keeps
every row, fills the new columns from the rows they belong to and leaves the schema as the
models describe it, on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stageline.store.db import Store, alembic_config
from stageline.store.models import Account, MrrMovement
from tests.conftest import BACKENDS, blank_database
from tests.integration.test_schema import schema_problems

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _upgrade_to_0003(store: Store) -> None:
    with store.engine.begin() as connection:
        config = alembic_config(store.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")


def _insert(connection: sa.Connection, table: str, *rows: dict[str, Any]) -> None:
    """Insert as the code of revision 0003 did, into the tables as that revision made them."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    connection.execute(sa.insert(reflected), list(rows))


def _workspace(connection: sa.Connection, ws: str) -> None:
    _insert(
        connection,
        "workspaces",
        {
            "id": ws, "name": ws, "api_key_hash": f"k{ws}", "connection_secret_hash": f"s{ws}",
            "settings": {"stages": [{"name": "Customer"}], "reporting_currency": "usd"},
            "created_at": T0,
        },
    )  # fmt: skip
    _insert(
        connection,
        "stripe_connections",
        {
            "id": f"conn_{ws}", "workspace_id": ws, "mode": "test", "api_base": "http://x",
            "metadata_key": "account_id", "status": "connected", "created_at": T0,
        },
    )  # fmt: skip


def _movement(ws: str, account: int, id: int, kind: str, amount: int, at: datetime) -> dict:
    return {
        "id": id, "workspace_id": ws, "account_id": account, "kind": kind, "currency": "usd",
        "amount": amount, "previous_amount": 0, "current_amount": 0, "cause": "scheduled-refresh",
        "at": at,
    }  # fmt: skip


def _fill_0003(connection: sa.Connection) -> None:
    for ws in ("ws_a", "ws_b"):
        _workspace(connection, ws)
    _insert(
        connection,
        "accounts",
        *(
            {"id": i, "workspace_id": ws, "external_id": f"org/{i}", "name": f"Org {i}",
             "properties": {"plan": "pro", "seats": i}, "created_at": T0}
            for i, ws in ((1, "ws_a"), (2, "ws_a"), (3, "ws_b"))
        ),
    )  # fmt: skip
    _insert(
        connection,
        "users",
        *(
            {"id": i, "workspace_id": ws, "external_id": f"u{i}", "email": f"u{i}@x.test",
             "properties": {}, "created_at": T0}
            for i, ws in ((10, "ws_a"), (11, "ws_b"))
        ),
    )  # fmt: skip
    _insert(
        connection,
        "memberships",
        {"user_id": 10, "account_id": 1},
        {"user_id": 10, "account_id": 2},
        {"user_id": 11, "account_id": 3},
    )
    _insert(
        connection,
        "stripe_objects",
        {
            "id": 7, "workspace_id": "ws_b", "connection_id": "conn_ws_b",
            "object_type": "customer", "stripe_id": "cus_1", "customer_id": "cus_1",
            "data": {"id": "cus_1", "metadata": {"account_id": "org/3"}, "zeta": 1, "a": 2},
            "watermark": 5, "deleted": False, "synced_at": T0,
        },
    )  # fmt: skip
    _insert(
        connection,
        "customer_matches",
        {
            "connection_id": "conn_ws_b", "customer_id": "cus_1", "workspace_id": "ws_b",
            "status": "matched", "user_id": 11, "account_ids": [3], "updated_at": T0,
        },
    )  # fmt: skip
    _insert(
        connection,
        "stripe_events",
        {
            "id": 4, "workspace_id": "ws_b", "connection_id": "conn_ws_b", "event_id": "evt_1",
            "type": "customer.updated", "created": 1, "payload": "{}", "source": "webhook",
            "status": "applied", "attempts": 1, "received_at": T0,
        },
    )  # fmt: skip
    _insert(
        connection,
        "sync_cursors",
        {"connection_id": "conn_ws_a", "name": "events", "value": {"since": 1}, "updated_at": T0},
        {"connection_id": "conn_ws_b", "name": "events", "value": {"since": 2}, "updated_at": T0},
    )
    _insert(
        connection,
        "webhook_rejections",
        {"connection_id": "conn_ws_b", "reason": "bad signature", "count": 3, "last_at": T0},
    )
    # account 1: new, churn, reactivation, churn again, all by the same cause; the last two
    # written by two recomputes at the same moment
    _insert(
        connection,
        "mrr_movements",
        _movement("ws_a", 1, 100, "new", 4900, T0),
        _movement("ws_a", 1, 101, "churn", -4900, T0 + HOUR),
        _movement("ws_a", 1, 103, "churn", -4900, T0 + 2 * HOUR),
        _movement("ws_a", 1, 102, "reactivation", 4900, T0 + 2 * HOUR),
        _movement("ws_b", 3, 104, "new", 1000, T0),
    )
    _insert(
        connection,
        "stage_transitions",
        *(
            {"id": id, "workspace_id": "ws_a", "account_id": 1, "from_stage": a, "to_stage": b,
             "cause": "scheduled-refresh", "at": at}
            for id, a, b, at in ((200, None, "Customer", T0), (201, "Customer", "Churn", T0 + HOUR))
        ),
    )  # fmt: skip
    _insert(
        connection,
        "fact_changes",
        *(
            {"id": id, "workspace_id": "ws_a", "account_id": 1, "kind": "mrr",
             "old_value": {"value": None}, "new_value": {"value": {"amount": id}},
             "cause": "scheduled-refresh", "at": T0 + n * HOUR}
            for n, id in enumerate((300, 301, 302))
        ),
    )  # fmt: skip
    _insert(
        connection,
        "account_facts",
        *(
            {"account_id": account, "workspace_id": ws, "mrr_amount": 0, "mrr_currency": "usd",
             "mrr_totals": {"usd": 0}, "stage": "Churn", "customer_ids": ["cus_1"],
             "explanation": {"mrr_lines": []}, "computed_at": T0}
            for account, ws in ((1, "ws_a"), (3, "ws_b"), (2, "ws_a"))
        ),
    )  # fmt: skip


def _advance_sequences(connection: sa.Connection) -> None:
    """On PostgreSQL, leave each id sequence where numbering these rows would have left it."""
    if connection.dialect.name != "postgresql":
        return
    for table in ("accounts", "users", "stripe_objects", "stripe_events", "mrr_movements",
                  "stage_transitions", "fact_changes"):  # fmt: skip
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
        )


def _rows(connection: sa.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.exec_driver_sql(sql)]


@pytest.fixture(scope="module", params=BACKENDS)
def upgraded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A database filled at revision 0003, then upgraded (the tests only read it)."""
    with blank_database(request.param, tmp_path_factory.mktemp("upgraded")) as store:
        _upgrade_to_0003(store)
        with store.engine.begin() as connection:
            _fill_0003(connection)
            _advance_sequences(connection)
        store.migrate()
        yield store


def test_new_workspace_columns_are_filled_from_their_parents(upgraded: Store) -> None:
    with upgraded.engine.connect() as connection:
        assert _rows(
            connection, "SELECT user_id, account_id, workspace_id FROM memberships ORDER BY 1, 2"
        ) == [(10, 1, "ws_a"), (10, 2, "ws_a"), (11, 3, "ws_b")]
        assert _rows(
            connection, "SELECT connection_id, workspace_id FROM sync_cursors ORDER BY 1"
        ) == [("conn_ws_a", "ws_a"), ("conn_ws_b", "ws_b")]
        assert _rows(connection, "SELECT workspace_id, reason, count FROM webhook_rejections") == [
            ("ws_b", "bad signature", 3)
        ]


def test_rows_keep_their_ids_and_documents(upgraded: Store) -> None:
    with upgraded.engine.connect() as connection:
        objects = sa.Table("stripe_objects", sa.MetaData(), autoload_with=connection)
        (row,) = connection.execute(sa.select(objects.c.id, objects.c.data)).all()
        assert row.id == 7
        assert row.data == {"id": "cus_1", "metadata": {"account_id": "org/3"}, "zeta": 1, "a": 2}
        assert _rows(connection, "SELECT id, external_id FROM accounts ORDER BY id") == [
            (1, "org/1"), (2, "org/2"), (3, "org/3"),
        ]  # fmt: skip
        assert _rows(connection, "SELECT id, event_id FROM stripe_events") == [(4, "evt_1")]
        assert _rows(connection, "SELECT customer_id, account_ids FROM customer_matches") in (
            [("cus_1", [3])],
            [("cus_1", "[3]")],
        )


def test_ledger_rows_are_numbered_in_the_order_they_were_written(upgraded: Store) -> None:
    with upgraded.engine.connect() as connection:
        assert _rows(
            connection,
            "SELECT id, kind, revision FROM mrr_movements WHERE account_id = 1 ORDER BY revision",
        ) == [(100, "new", 1), (101, "churn", 2), (102, "reactivation", 3), (103, "churn", 4)]
        assert _rows(connection, "SELECT revision FROM mrr_movements WHERE account_id = 3") == [
            (1,)
        ]
        assert _rows(connection, "SELECT id, revision FROM stage_transitions ORDER BY id") == [
            (200, 1), (201, 2),
        ]  # fmt: skip
        assert _rows(
            connection, "SELECT account_id, revision FROM account_facts ORDER BY account_id"
        ) == [(1, 4), (2, 0), (3, 1)]


def test_the_upgraded_schema_follows_the_rule_and_the_models(upgraded: Store) -> None:
    with upgraded.engine.begin() as connection:
        assert schema_problems(connection) == []
        config = alembic_config(upgraded.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.check(config)


def test_new_rows_are_numbered_after_the_old_ones_and_guarded(upgraded: Store) -> None:
    with upgraded.engine.connect() as connection, connection.begin() as transaction:
        session = Session(bind=connection)
        account = Account(workspace_id="ws_a", external_id="new", name="New", properties={})
        session.add(account)
        session.flush()
        assert account.id == 4
        session.add(_movement_row(revision=5, kind="reactivation", amount=4900))
        session.flush()
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(_movement_row(revision=4, kind="churn", amount=-4900))
        transaction.rollback()


def _movement_row(*, revision: int, kind: str, amount: int) -> MrrMovement:
    return MrrMovement(
        workspace_id="ws_a", account_id=1, revision=revision, kind=kind, currency="usd",
        amount=amount, previous_amount=0, current_amount=0, cause="later",
        at=T0 + 3 * HOUR,
    )  # fmt: skip
