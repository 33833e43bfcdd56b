"""Tables of the Stageline store (SQLAlchemy 2 declarative); Alembic migrations follow them.

Every row that belongs to a tenant carries ``workspace_id``; every query in ``store/`` filters
by it, so one workspace never sees another's data.
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
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
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


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Workspace(Base):
    __tablename__ = "workspaces"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    connection_secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeConnection(Base):
    __tablename__ = "stripe_connections"
    __table_args__ = (
        # One connection per Stripe account and mode (NULL until the account is known).
        UniqueConstraint(
            "workspace_id", "mode", "stripe_account_id", name="uq_stripe_connections_account"
        ),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
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
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True, index=True)


class StripeObject(Base):
    """The Stripe mirror: the newest known version of every object, raw JSON plus index columns."""

    __tablename__ = "stripe_objects"
    __table_args__ = (
        UniqueConstraint("connection_id", "object_type", "stripe_id"),
        Index("ix_stripe_objects_customer", "connection_id", "object_type", "customer_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("stripe_connections.id"))
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
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("stripe_connections.id"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    account_ids: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountFacts(Base):
    """The computed facts of an account: MRR, renewal date, stage, with the explanation."""

    __tablename__ = "account_facts"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
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
    """Every change of an account's facts: what changed, from what, to what, and why."""

    __tablename__ = "fact_changes"
    __table_args__ = (Index("ix_fact_changes_account", "workspace_id", "account_id", "at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new_value: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cause: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeEvent(Base):
    """The inbox: raw Stripe events stored durably before they are applied, once per event id."""

    __tablename__ = "stripe_events"
    __table_args__ = (
        UniqueConstraint("connection_id", "event_id"),
        Index("ix_stripe_events_pending", "status", "connection_id", "created"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("stripe_connections.id"))
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
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("stripe_connections.id"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookRejection(Base):
    """Webhook deliveries refused for one connection, counted per reason; nothing else kept."""

    __tablename__ = "webhook_rejections"
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("stripe_connections.id"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeAppSignature(Base):
    """Stripe App install signatures already used once, so a replay is refused."""

    __tablename__ = "stripe_app_signatures"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, index=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)


class MrrMovement(Base):
    """The MRR ledger: each change of an account's MRR in one currency, with its kind and cause."""

    __tablename__ = "mrr_movements"
    __table_args__ = (
        Index("ix_mrr_movements_account", "workspace_id", "account_id", "at"),
        Index("ix_mrr_movements_workspace_at", "workspace_id", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    previous_amount: Mapped[int] = mapped_column(BigInteger)
    current_amount: Mapped[int] = mapped_column(BigInteger)
    cause: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StageTransition(Base):
    """Stage history: an account moved from one stage to another (null: no matching stage)."""

    __tablename__ = "stage_transitions"
    __table_args__ = (Index("ix_stage_transitions_account", "workspace_id", "account_id", "at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
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
