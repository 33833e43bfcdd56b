"""every tenant table keyed by workspace; JSONB on PostgreSQL; revisions guard the ledger

- ``memberships``, ``sync_cursors`` and ``webhook_rejections`` get ``workspace_id``, filled
  from the user or connection they belong to;
- every tenant table's primary key and unique constraints start with ``workspace_id``, and
  references between tenant tables go through it (on SQLite, tables numbered by the rowid
  keep ``PRIMARY KEY (id)``, see ``stageline.store.models``);
- ``account_facts.revision`` counts an account's logged changes; the change log, the MRR
  ledger and the stage history carry the revision that wrote each row, unique per account
  (and kind or currency). Rows written before are numbered in the order they were written;
- JSON columns become JSONB on PostgreSQL.

PostgreSQL is altered in place; SQLite tables are rebuilt (Alembic batch mode), with foreign
keys checked once at the end (``Store.migrate``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

from stageline.store.models import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "stripe_connections", "accounts", "users", "memberships", "stripe_objects",
    "customer_matches", "account_facts", "fact_changes", "stripe_events", "sync_cursors",
    "webhook_rejections", "mrr_movements", "stage_transitions",
)  # fmt: skip

PRIMARY_KEYS = {
    "stripe_connections": ["workspace_id", "id"],
    "accounts": ["workspace_id", "id"],
    "users": ["workspace_id", "id"],
    "memberships": ["workspace_id", "user_id", "account_id"],
    "stripe_objects": ["workspace_id", "id"],
    "customer_matches": ["workspace_id", "connection_id", "customer_id"],
    "account_facts": ["workspace_id", "account_id"],
    "fact_changes": ["workspace_id", "id"],
    "stripe_events": ["workspace_id", "id"],
    "sync_cursors": ["workspace_id", "connection_id", "name"],
    "webhook_rejections": ["workspace_id", "connection_id", "reason"],
    "mrr_movements": ["workspace_id", "id"],
    "stage_transitions": ["workspace_id", "id"],
}

# (table, name, column, referred table): (workspace_id, column) -> (workspace_id, id)
REFERENCES = (
    ("memberships", "fk_memberships_user", "user_id", "users"),
    ("memberships", "fk_memberships_account", "account_id", "accounts"),
    ("stripe_objects", "fk_stripe_objects_connection", "connection_id", "stripe_connections"),
    ("customer_matches", "fk_customer_matches_connection", "connection_id", "stripe_connections"),
    ("customer_matches", "fk_customer_matches_user", "user_id", "users"),
    ("account_facts", "fk_account_facts_account", "account_id", "accounts"),
    ("fact_changes", "fk_fact_changes_account", "account_id", "accounts"),
    ("stripe_events", "fk_stripe_events_connection", "connection_id", "stripe_connections"),
    ("sync_cursors", "fk_sync_cursors_connection", "connection_id", "stripe_connections"),
    ("webhook_rejections", "fk_webhook_rejections_connection", "connection_id",
     "stripe_connections"),
    ("mrr_movements", "fk_mrr_movements_account", "account_id", "accounts"),
    ("stage_transitions", "fk_stage_transitions_account", "account_id", "accounts"),
)  # fmt: skip

UNIQUES = (  # (table, name, columns, the constraint it replaces on PostgreSQL, if any)
    ("stripe_objects", "uq_stripe_objects_stripe_id",
     ["workspace_id", "connection_id", "object_type", "stripe_id"],
     ["connection_id", "object_type", "stripe_id"]),
    ("stripe_events", "uq_stripe_events_event_id",
     ["workspace_id", "connection_id", "event_id"], ["connection_id", "event_id"]),
    ("fact_changes", "uq_fact_changes_revision",
     ["workspace_id", "account_id", "revision", "kind"], None),
    ("mrr_movements", "uq_mrr_movements_revision",
     ["workspace_id", "account_id", "revision", "currency"], None),
    ("stage_transitions", "uq_stage_transitions_revision",
     ["workspace_id", "account_id", "revision"], None),
)  # fmt: skip

NEW_WORKSPACE_COLUMNS = {  # table: how to find each row's workspace
    "memberships": "SELECT users.workspace_id FROM users WHERE users.id = memberships.user_id",
    "sync_cursors": (
        "SELECT c.workspace_id FROM stripe_connections c WHERE c.id = sync_cursors.connection_id"
    ),
    "webhook_rejections": (
        "SELECT c.workspace_id FROM stripe_connections c "
        "WHERE c.id = webhook_rejections.connection_id"
    ),
}

LEDGER_TABLES = ("fact_changes", "mrr_movements", "stage_transitions")

# single-column indexes that the new primary keys (led by workspace_id) make redundant
REDUNDANT_INDEXES = (
    ("stripe_connections", "ix_stripe_connections_workspace_id"),
    ("accounts", "ix_accounts_workspace_id"),
    ("users", "ix_users_workspace_id"),
    ("stripe_objects", "ix_stripe_objects_workspace_id"),
    ("customer_matches", "ix_customer_matches_workspace_id"),
    ("account_facts", "ix_account_facts_workspace_id"),
    ("memberships", "ix_memberships_account_id"),
)

JSON_COLUMNS = (
    ("workspaces", "settings"), ("accounts", "properties"), ("users", "properties"),
    ("stripe_objects", "data"), ("customer_matches", "account_ids"),
    ("account_facts", "mrr_totals"), ("account_facts", "customer_ids"),
    ("account_facts", "explanation"), ("fact_changes", "old_value"),
    ("fact_changes", "new_value"), ("sync_cursors", "value"),
)  # fmt: skip


def upgrade() -> None:
    _add_columns_and_fill()
    if op.get_bind().dialect.name == "postgresql":
        _rekey_postgresql()
    else:
        _rebuild_sqlite()


def downgrade() -> None:
    raise CommandError(
        "0004 has no downgrade: restore the backup taken before upgrading to go back"
    )


def _add_columns_and_fill() -> None:
    for table, source in NEW_WORKSPACE_COLUMNS.items():
        op.add_column(table, sa.Column("workspace_id", sa.String(length=40), nullable=True))
        op.execute(f"UPDATE {table} SET workspace_id = ({source})")
    op.add_column(
        "account_facts",
        sa.Column("revision", sa.Integer(), nullable=False, server_default="0"),
    )
    for table in LEDGER_TABLES:
        op.add_column(
            table, sa.Column("revision", sa.Integer(), nullable=False, server_default="0")
        )
        _number_in_written_order(table)
        latest = (
            f"(SELECT coalesce(max(ledger.revision), 0) FROM {table} AS ledger "
            "WHERE ledger.workspace_id = account_facts.workspace_id "
            "AND ledger.account_id = account_facts.account_id)"
        )
        op.execute(f"UPDATE account_facts SET revision = {latest} WHERE revision < {latest}")


def _number_in_written_order(table: str) -> None:
    """Each account's rows 1, 2, 3... by time, then by id (written together: in id order)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"UPDATE {table} SET revision = numbered.n FROM (SELECT id, row_number() OVER "
            "(PARTITION BY workspace_id, account_id ORDER BY at, id) AS n "
            f"FROM {table}) AS numbered WHERE {table}.id = numbered.id"
        )
        return
    op.execute(
        f"UPDATE {table} SET revision = (SELECT count(*) FROM {table} AS earlier "
        f"WHERE earlier.workspace_id = {table}.workspace_id "
        f"AND earlier.account_id = {table}.account_id "
        f"AND (earlier.at < {table}.at "
        f"OR (earlier.at = {table}.at AND earlier.id <= {table}.id)))"
    )


