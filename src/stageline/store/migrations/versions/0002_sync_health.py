"""webhook rejection counters, used Stripe App signatures, app user on connections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stageline.store.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_rejections",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_at", stageline.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["stripe_connections.id"]),
        sa.PrimaryKeyConstraint("connection_id", "reason"),
    )
    op.create_table(
        "stripe_app_signatures",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("used_at", stageline.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("stripe_app_signatures", schema=None) as batch_op:
        batch_op.create_index("ix_stripe_app_signatures_timestamp", ["timestamp"], unique=False)
    with op.batch_alter_table("stripe_connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stripe_app_user_id", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stripe_connections", schema=None) as batch_op:
        batch_op.drop_column("stripe_app_user_id")
    with op.batch_alter_table("stripe_app_signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_stripe_app_signatures_timestamp")
    op.drop_table("stripe_app_signatures")
    op.drop_table("webhook_rejections")
