"""server-side web sessions and one-time sign-in links

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stageline.store.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", stageline.store.models.UtcDateTime(), nullable=False),
        sa.Column("expires_at", stageline.store.models.UtcDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        *_columns(),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("workspace_id", "id"),
    )
    op.create_table(
        "sign_in_links",
        *_columns(),
        sa.Column("used_at", stageline.store.models.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("workspace_id", "id"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_links")
    op.drop_table("web_sessions")
