"""one connection per Stripe account and mode: merge duplicates, then guard

Connecting the same Stripe account twice used to make a second connection, whose mirror
held the same subscriptions again (and counted their MRR twice). Two connections of one
workspace and mode are the same account when they share a Stripe account id, or hold the
same Stripe object (Stripe ids are unique across accounts). The oldest connection is kept
(its id is in Stripe's webhook URL); the others' mirror rows and inbox events move into it,
the newer copy of an object winning; it takes the key of the latest connection that has one
(connecting again was how a key was replaced), and the others' cursors, matches and refusals
are dropped. A connection without a key is marked waiting for one. Facts are refreshed by
the next recompute (the worker's scheduled refresh, or ``stageline sync``): the MRR counted
twice comes back down then, logged as a contraction.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:40:00.000000
"""

from __future__ import annotations

import logging
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _groups(bind: sa.Connection) -> list[list[str]]:
    """Connection ids that are one Stripe account, oldest first, for groups of two or more."""
    rows = bind.execute(
        sa.text(
            "SELECT id, workspace_id, mode, stripe_account_id FROM stripe_connections "
            "ORDER BY created_at, id"
        )
    ).all()
    parent = {row.id: row.id for row in rows}

    def root(node: str) -> str:
        while parent[node] != node:
            node = parent[node]
        return node

    def join(a: str, b: str) -> None:
        first, second = sorted((root(a), root(b)), key=order.index)
        parent[second] = first

    order = [row.id for row in rows]
    by_account: dict[tuple[str, str, str], str] = {}
    for row in rows:
        if row.stripe_account_id:
            key = (row.workspace_id, row.mode, row.stripe_account_id)
            if key in by_account:
                join(by_account[key], row.id)
            else:
                by_account[key] = row.id
    shared = bind.execute(
        sa.text(
            "SELECT a.connection_id AS one, b.connection_id AS other "
            "FROM stripe_objects a JOIN stripe_objects b "
            "ON a.object_type = b.object_type AND a.stripe_id = b.stripe_id "
            "AND a.workspace_id = b.workspace_id AND a.connection_id < b.connection_id "
            "JOIN stripe_connections ca ON ca.id = a.connection_id "
            "JOIN stripe_connections cb ON cb.id = b.connection_id AND cb.mode = ca.mode "
            "WHERE a.object_type IN ('customer', 'subscription', 'invoice') "
            "GROUP BY a.connection_id, b.connection_id"
        )
    ).all()
    for pair in shared:
        join(pair.one, pair.other)
    groups: dict[str, list[str]] = defaultdict(list)
    for node in order:
        groups[root(node)].append(node)
    return [members for members in groups.values() if len(members) > 1]


def _move(bind: sa.Connection, table: str, key: str, params: dict[str, str]) -> None:
    """Move the duplicate's rows of ``table`` into the keeper; where both hold the same
    ``key``, the row with the higher watermark (the newer copy) stays."""
    newer = "d.watermark > k.watermark" if table == "stripe_objects" else "1 = 0"
    match = " AND ".join(f"d.{column} = k.{column}" for column in key.split(","))
    bind.execute(
        sa.text(
            f"DELETE FROM {table} WHERE id IN (SELECT k.id FROM {table} k JOIN {table} d "
            f"ON {match} WHERE k.connection_id = :keeper AND d.connection_id = :duplicate "
            f"AND {newer})"
        ),
        params,
    )
    bind.execute(
        sa.text(
            f"DELETE FROM {table} WHERE id IN (SELECT d.id FROM {table} d JOIN {table} k "
            f"ON {match} WHERE k.connection_id = :keeper AND d.connection_id = :duplicate)"
        ),
        params,
    )
    bind.execute(
        sa.text(f"UPDATE {table} SET connection_id = :keeper WHERE connection_id = :duplicate"),
        params,
    )


def _merge(bind: sa.Connection, keeper: str, duplicate: str) -> None:
    """The duplicate (connected later) gives the keeper its mirror rows and events where
    newer, its key when it has one (a later connect was how a key was replaced), and its
    latest moments; the duplicate's own webhook endpoint is left on Stripe, named in the log."""
    params = {"keeper": keeper, "duplicate": duplicate}
    _move(bind, "stripe_objects", "workspace_id,object_type,stripe_id", params)
    _move(bind, "stripe_events", "workspace_id,event_id", params)
    for table in ("sync_cursors", "customer_matches", "webhook_rejections"):
        bind.execute(sa.text(f"DELETE FROM {table} WHERE connection_id = :duplicate"), params)
    dup = "(SELECT d.{0} FROM stripe_connections d WHERE d.id = :duplicate)"
    has_key = "(SELECT d.api_key_ciphertext FROM stripe_connections d WHERE d.id = :duplicate)"
    credentials = ", ".join(
        f"{c} = CASE WHEN {has_key} IS NOT NULL THEN {dup.format(c)} ELSE {c} END"
        for c in ("api_key_ciphertext", "api_key_hint", "api_base")
    )
    latest = ", ".join(
        f"{c} = CASE WHEN {c} IS NULL OR {dup.format(c)} > {c} THEN {dup.format(c)} ELSE {c} END"
        for c in ("last_backfill_at", "last_event_at")
    )
    kept = ", ".join(
        f"{c} = COALESCE({c}, {dup.format(c)})" for c in ("stripe_account_id", "stripe_app_user_id")
    )
    bind.execute(
        sa.text(
            f"UPDATE stripe_connections SET {credentials}, {latest}, {kept} WHERE id = :keeper"
        ),
        params,
    )
    endpoint = bind.execute(
        sa.text("SELECT webhook_endpoint_id FROM stripe_connections WHERE id = :duplicate"), params
    ).scalar()
    if endpoint:
        log.warning(
            "connection %s merged into %s: delete its webhook endpoint %s on Stripe",
            duplicate,
            keeper,
            endpoint,
        )
    bind.execute(sa.text("DELETE FROM stripe_connections WHERE id = :duplicate"), params)


def upgrade() -> None:
    bind = op.get_bind()
    for keeper, *duplicates in _groups(bind):
        for duplicate in duplicates:
            _merge(bind, keeper, duplicate)
    bind.execute(
        sa.text(
            "UPDATE stripe_connections SET status = 'waiting_for_key' "
            "WHERE api_key_ciphertext IS NULL"
        )
    )
    with op.batch_alter_table("stripe_connections") as batch:
        batch.create_unique_constraint(
            "uq_stripe_connections_account", ["workspace_id", "mode", "stripe_account_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("stripe_connections") as batch:
        batch.drop_constraint("uq_stripe_connections_account", type_="unique")