def _rekey_postgresql() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in TENANT_TABLES:
        for reference in inspector.get_foreign_keys(table):
            if reference["referred_table"] != "workspaces" and reference["name"]:
                op.drop_constraint(reference["name"], table, type_="foreignkey")
    for table, index in REDUNDANT_INDEXES:
        op.drop_index(index, table_name=table)
    for table, columns in PRIMARY_KEYS.items():
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, columns)
    for table, name, columns, replaced in UNIQUES:
        if replaced is not None:
            for unique in inspector.get_unique_constraints(table):
                if unique["column_names"] == replaced and unique["name"]:
                    op.drop_constraint(unique["name"], table, type_="unique")
        op.create_unique_constraint(name, table, columns)
    for table in NEW_WORKSPACE_COLUMNS:
        op.alter_column(table, "workspace_id", nullable=False)
        op.create_foreign_key(
            f"{table}_workspace_id_fkey", table, "workspaces", ["workspace_id"], ["id"]
        )
    for table, name, column, referred in REFERENCES:
        op.create_foreign_key(
            name, table, referred, ["workspace_id", column], ["workspace_id", "id"]
        )
    op.create_index("ix_memberships_account", "memberships", ["workspace_id", "account_id"])
    for table in ("account_facts", *LEDGER_TABLES):
        op.alter_column(table, "revision", server_default=None)
    for table, column in JSON_COLUMNS:
        op.alter_column(
            table,
            column,
            type_=postgresql.JSONB(),
            existing_type=sa.JSON(),
            postgresql_using=f"{column}::jsonb",
        )


