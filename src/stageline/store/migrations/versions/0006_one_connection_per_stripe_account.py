"""one connection per Stripe account and mode: merge duplicates, then guard

Connecting the same Stripe account twice used to make a second connection, whose mirror
held the same subscriptions again (and counted their MRR twice). Two connections of one
workspace and mode are the same account when they share a Stripe account id, or hold the
same Stripe object (Stripe ids are unique across accounts). The oldest connection is kept;
the others' mirror rows and inbox events are moved into it (where it lacks them) and their
cursors, matches and refusals dropped. Facts are refreshed by the next recompute (the
worker's scheduled refresh, or ``stageline sync``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:40:00.000000
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

IDENTIFYING_TYPES = ("customer", "subscription", "invoice")


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


def _merge(bind: sa.Connection, keeper: str, duplicate: str) -> None:
    params = {"keeper": keeper, "duplicate": duplicate}
    bind.execute(
        sa.text(
            "DELETE FROM stripe_objects WHERE connection_id = :duplicate AND EXISTS ("
            "SELECT 1 FROM stripe_objects k WHERE k.connection_id = :keeper "
            "AND k.object_type = stripe_objects.object_type "
            "AND k.stripe_id = stripe_objects.stripe_id)"
        ),
        params,
    )
    bind.execute(
        sa.text(
            "UPDATE stripe_objects SET connection_id = :keeper WHERE connection_id = :duplicate"
        ),
        params,
    )
    bind.execute(
        sa.text(
            "DELETE FROM stripe_events WHERE connection_id = :duplicate AND EXISTS ("
            "SELECT 1 FROM stripe_events k WHERE k.connection_id = :keeper "
            "AND k.event_id = stripe_events.event_id)"
        ),
        params,
    )
    bind.execute(
        sa.text(
            "UPDATE stripe_events SET connection_id = :keeper WHERE connection_id = :duplicate"
        ),
        params,
    )
    for table in ("sync_cursors", "customer_matches", "webhook_rejections"):
        bind.execute(sa.text(f"DELETE FROM {table} WHERE connection_id = :duplicate"), params)
    bind.execute(
        sa.text(
            "UPDATE stripe_connections SET "
            "api_key_ciphertext = COALESCE(api_key_ciphertext, "
            "(SELECT d.api_key_ciphertext FROM stripe_connections d WHERE d.id = :duplicate)), "
            "api_key_hint = COALESCE(api_key_hint, "
            "(SELECT d.api_key_hint FROM stripe_connections d WHERE d.id = :duplicate)), "
            "stripe_account_id = COALESCE(stripe_account_id, "
            "(SELECT d.stripe_account_id FROM stripe_connections d WHERE d.id = :duplicate)) "
            "WHERE id = :keeper"
        ),
        params,
    )
    bind.execute(sa.text("DELETE FROM stripe_connections WHERE id = :duplicate"), params)


def upgrade() -> None:
    bind = op.get_bind()
    for keeper, *duplicates in _groups(bind):
        for duplicate in duplicates:
            _merge(bind, keeper, duplicate)
    with op.batch_alter_table("stripe_connections") as batch:
        batch.create_unique_constraint(
            "uq_stripe_connections_account", ["workspace_id", "mode", "stripe_account_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("stripe_connections") as batch:
        batch.drop_constraint("uq_stripe_connections_account", type_="unique")
