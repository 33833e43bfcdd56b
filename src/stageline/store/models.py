"""Tables of the Stageline store (SQLAlchemy 2 declarative); Alembic migrations follow them.

The sharding rule (docs/architecture.md, checked by ``tests/integration/test_schema.py``):
every tenant table carries ``workspace_id``, its primary key and unique constraints start
with it, and references between tenant tables go through it, so that the tables could be
distributed by workspace (Citus) with every join on one node. Every query in ``store/``
filters by it, so one workspace never sees another's data. JSON columns are JSONB on
PostgreSQL.

SQLite numbers rows itself only through a lone ``INTEGER PRIMARY KEY``: there, tables with a
surrogate ``id`` keep ``PRIMARY KEY (id)`` (unique across the table, so per workspace too)
and add ``UNIQUE (workspace_id, id)`` where another table refers to them
(:data:`SQLITE_ONLY_KEYS`). The declarations below are PostgreSQL's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")
"""JSON on SQLite, JSONB on PostgreSQL (binary, indexable; keeps no key order)."""

SQLITE_ONLY_KEYS = frozenset({"uq_accounts_workspace_id_id", "uq_users_workspace_id_id"})
"""Unique constraints that exist only on SQLite: there ``accounts`` and ``users`` keep
``PRIMARY KEY (id)``, and ``(workspace_id, id)`` must still be unique for the references."""


def _surrogate_id(*, big: bool) -> Mapped[int]:
    """A row id numbered by the database (a sequence on PostgreSQL, the rowid on SQLite)."""
    kind = BigInteger().with_variant(Integer, "sqlite") if big else Integer()
    return mapped_column(kind, autoincrement=True)


def _reference(column: str, table: str, *, name: str) -> ForeignKeyConstraint:
    """A reference to a row of another tenant table, through ``workspace_id`` (co-located)."""
    return ForeignKeyConstraint(
        ["workspace_id", column], [f"{table}.workspace_id", f"{table}.id"], name=name
    )


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON_DOCUMENT,
        list[Any]: JSON_DOCUMENT,
    }


class Workspace(Base):
    """The tenant. Looked up by API key or connection secret before any workspace is known,
    so it is not distributed itself (a reference table under Citus)."""

    __tablename__ = "workspaces"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    connection_secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeConnection(Base):
    """A Stripe account linked to a workspace. Its id is random and unique across workspaces,
    so the ORM knows a connection by its id alone (``session.get(StripeConnection, id)``)."""

    __tablename__ = "stripe_connections"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "id", name="stripe_connections_pkey"),
        # One connection per Stripe account and mode (NULL until the account is known).
        UniqueConstraint(
            "workspace_id", "mode", "stripe_account_id", name="uq_stripe_connections_account"
        ),
    )
    __mapper_args__ = {"primary_key": ["id"]}  # noqa: RUF012
    id: Mapped[str] = mapped_column(String(40))
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    mode: Mapped[str] = mapped_column(String(8))
    api_base: Mapped[str] = mapped_column(String(300))
    api_key_ciphertext: Mapped[str | None] = mapped_column(Text)
    api_key_hint: Mapped[str | None] = mapped_column(String(20))
    stripe_account_id: Mapped[str | None] = mapped_column(String(80), index=True)
    metadata_key: Mapped[str] = mapped_column(String(100), default="account_id")
    webhook_endpoint_id: Mapped[str | None] = mapped_column(String(80))
    webhook_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="connected")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_backfill_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]
    stripe_app_user_id: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "id", name="accounts_pkey"),
        UniqueConstraint("workspace_id", "external_id"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    id: Mapped[int] = _surrogate_id(big=False)
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "id", name="users_pkey"),
        UniqueConstraint("workspace_id", "external_id"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    id: Mapped[int] = _surrogate_id(big=False)
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "user_id", "account_id", name="memberships_pkey"),
        _reference("user_id", "users", name="fk_memberships_user"),
        _reference("account_id", "accounts", name="fk_memberships_account"),
        Index("ix_memberships_account", "workspace_id", "account_id"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(Integer)


class StripeObject(Base):
    """The Stripe mirror: the newest known version of every object, raw JSON plus index columns."""

    __tablename__ = "stripe_objects"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "id", name="stripe_objects_pkey"),
        UniqueConstraint(
            "workspace_id",
            "connection_id",
            "object_type",
            "stripe_id",
            name="uq_stripe_objects_stripe_id",
        ),
        _reference("connection_id", "stripe_connections", name="fk_stripe_objects_connection"),
        Index("ix_stripe_objects_customer", "connection_id", "object_type", "customer_id"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    id: Mapped[int] = _surrogate_id(big=True)
    connection_id: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    stripe_id: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerMatch(Base):
    """How one Stripe customer was matched (or why not)."""

    __tablename__ = "customer_matches"
    __table_args__ = (
        PrimaryKeyConstraint(
            "workspace_id", "connection_id", "customer_id", name="customer_matches_pkey"
        ),
        _reference("connection_id", "stripe_connections", name="fk_customer_matches_connection"),
        _reference("user_id", "users", name="fk_customer_matches_user"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    connection_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(Integer)
    account_ids: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountFacts(Base):
    """The computed facts of an account: MRR, renewal date, stage, with the explanation.

    ``revision`` counts the account's logged changes; the change log, the MRR ledger and the
    stage history carry the revision each change made, once (see :class:`MrrMovement`).
    """

    __tablename__ = "account_facts"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "account_id", name="account_facts_pkey"),
        _reference("account_id", "accounts", name="fk_account_facts_account"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    account_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    mrr_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    mrr_currency: Mapped[str] = mapped_column(String(3), default="usd")
    mrr_totals: Mapped[dict[str, Any]] = mapped_column(default=dict)
    renewal_date: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    stage: Mapped[str | None] = mapped_column(String(100))
    stage_since: Mapped[datetime | None]
    customer_ids: Mapped[list[Any]] = mapped_column(default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FactChange(Base):
    """Every change of an account's facts: what changed, from what, to what, and why; one row
    per kind and revision."""

    __tablename__ = "fact_changes"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "id", name="fact_changes_pkey"),
        UniqueConstraint(
            "workspace_id", "account_id", "revision", "kind", name="uq_fact_changes_revision"
        ),
        _reference("account_id", "accounts", name="fk_fact_changes_account"),
        Index("ix_fact_changes_account", "workspace_id", "account_id", "at"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    id: Mapped[int] = _surrogate_id(big=True)
    account_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[dict[str, Any] | None] = mapped_column(JSON_DOCUMENT)
    new_value: Mapped[dict[str, Any] | None] = mapped_column(JSON_DOCUMENT)
    cause: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeEvent(Base):
    """The inbox: raw Stripe events stored durably before they are applied, once per event id."""

    __tablename__ = "stripe_events"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "id", name="stripe_events_pkey"),
        UniqueConstraint(
            "workspace_id", "connection_id", "event_id", name="uq_stripe_events_event_id"
        ),
        _reference("connection_id", "stripe_connections", name="fk_stripe_events_connection"),
        Index("ix_stripe_events_pending", "status", "connection_id", "created"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    id: Mapped[int] = _surrogate_id(big=True)
    connection_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(120))
    created: Mapped[int] = mapped_column(BigInteger)
    api_version: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]


class SyncCursor(Base):
    """Persisted sync state: backfill checkpoints, the events cursor, sweep results."""

    __tablename__ = "sync_cursors"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "connection_id", "name", name="sync_cursors_pkey"),
        _reference("connection_id", "stripe_connections", name="fk_sync_cursors_connection"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    connection_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookRejection(Base):
    """Webhook deliveries refused for one connection, counted per reason; nothing else kept."""

    __tablename__ = "webhook_rejections"
    __table_args__ = (
        PrimaryKeyConstraint(
            "workspace_id", "connection_id", "reason", name="webhook_rejections_pkey"
        ),
        _reference("connection_id", "stripe_connections", name="fk_webhook_rejections_connection"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    connection_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeAppSignature(Base):
    """Stripe App install signatures already used once, so a replay is refused. Global: a
    signature is checked before the request names its workspace."""

    __tablename__ = "stripe_app_signatures"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, index=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)


class MrrMovement(Base):
    """The MRR ledger: each change of an account's MRR in one currency, with its kind and cause.

    One change of the account's facts (``revision``) moves each currency at most once, so
    ``(workspace_id, account_id, revision, currency)`` is unique: two recomputes that both
    start from the same facts cannot both write their movement. The same kind, currency and
    cause may recur at later revisions (churn, reactivation, churn again).
    """

    __tablename__ = "mrr_movements"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "id", name="mrr_movements_pkey"),
        UniqueConstraint(
            "workspace_id", "account_id", "revision", "currency", name="uq_mrr_movements_revision"
        ),
        _reference("account_id", "accounts", name="fk_mrr_movements_account"),
        Index("ix_mrr_movements_account", "workspace_id", "account_id", "at"),
        Index("ix_mrr_movements_workspace_at", "workspace_id", "at"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    id: Mapped[int] = _surrogate_id(big=True)
    account_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    previous_amount: Mapped[int] = mapped_column(BigInteger)
    current_amount: Mapped[int] = mapped_column(BigInteger)
    cause: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StageTransition(Base):
    """Stage history: an account moved from one stage to another (null: no matching stage).
    At most one transition per revision of the account's facts."""

    __tablename__ = "stage_transitions"
    __table_args__ = (
        PrimaryKeyConstraint("workspace_id", "id", name="stage_transitions_pkey"),
        UniqueConstraint(
            "workspace_id", "account_id", "revision", name="uq_stage_transitions_revision"
        ),
        _reference("account_id", "accounts", name="fk_stage_transitions_account"),
        Index("ix_stage_transitions_account", "workspace_id", "account_id", "at"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    id: Mapped[int] = _surrogate_id(big=True)
    account_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    from_stage: Mapped[str | None] = mapped_column(String(100))
    to_stage: Mapped[str | None] = mapped_column(String(100))
    cause: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A signed-in browser: the cookie holds ``workspace.id.secret``; the row holds its hash.

    Signing out deletes the row, so a copied cookie stops working at once.
    """

    __tablename__ = "web_sessions"
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class SignInLink(Base):
    """A one-time sign-in link: it opens one session, once, before it expires."""

    __tablename__ = "sign_in_links"
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
