"""Connecting Stripe accounts: connect one by key, give a connection a new key, remove one.

A Stripe account in one mode is one connection. ``connect_stripe`` asks Stripe which account
a key belongs to (``GET /v1/account``): an account this workspace holds already gets the new
key and keeps its mirror; a new one becomes a new connection (another workspace may hold the
same account in a connection of its own).

Example::

    connected = connect_stripe(store, settings, workspace_ref="Acme", api_key="rk_test_...")
    connected.connection_id, connected.stripe_account_id, connected.updated
    # ('conn_26f5101283a78009', 'acct_1SandboxDefault0', False)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stageline.config import Settings
from stageline.errors import Conflict, InvalidInput, StagelineError, StripeAuthError
from stageline.facts import recompute_facts
from stageline.security import SecretBox
from stageline.store.connections import (
    claim_account,
    create_connection,
    get_connection,
    key_mode,
    remove_connection,
    set_connection_key,
    unidentified_connections,
)
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.models import StripeConnection
from stageline.store.workspaces import find_workspace
from stageline.stripe_api.client import StripeGateway
from stageline.sync.catch_up import ensure_events_cursor
from stageline.sync.connect import (
    StripeAccount,
    check_key_scopes,
    identify_account,
    register_webhook_endpoint,
)
from stageline.sync.gateway import gateway_for, maybe_gateway_for, retry_budget
from stageline.sync.status import webhook_url


@dataclass(frozen=True)
class Connected:
    connection_id: str
    workspace_id: str
    mode: str
    api_base: str
    stripe_account_id: str = ""
    updated: bool = False
    """The Stripe account was connected already: that connection got the new key."""
    webhook_url: str = ""
    webhook_endpoint_id: str | None = None
    webhook_error: str | None = None


def connect_stripe(
    store: Store,
    settings: Settings,
    *,
    workspace_ref: str | None,
    api_key: str,
    api_base: str | None = None,
    metadata_key: str = "account_id",
    webhook_secret: str | None = None,
    register_webhook: bool = True,
    now: datetime | None = None,
    connection_id: str | None = None,
) -> Connected:
    """Learn which Stripe account the key belongs to and check its scopes with real calls.

    A new account becomes a new connection (key encrypted, events cursor started, our
    webhook endpoint created unless a signing secret was given). An account this workspace
    has already (connected by key or linked by the Stripe App) keeps its connection and
    mirror and gets the new key. ``connection_id`` insists on one connection: a key of
    another account is refused.

    A failure to create the endpoint does not undo the connection: it is recorded as the
    connection's last error, and the events catch-up keeps it in sync meanwhile.
    """
    key_mode(api_key)
    box = SecretBox(settings.secret_key.get_secret_value())
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        wanted = (
            get_connection(session, workspace_id=workspace.id, connection_id=connection_id)
            if connection_id is not None
            else None
        )
        base = (api_base or (wanted.api_base if wanted else settings.stripe_api_base)).rstrip("/")
        legacy = unidentified_connections(
            session, workspace_id=workspace.id, mode=key_mode(api_key)
        )
        workspace_id = workspace.id
    for older in legacy:  # learn their accounts first, so none is connected a second time
        with contextlib.suppress(StagelineError):
            learn_account(store, older, gateway_for(older, settings))
    gateway = StripeGateway(api_key=api_key, api_base=base, retry=retry_budget(settings))
    account = identify_account(gateway)
    check_key_scopes(gateway)
    try:
        with store.session() as session:
            workspace = find_workspace(session, ref=workspace_id)
            connection = claim_account(
                session, workspace_id=workspace.id, stripe_account_id=account.id, mode=account.mode
            )
            if connection_id is not None:
                connection = _the_wanted_connection(
                    session, workspace.id, connection_id, connection, account
                )
            updated = connection is not None
            if connection is not None:
                set_connection_key(
                    connection, box=box, api_key=api_key, api_base=api_base or connection.api_base
                )
                connection.stripe_account_id = account.id
                if webhook_secret:
                    connection.webhook_secret_ciphertext = box.encrypt(webhook_secret)
            else:
                connection = create_connection(
                    session,
                    workspace=workspace,
                    box=box,
                    api_key=api_key,
                    api_base=base,
                    metadata_key=metadata_key,
                    webhook_secret=webhook_secret,
                    stripe_account_id=account.id,
                )
            ensure_events_cursor(session, connection_id=connection.id, now=now or datetime.now(UTC))
            has_webhook = connection.webhook_secret_ciphertext is not None
            connected = Connected(
                connection.id,
                workspace.id,
                connection.mode,
                connection.api_base,
                stripe_account_id=account.id,
                updated=updated,
                webhook_url=webhook_url(settings.public_url, connection.id),
                webhook_endpoint_id=connection.webhook_endpoint_id,
            )
    except IntegrityError as exc:  # connected at the same moment by another request
        raise Conflict(
            f"Stripe account {account.id} was connected by another request meanwhile",
            hint="run the command again",
        ) from exc
    if has_webhook or not register_webhook:
        return connected
    try:
        endpoint_id = register_webhook_endpoint(
            store,
            box,
            connection_id=connected.connection_id,
            gateway=gateway,
            public_url=settings.public_url,
        )
    except StagelineError as exc:
        error = f"webhook endpoint not created: {exc.one_line()}"
        with store.session() as session:
            stored = get_connection(
                session,
                workspace_id=connected.workspace_id,
                connection_id=connected.connection_id,
            )
            stored.last_error = error
        return replace(connected, webhook_error=error)
    return replace(connected, webhook_endpoint_id=endpoint_id)


def _the_wanted_connection(
    session: Session,
    workspace_id: str,
    connection_id: str,
    holder: StripeConnection | None,
    account: StripeAccount,
) -> StripeConnection:
    """The connection ``set-key`` names, if the key is of its account (or of an account no
    connection holds yet, for a connection whose account is not known)."""
    wanted = get_connection(session, workspace_id=workspace_id, connection_id=connection_id)
    if holder is not None and holder.id == wanted.id:
        return wanted
    if holder is None and wanted.stripe_account_id is None:
        return wanted
    raise InvalidInput(
        f"that key belongs to Stripe account {account.id}, not to the account of "
        f"connection {connection_id} ({wanted.stripe_account_id or 'unknown'})",
        hint="use a key of the connected account, or `stageline connect stripe` "
        "to connect another account",
    )


def learn_account(store: Store, connection: StripeConnection, gateway: StripeGateway) -> None:
    """Record which Stripe account a connection made before accounts were identified holds;
    a second connection to an account this workspace holds already is refused by name."""
    try:
        account = identify_account(gateway)
    except StripeAuthError:
        return  # an older restricted key may not read its account; it syncs all the same
    with store.session() as session:
        holder = claim_account(
            session,
            workspace_id=connection.workspace_id,
            stripe_account_id=account.id,
            mode=account.mode,
        )
        if holder is not None and holder.id != connection.id:
            raise Conflict(
                f"connection {connection.id} is Stripe account {account.id} again, already "
                f"synced by {holder.id}",
                hint=f"remove the extra one: stageline connections remove {connection.id}",
            )
        stored = get_connection(
            session, workspace_id=connection.workspace_id, connection_id=connection.id
        )
        stored.stripe_account_id = account.id


def remove_stripe_connection(
    store: Store,
    settings: Settings,
    *,
    workspace_ref: str | None,
    connection_id: str,
    now: datetime,
) -> str | None:
    """Remove a connection and what was synced through it and refresh every account's facts,
    in one transaction; then delete our webhook endpoint on Stripe while the key still can.
    Returns a warning when the endpoint could not be deleted (the connection is gone all the
    same)."""
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        lock_workspace(session, workspace_id=workspace.id)
        connection = get_connection(session, workspace_id=workspace.id, connection_id=connection_id)
        endpoint_id = connection.webhook_endpoint_id
        gateway = maybe_gateway_for(connection, settings) if endpoint_id else None
        remove_connection(session, workspace_id=workspace.id, connection_id=connection_id)
        recompute_facts(session, workspace=workspace, now=now, cause="connection-removed")
    if gateway is None or not endpoint_id:
        return None
    try:
        gateway.delete_webhook_endpoint(endpoint_id)
    except StagelineError as exc:
        return f"webhook endpoint {endpoint_id} not deleted on Stripe: {exc.one_line()}"
    return None
