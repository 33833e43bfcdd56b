"""Stripe connections of a workspace; API keys and signing secrets stay encrypted at rest."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stageline.errors import InvalidInput, NotFound
from stageline.security import SecretBox, last4, new_id
from stageline.store.models import StripeConnection, Workspace


def create_connection(
    session: Session,
    *,
    workspace: Workspace,
    box: SecretBox,
    api_key: str,
    api_base: str,
    metadata_key: str = "account_id",
    webhook_secret: str | None = None,
) -> StripeConnection:
    if not api_key.startswith(("sk_", "rk_")):
        raise InvalidInput(
            "that does not look like a Stripe API key",
            hint="use a restricted key (rk_test_... / rk_live_...) or a secret key (sk_...)",
        )
    mode = "live" if "_live_" in api_key else "test"
    connection = StripeConnection(
        id=new_id("conn"),
        workspace_id=workspace.id,
        mode=mode,
        api_base=api_base.rstrip("/"),
        api_key_ciphertext=box.encrypt(api_key),
        api_key_hint=last4(api_key),
        metadata_key=metadata_key,
        webhook_secret_ciphertext=box.encrypt(webhook_secret) if webhook_secret else None,
        status="connected",
    )
    session.add(connection)
    session.flush()
    return connection


def list_connections(session: Session, *, workspace_id: str) -> list[StripeConnection]:
    return list(
        session.scalars(
            select(StripeConnection)
            .where(StripeConnection.workspace_id == workspace_id)
            .order_by(StripeConnection.created_at)
        )
    )


def get_connection(session: Session, *, workspace_id: str, connection_id: str) -> StripeConnection:
    found = session.scalar(
        select(StripeConnection).where(
            StripeConnection.workspace_id == workspace_id, StripeConnection.id == connection_id
        )
    )
    if found is None:
        raise NotFound(f"unknown connection {connection_id!r} in this workspace")
    return found


def connection_by_id(session: Session, *, connection_id: str) -> StripeConnection | None:
    """Unscoped lookup, only for the signed webhook receiver (the signature proves the tenant)."""
    return session.get(StripeConnection, connection_id)


def only_connection(session: Session, *, workspace_id: str) -> StripeConnection:
    connections = list_connections(session, workspace_id=workspace_id)
    if not connections:
        raise NotFound(
            "this workspace has no Stripe connection",
            hint="stageline connect stripe --api-key rk_...",
        )
    return connections[0]


def record_connection_error(session: Session, *, connection_id: str, error: str | None) -> None:
    """Mark a connection ``failing`` with ``error`` (shown by ``connections show``), or
    ``connected`` again with ``error=None``."""
    connection = session.get(StripeConnection, connection_id)
    if connection is not None:
        connection.status = "failing" if error else "connected"
        connection.last_error = error[:2000] if error else None
