"""mrr movements ledger and stage transitions per account

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stageline.store.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _id_column() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "mrr_movements",
        _id_column(),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("previous_amount", sa.BigInteger(), nullable=False),
        sa.Column("current_amount", sa.BigInteger(), nullable=False),
        sa.Column("cause", sa.String(length=200), nullable=False),
        sa.Column("at", stageline.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mrr_movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mrr_movements_account", ["workspace_id", "account_id", "at"], unique=False
        )
        batch_op.create_index("ix_mrr_movements_workspace_at", ["workspace_id", "at"], unique=False)
    op.create_table(
        "stage_transitions",
        _id_column(),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=100), nullable=True),
        sa.Column("to_stage", sa.String(length=100), nullable=True),
        sa.Column("cause", sa.String(length=200), nullable=False),
        sa.Column("at", stageline.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stage_transitions_account", ["workspace_id", "account_id", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_transitions_account")
    op.drop_table("stage_transitions")
    with op.batch_alter_table("mrr_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_mrr_movements_workspace_at")
        batch_op.drop_index("ix_mrr_movements_account")
    op.drop_table("mrr_movements")
