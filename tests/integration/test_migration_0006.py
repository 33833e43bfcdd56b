"""Upgrading a database where one Stripe account was connected twice merges the two
connections into the older one: each Stripe object and event is held once, and the unique
constraint keeps it so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError

from stageline.store.db import Store, alembic_config
from tests.conftest import BACKENDS, blank_database

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _upgrade_to(store: Store, revision: str) -> None:
    with store.engine.begin() as connection:
        config = alembic_config(store.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _insert(connection: sa.Connection, table: str, *rows: dict[str, Any]) -> None:
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    connection.execute(sa.insert(reflected), list(rows))


def _connection(id: str, ws: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "id": id, "workspace_id": ws, "mode": "test", "api_base": "http://x",
        "metadata_key": "account_id", "status": "connected", "created_at": at,
        "api_key_hint": None, "api_key_ciphertext": None, "stripe_account_id": None, **extra,
    }  # fmt: skip


def _object(
    id: int, ws: str, conn: str, kind: str, stripe_id: str, watermark: int = 1
) -> dict[str, Any]:
    return {
        "id": id, "workspace_id": ws, "connection_id": conn, "object_type": kind,
        "stripe_id": stripe_id, "data": {"id": stripe_id, "seen_by": conn},
        "watermark": watermark, "deleted": False, "synced_at": T0,
    }  # fmt: skip


def _fill(connection: sa.Connection) -> None:
    for ws in ("ws_a", "ws_b"):
        _insert(
            connection,
            "workspaces",
            {"id": ws, "name": ws, "api_key_hash": f"k{ws}", "connection_secret_hash": f"s{ws}",
             "settings": {}, "created_at": T0},
        )  # fmt: skip
    later = T0 + timedelta(days=1)
    _insert(
        connection,
        "stripe_connections",
        # the account, connected first, then again with a new key (the old one revoked since)
        _connection("conn_old", "ws_a", T0, api_key_ciphertext="old-key", api_key_hint="…old"),
        _connection("conn_new", "ws_a", later, api_key_ciphertext="new-key", api_key_hint="…new"),
        _connection("conn_app", "ws_a", later, stripe_account_id="acct_app"),  # no key yet
        _connection(
            "conn_other", "ws_a", later, stripe_account_id="acct_other", api_key_ciphertext="k"
        ),
        _connection("conn_b", "ws_b", T0, api_key_ciphertext="k"),  # never merged across
    )
    _insert(
        connection,
        "stripe_objects",
        _object(1, "ws_a", "conn_old", "customer", "cus_1"),
        _object(2, "ws_a", "conn_old", "subscription", "sub_1"),
        _object(3, "ws_a", "conn_new", "customer", "cus_1"),
        _object(4, "ws_a", "conn_new", "subscription", "sub_1", watermark=5),  # newer copy
        _object(5, "ws_a", "conn_new", "customer", "cus_2"),  # only the new one heard of it
        _object(6, "ws_a", "conn_other", "customer", "cus_9"),
        _object(7, "ws_b", "conn_b", "subscription", "sub_1"),
    )
    _insert(
        connection,
        "sync_cursors",
        *(
            {"workspace_id": "ws_a", "connection_id": c, "name": "events", "value": {},
             "updated_at": T0}
            for c in ("conn_old", "conn_new")
        ),
    )  # fmt: skip


@pytest.fixture(params=BACKENDS)
def upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with blank_database(request.param, tmp_path) as store:
        _upgrade_to(store, "0005")
        with store.engine.begin() as connection:
            _fill(connection)
        store.migrate()
        yield store


def _rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql)]


def test_duplicate_connections_merge_into_the_oldest(upgraded: Store) -> None:
    assert _rows(upgraded, "SELECT id, status FROM stripe_connections ORDER BY id") == [
        ("conn_app", "waiting_for_key"),
        ("conn_b", "connected"),
        ("conn_old", "connected"),
        ("conn_other", "connected"),
    ]
    assert _rows(
        upgraded,
        "SELECT connection_id, object_type, stripe_id FROM stripe_objects "
        "WHERE workspace_id = 'ws_a' ORDER BY 1, 2, 3",
    ) == [
        ("conn_old", "customer", "cus_1"),
        ("conn_old", "customer", "cus_2"),
        ("conn_old", "subscription", "sub_1"),
        ("conn_other", "customer", "cus_9"),
    ]
    assert _rows(upgraded, "SELECT connection_id FROM sync_cursors") == [("conn_old",)]
    assert _rows(
        upgraded,
        "SELECT api_key_ciphertext, api_key_hint FROM stripe_connections WHERE id = 'conn_old'",
    ) == [("new-key", "…new")]
    with upgraded.engine.connect() as connection:
        kept = sa.Table("stripe_objects", sa.MetaData(), autoload_with=connection)
        seen = {
            row.stripe_id: row.data["seen_by"]
            for row in connection.execute(sa.select(kept).where(kept.c.workspace_id == "ws_a"))
        }
    assert seen == {
        "cus_1": "conn_old",
        "sub_1": "conn_new",
        "cus_2": "conn_new",
        "cus_9": "conn_other",
    }


def test_the_same_account_cannot_be_connected_twice_again(upgraded: Store) -> None:
    with pytest.raises(IntegrityError), upgraded.engine.begin() as connection:
        _insert(
            connection,
            "stripe_connections",
            _connection("conn_dup", "ws_a", T0, stripe_account_id="acct_other"),
        )