def _rebuild_sqlite() -> None:
    shapes = _sqlite_shapes(sa.MetaData())
    for table in TENANT_TABLES:
        with op.batch_alter_table(table, recreate="always", copy_from=shapes[table]):
            pass


# --- the tenant tables as this revision leaves them on SQLite ------------------------------


def _sqlite_shapes(metadata: sa.MetaData) -> dict[str, sa.Table]:
    def workspace() -> sa.Column[str]:
        return sa.Column(
            "workspace_id", sa.String(40), sa.ForeignKey("workspaces.id"), nullable=False
        )

    def when(name: str) -> sa.Column[object]:
        return sa.Column(name, UtcDateTime(timezone=True), nullable=False)

    def maybe_when(name: str) -> sa.Column[object]:
        return sa.Column(name, UtcDateTime(timezone=True), nullable=True)

    def string(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
        return sa.Column(name, sa.String(length), nullable=nullable)

    def integer(name: str, *, nullable: bool = False) -> sa.Column[int]:
        return sa.Column(name, sa.Integer(), nullable=nullable)

    def big(name: str) -> sa.Column[int]:
        return sa.Column(name, sa.BigInteger(), nullable=False)

    def json(name: str, *, nullable: bool = False) -> sa.Column[object]:
        return sa.Column(name, sa.JSON(), nullable=nullable)

    def text(name: str, *, nullable: bool = True) -> sa.Column[str]:
        return sa.Column(name, sa.Text(), nullable=nullable)

    def keys(table: str, *extra: SchemaItem) -> list[SchemaItem]:
        items: list[SchemaItem] = [sa.PrimaryKeyConstraint(*_sqlite_primary_key(table))]
        for owner, name, column, referred in REFERENCES:
            if owner == table:
                items.append(
                    sa.ForeignKeyConstraint(
                        ["workspace_id", column],
                        [f"{referred}.workspace_id", f"{referred}.id"],
                        name=name,
                    )
                )
        for owner, name, columns, _replaced in UNIQUES:
            if owner == table:
                items.append(sa.UniqueConstraint(*columns, name=name))
        return [*items, *extra]

    table: Callable[..., sa.Table] = lambda name, *items: sa.Table(name, metadata, *items)  # noqa: E731
    return {
        "stripe_connections": table(
            "stripe_connections",
            workspace(), string("id", 40), string("mode", 8), string("api_base", 300),
            text("api_key_ciphertext"), string("api_key_hint", 20, nullable=True),
            string("stripe_account_id", 80, nullable=True), string("metadata_key", 100),
            string("webhook_endpoint_id", 80, nullable=True), text("webhook_secret_ciphertext"),
            string("status", 20), text("last_error"), maybe_when("last_backfill_at"),
            maybe_when("last_event_at"), string("stripe_app_user_id", 80, nullable=True),
            when("created_at"),
            *keys("stripe_connections"),
            sa.Index("ix_stripe_connections_stripe_account_id", "stripe_account_id"),
        ),
        "accounts": table(
            "accounts",
            workspace(), integer("id"), string("external_id", 200), string("name", 300),
            json("properties"), when("created_at"),
            *keys(
                "accounts",
                sa.UniqueConstraint("workspace_id", "external_id"),
                sa.UniqueConstraint("workspace_id", "id", name="uq_accounts_workspace_id_id"),
            ),
        ),
        "users": table(
            "users",
            workspace(), integer("id"), string("external_id", 200),
            string("name", 300, nullable=True), string("email", 320, nullable=True),
            json("properties"), when("created_at"),
            *keys(
                "users",
                sa.UniqueConstraint("workspace_id", "external_id"),
                sa.UniqueConstraint("workspace_id", "id", name="uq_users_workspace_id_id"),
                sa.Index("ix_users_email", "email"),
            ),
        ),
        "memberships": table(
            "memberships",
            workspace(), integer("user_id"), integer("account_id"),
            *keys("memberships", sa.Index("ix_memberships_account", "workspace_id", "account_id")),
        ),
        "stripe_objects": table(
            "stripe_objects",
            workspace(), integer("id"), string("connection_id", 40), string("object_type", 40),
            string("stripe_id", 120), string("customer_id", 120, nullable=True),
            string("status", 40, nullable=True), json("data"), big("watermark"),
            sa.Column("deleted", sa.Boolean(), nullable=False), when("synced_at"),
            *keys(
                "stripe_objects",
                sa.Index(
                    "ix_stripe_objects_customer", "connection_id", "object_type", "customer_id"
                ),
            ),
        ),
        "customer_matches": table(
            "customer_matches",
            workspace(), string("connection_id", 40), string("customer_id", 120),
            string("status", 20), string("step", 100, nullable=True), text("reason"),
            integer("user_id", nullable=True), json("account_ids"), when("updated_at"),
            *keys("customer_matches"),
        ),
        "account_facts": table(
            "account_facts",
            workspace(), integer("account_id"), integer("revision"), big("mrr_amount"),
            string("mrr_currency", 3), json("mrr_totals"), maybe_when("renewal_date"),
            maybe_when("ends_at"), string("stage", 100, nullable=True), maybe_when("stage_since"),
            json("customer_ids"), json("explanation"), when("computed_at"),
            *keys("account_facts"),
        ),
        "fact_changes": table(
            "fact_changes",
            workspace(), integer("id"), integer("account_id"), integer("revision"),
            string("kind", 40), json("old_value", nullable=True), json("new_value", nullable=True),
            string("cause", 200), when("at"),
            *keys(
                "fact_changes",
                sa.Index("ix_fact_changes_account", "workspace_id", "account_id", "at"),
            ),
        ),
        "stripe_events": table(
            "stripe_events",
            workspace(), integer("id"), string("connection_id", 40), string("event_id", 120),
            string("type", 120), big("created"), string("api_version", 40, nullable=True),
            text("payload", nullable=False), string("source", 20), string("status", 20),
            integer("attempts"), text("error"), when("received_at"), maybe_when("applied_at"),
            *keys(
                "stripe_events",
                sa.Index("ix_stripe_events_pending", "status", "connection_id", "created"),
            ),
        ),
        "sync_cursors": table(
            "sync_cursors",
            workspace(), string("connection_id", 40), string("name", 80), json("value"),
            when("updated_at"),
            *keys("sync_cursors"),
        ),
        "webhook_rejections": table(
            "webhook_rejections",
            workspace(), string("connection_id", 40), string("reason", 40), big("count"),
            when("last_at"),
            *keys("webhook_rejections"),
        ),
        "mrr_movements": table(
            "mrr_movements",
            workspace(), integer("id"), integer("account_id"), integer("revision"),
            string("kind", 20), string("currency", 3), big("amount"), big("previous_amount"),
            big("current_amount"), string("cause", 200), when("at"),
            *keys(
                "mrr_movements",
                sa.Index("ix_mrr_movements_account", "workspace_id", "account_id", "at"),
                sa.Index("ix_mrr_movements_workspace_at", "workspace_id", "at"),
            ),
        ),
        "stage_transitions": table(
            "stage_transitions",
            workspace(), integer("id"), integer("account_id"), integer("revision"),
            string("from_stage", 100, nullable=True), string("to_stage", 100, nullable=True),
            string("cause", 200), when("at"),
            *keys(
                "stage_transitions",
                sa.Index("ix_stage_transitions_account", "workspace_id", "account_id", "at"),
            ),
        ),
    }  # fmt: skip


def _sqlite_primary_key(table: str) -> list[str]:
    """SQLite numbers rows only through a lone ``INTEGER PRIMARY KEY``: tables with a
    surrogate id keep it as their key there."""
    columns = PRIMARY_KEYS[table]
    if columns == ["workspace_id", "id"] and table != "stripe_connections":
        return ["id"]
    return columns
