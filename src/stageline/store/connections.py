"""Stripe connections of a workspace; API keys and signing secrets stay encrypted at rest."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stageline.errors import InvalidInput, NotFound
from stageline.security import SecretBox, last4, new_id
from stageline.store.models import (
    CustomerMatch,
    StripeConnection,
    StripeEvent,
    StripeObject,
    SyncCursor,
    WebhookRejection,
    Workspace,
)

WAITING_FOR_KEY = "waiting_for_key"
"""The status of a connection linked by the Stripe App before it was given an API key."""


def key_mode(api_key: str) -> str:
    """``live`` or ``test``, refusing what is not a Stripe secret or restricted key.

    >>> key_mode("rk_live_abc"), key_mode("sk_test_abc")
    ('live', 'test')
    """
    if not api_key.startswith(("sk_", "rk_")):
        raise InvalidInput(
            "that does not look like a Stripe API key",
            hint="use a restricted key (rk_test_... / rk_live_...) or a secret key (sk_...)",
        )
    return "live" if "_live_" in api_key else "test"


def create_connection(
    session: Session,
    *,
    workspace: Workspace,
    box: SecretBox,
    api_key: str,
    api_base: str,
    metadata_key: str = "account_id",
    webhook_secret: str | None = None,
    stripe_account_id: str | None = None,
) -> StripeConnection:
    connection = StripeConnection(
        id=new_id("conn"),
        workspace_id=workspace.id,
        mode=key_mode(api_key),
        api_base=api_base.rstrip("/"),
        api_key_ciphertext=box.encrypt(api_key),
        api_key_hint=last4(api_key),
        stripe_account_id=stripe_account_id,
        metadata_key=metadata_key,
        webhook_secret_ciphertext=box.encrypt(webhook_secret) if webhook_secret else None,
        status="connected",
    )
    session.add(connection)
    session.flush()
    return connection


def set_connection_key(
    connection: StripeConnection, *, box: SecretBox, api_key: str, api_base: str
) -> None:
    """Give ``connection`` a new key (same Stripe account, same mirror); it is connected."""
    if key_mode(api_key) != connection.mode:
        raise InvalidInput(
            f"that is a {key_mode(api_key)}-mode key; connection {connection.id} is in "
            f"{connection.mode} mode",
            hint="a live and a test account are two connections: use `stageline connect stripe`",
        )
    connection.api_key_ciphertext = box.encrypt(api_key)
    connection.api_key_hint = last4(api_key)
    connection.api_base = api_base.rstrip("/")
    connection.status = "connected"
    connection.last_error = None


def claim_account(
    session: Session, *, workspace_id: str, stripe_account_id: str, mode: str
) -> StripeConnection | None:
    """This workspace's connection to the Stripe account in ``mode``, or ``None``.

    Another workspace may hold the same account (a key proves access to it, and each
    workspace keeps its own mirror); within one workspace it is one connection.
    """
    return session.scalar(
        select(StripeConnection).where(
            StripeConnection.workspace_id == workspace_id,
            StripeConnection.stripe_account_id == stripe_account_id,
            StripeConnection.mode == mode,
        )
    )


def unidentified_connections(
    session: Session, *, workspace_id: str, mode: str
) -> list[StripeConnection]:
    """Connections with a key whose Stripe account is not known yet (made before accounts
    were identified)."""
    return list(
        session.scalars(
            select(StripeConnection)
            .where(
                StripeConnection.workspace_id == workspace_id,
                StripeConnection.mode == mode,
                StripeConnection.stripe_account_id.is_(None),
                StripeConnection.api_key_ciphertext.is_not(None),
            )
            .order_by(StripeConnection.created_at, StripeConnection.id)
        )
    )


def remove_connection(session: Session, *, workspace_id: str, connection_id: str) -> None:
    """Delete the connection and everything synced through it: mirror, inbox, cursors,
    matches and webhook refusals. Facts are recomputed by the caller."""
    connection = get_connection(session, workspace_id=workspace_id, connection_id=connection_id)
    for table in (StripeObject, StripeEvent, SyncCursor, CustomerMatch, WebhookRejection):
        session.execute(
            delete(table).where(
                table.workspace_id == workspace_id, table.connection_id == connection_id
            )
        )
    session.delete(connection)
    session.flush()


def list_connections(session: Session, *, workspace_id: str) -> list[StripeConnection]:
    return list(
        session.scalars(
            select(StripeConnection)
            .where(StripeConnection.workspace_id == workspace_id)
            .order_by(StripeConnection.created_at, StripeConnection.id)
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
    """The workspace's one connection; with several, the caller must say which."""
    connections = list_connections(session, workspace_id=workspace_id)
    if not connections:
        raise NotFound(
            "this workspace has no Stripe connection",
            hint="stageline connect stripe --api-key rk_...",
        )
    if len(connections) > 1:
        raise InvalidInput(
            f"this workspace has {len(connections)} Stripe connections",
            hint="name one with --connection: " + ", ".join(c.id for c in connections),
        )
    return connections[0]


def record_connection_error(session: Session, *, connection_id: str, error: str | None) -> None:
    """Mark a connection ``failing`` with ``error`` (shown by ``connections show``), or
    ``connected`` again with ``error=None``."""
    connection = session.get(StripeConnection, connection_id)
    if connection is not None:
        connection.status = "failing" if error else "connected"
        connection.last_error = error[:2000] if error else None
