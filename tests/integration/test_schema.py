"""The schema can be sharded by workspace, and the models agree with the migrations.

The rule (docs/architecture.md): every tenant table carries ``workspace_id``; its primary key
and unique constraints include it; references between tenant tables go through it; JSON
columns are JSONB on PostgreSQL. Checked on the migrated database itself, so a table added by
a migration without following the rule fails here.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.dialects import postgresql

from stageline.store.db import Store, alembic_config

EXEMPT = {
    "workspaces": (
        "the tenants themselves, found by API key or connection secret before any workspace "
        "is known: a reference table (copied to every node) under Citus"
    ),
    "stripe_app_signatures": (
        "Stripe App install signatures, checked for a replay before the request names its "
        "workspace: global"
    ),
    "alembic_version": "the schema's own revision: global",
}


def schema_problems(bind: sa.Connection) -> list[str]:
    """Every breach of the sharding rule in the database ``bind`` is connected to."""
    inspector = sa.inspect(bind)
    tables = set(inspector.get_table_names())
    problems = [f"{name}: listed as exempt but absent" for name in sorted(EXEMPT.keys() - tables)]
    for table in sorted(tables):
        columns = {column["name"]: column for column in inspector.get_columns(table)}
        problems += _json_problems(bind, table, columns)
        if table not in EXEMPT:
            problems += _tenant_problems(bind, inspector, table, columns)
    return problems


def _tenant_problems(
    bind: sa.Connection, inspector: sa.Inspector, table: str, columns: dict[str, dict]
) -> list[str]:
    if "workspace_id" not in columns:
        return [f"{table}: no workspace_id column (or list it in EXEMPT with the reason)"]
    problems = []
    if columns["workspace_id"]["nullable"]:
        problems.append(f"{table}: workspace_id may be null")
    primary_key = inspector.get_pk_constraint(table)["constrained_columns"]
    if "workspace_id" not in primary_key and not _sqlite_rowid(bind, primary_key, columns):
        problems.append(f"{table}: primary key {primary_key} lacks workspace_id")
    for unique in inspector.get_unique_constraints(table):
        if "workspace_id" not in unique["column_names"]:
            problems.append(f"{table}: unique {unique['column_names']} lacks workspace_id")
    for index in inspector.get_indexes(table):
        if index["unique"] and "workspace_id" not in index["column_names"]:
            problems.append(f"{table}: unique index {index['column_names']} lacks workspace_id")
    references = inspector.get_foreign_keys(table)
    if not any(r["referred_table"] == "workspaces" for r in references):
        problems.append(f"{table}: workspace_id does not refer to workspaces")
    for reference in references:
        if reference["referred_table"] in EXEMPT:
            continue
        pairs = dict(
            zip(reference["constrained_columns"], reference["referred_columns"], strict=True)
        )
        if pairs.get("workspace_id") != "workspace_id":
            problems.append(
                f"{table}: reference to {reference['referred_table']} not through workspace_id"
            )
    return problems


def _sqlite_rowid(bind: sa.Connection, primary_key: list[str], columns: dict[str, dict]) -> bool:
    """SQLite numbers rows only through a lone INTEGER PRIMARY KEY (the rowid); such an id is
    unique in the whole table, so per workspace too, and SQLite is never sharded."""
    return (
        bind.dialect.name == "sqlite"
        and primary_key == ["id"]
        and isinstance(columns["id"]["type"], sa.Integer)
    )


def _json_problems(bind: sa.Connection, table: str, columns: dict[str, dict]) -> list[str]:
    if bind.dialect.name != "postgresql":
        return []
    return [
        f"{table}.{name}: JSON, not JSONB"
        for name, column in columns.items()
        if isinstance(column["type"], sa.JSON) and not isinstance(column["type"], postgresql.JSONB)
    ]


def test_every_tenant_table_is_keyed_by_workspace(store: Store) -> None:
    with store.engine.connect() as connection:
        assert schema_problems(connection) == []


@pytest.mark.parametrize(
    ("ddl", "problem"),
    [
        ("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "notes: no workspace_id"),
        (
            "CREATE TABLE tags (workspace_id VARCHAR(40) NOT NULL REFERENCES workspaces (id), "
            "name VARCHAR(40) NOT NULL, PRIMARY KEY (name))",
            "tags: primary key ['name'] lacks workspace_id",
        ),
        (
            "CREATE TABLE labels (workspace_id VARCHAR(40) NOT NULL REFERENCES workspaces (id), "
            "id VARCHAR(40) NOT NULL, code VARCHAR(40) NOT NULL, PRIMARY KEY (workspace_id, id), "
            "CONSTRAINT uq_labels_code UNIQUE (code))",
            "labels: unique ['code'] lacks workspace_id",
        ),
        (
            "CREATE TABLE drafts (workspace_id VARCHAR(40) REFERENCES workspaces (id), "
            "id INTEGER PRIMARY KEY)",
            "drafts: workspace_id may be null",
        ),
    ],
)
def test_a_table_that_breaks_the_rule_is_caught(store: Store, ddl: str, problem: str) -> None:
    with store.engine.connect() as connection, connection.begin() as transaction:
        connection.exec_driver_sql(ddl)
        found = schema_problems(connection)
        transaction.rollback()
    assert any(p.startswith(problem) for p in found), found


def test_a_json_column_is_jsonb_on_postgresql(store: Store) -> None:
    ddl = (
        "CREATE TABLE documents (workspace_id VARCHAR(40) NOT NULL REFERENCES workspaces (id), "
        "id VARCHAR(40) NOT NULL, body JSON NOT NULL, PRIMARY KEY (workspace_id, id))"
    )
    with store.engine.connect() as connection, connection.begin() as transaction:
        connection.exec_driver_sql(ddl)
        found = schema_problems(connection)
        transaction.rollback()
    expected = ["documents.body: JSON, not JSONB"] if store.dialect == "postgresql" else []
    assert found == expected


def test_the_models_and_the_migrations_agree(store: Store) -> None:
    """``alembic check``: autogenerate finds nothing between the models and the migrated
    database (types included)."""
    with store.engine.begin() as connection:
        config = alembic_config(store.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.check(config)
