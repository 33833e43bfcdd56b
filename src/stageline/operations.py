"""Use cases shared by the CLI, the API and the demo: connect, sync, import.

Each takes the store and settings explicitly and returns plain results; adapters present them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from stageline.config import Settings
from stageline.errors import Conflict, InvalidInput, NotFound, StagelineError, StripeAuthError
from stageline.facts import RecomputeSummary, recompute_facts
from stageline.importing import parse_accounts_csv, parse_users_csv
from stageline.security import SecretBox
from stageline.store import accounts as account_store
from stageline.store.connections import (
    claim_account,
    create_connection,
    get_connection,
    key_mode,
    list_connections,
    remove_connection,
    set_connection_key,
)
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.models import StripeConnection, Workspace
from stageline.store.workspaces import find_workspace
from stageline.stripe_api.client import StripeGateway
from stageline.sync.backfill import BackfillResult, ProgressCallback, run_backfill
from stageline.sync.catch_up import ensure_events_cursor
from stageline.sync.connect import check_key_scopes, identify_account, register_webhook_endpoint
from stageline.sync.gateway import gateways_for, maybe_gateway_for, retry_budget
from stageline.sync.status import webhook_url

BACKFILL_CONCURRENCY = 4


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
    base = (api_base or settings.stripe_api_base).rstrip("/")
    gateway = StripeGateway(api_key=api_key, api_base=base, retry=retry_budget(settings))
    account = identify_account(gateway)
    check_key_scopes(gateway)
    box = SecretBox(settings.secret_key.get_secret_value())
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        connection = claim_account(
            session, workspace_id=workspace.id, stripe_account_id=account.id, mode=account.mode
        )
        if connection_id is not None:
            wanted = get_connection(session, workspace_id=workspace.id, connection_id=connection_id)
            if connection is None or connection.id != wanted.id:
                raise InvalidInput(
                    f"that key belongs to Stripe account {account.id}, not to the account of "
                    f"connection {connection_id} ({wanted.stripe_account_id or 'unknown'})",
                    hint="use a key of the connected account, or `stageline connect stripe` "
                    "to connect another account",
                )
        updated = connection is not None
        if connection is not None:
            set_connection_key(connection, box=box, api_key=api_key, api_base=base)
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


def _learn_account(store: Store, connection: StripeConnection, gateway: StripeGateway) -> None:
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
    """Remove a connection and what was synced through it, then refresh every account's
    facts; delete our webhook endpoint on Stripe when the key still can. Returns a warning
    when the endpoint could not be deleted (the connection is removed all the same)."""
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        connection = get_connection(session, workspace_id=workspace.id, connection_id=connection_id)
        endpoint_id = connection.webhook_endpoint_id
        gateway = maybe_gateway_for(connection, settings) if endpoint_id else None
    warning = None
    if gateway is not None and endpoint_id:
        try:
            gateway.delete_webhook_endpoint(endpoint_id)
        except StagelineError as exc:
            warning = f"webhook endpoint {endpoint_id} not deleted on Stripe: {exc.one_line()}"
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        lock_workspace(session, workspace_id=workspace.id)
        remove_connection(session, workspace_id=workspace.id, connection_id=connection_id)
        recompute_facts(session, workspace=workspace, now=now, cause="connection-removed")
    return warning


@dataclass(frozen=True)
class ConnectionSynced:
    """One connection's backfill: its result, or the error that stopped it."""

    connection_id: str
    mode: str
    stripe_account_id: str | None
    result: BackfillResult | None = None
    error: str | None = None


def sync_workspace(
    store: Store,
    settings: Settings,
    *,
    workspace_ref: str | None,
    now: datetime,
    connection_id: str | None = None,
    on_progress: Callable[[str], ProgressCallback | None] | None = None,
) -> list[ConnectionSynced]:
    """Backfill every connection of the workspace in turn (or only ``connection_id``).

    A connection that fails has its error recorded on it and reported here; the others
    still sync. ``on_progress(connection_id)`` gives each backfill its progress callback.
    """
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        connections = (
            [get_connection(session, workspace_id=workspace.id, connection_id=connection_id)]
            if connection_id
            else list_connections(session, workspace_id=workspace.id)
        )
        if not connections:
            raise NotFound(
                "this workspace has no Stripe connection",
                hint="stageline connect stripe --api-key rk_...",
            )
        plans = [(ConnectionSynced(c.id, c.mode, c.stripe_account_id), c) for c in connections]
        workspace_id = workspace.id
    synced = []
    for planned, connection_row in plans:
        if connection_row.api_key_ciphertext is None:
            waiting = (
                "waiting for an API key: stageline connections set-key "
                f"{planned.connection_id} --api-key rk_..."
            )
            synced.append(replace(planned, error=waiting))
            continue
        try:
            gateways = gateways_for(connection_row, settings, count=BACKFILL_CONCURRENCY)
            if connection_row.stripe_account_id is None:
                _learn_account(store, connection_row, gateways[0])
            result = run_backfill(
                store,
                workspace_id=workspace_id,
                connection_id=planned.connection_id,
                gateway=gateways,
                now=now,
                on_progress=on_progress(planned.connection_id) if on_progress else None,
            )
        except StagelineError as exc:
            with store.session() as session:
                connection = get_connection(
                    session, workspace_id=workspace_id, connection_id=planned.connection_id
                )
                connection.status = "failing"
                connection.last_error = exc.one_line()
            synced.append(replace(planned, error=exc.one_line()))
            continue
        synced.append(replace(planned, result=result))
    return synced


IMPORT_CAUSE = "import"
CLOCK_CAUSE = "scheduled-refresh"


@dataclass(frozen=True)
class Imported:
    """Rows of an import by what they did; ``recomputed`` is ``None`` when nothing changed."""

    created: int
    updated: int
    unchanged: int
    recomputed: RecomputeSummary | None = None

    def as_json(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def import_accounts(
    store: Store,
    *,
    workspace_ref: str | None,
    csv_text: str,
    now: datetime,
    clear_empty: bool = False,
) -> Imported:
    """Parse the whole file first; write all rows or none; then rematch and refresh facts.

    Columns the file does not name, and empty cells unless ``clear_empty``, keep their values.
    """
    rows = parse_accounts_csv(csv_text, clear_empty=clear_empty)
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        lock_workspace(session, workspace_id=workspace.id)
        result = account_store.upsert_accounts(session, workspace_id=workspace.id, rows=rows)
        return _refreshed(session, workspace, result, now)


def import_users(
    store: Store,
    *,
    workspace_ref: str | None,
    csv_text: str,
    now: datetime,
    clear_empty: bool = False,
) -> Imported:
    """Like ``import_accounts``, for users and their memberships."""
    rows = parse_users_csv(csv_text, clear_empty=clear_empty)
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        lock_workspace(session, workspace_id=workspace.id)
        result = account_store.upsert_users(session, workspace_id=workspace.id, rows=rows)
        return _refreshed(session, workspace, result, now)


def _refreshed(
    session: Session, workspace: Workspace, result: account_store.UpsertResult, now: datetime
) -> Imported:
    """Rematch and refresh after rows changed: a movement is the import's only where it
    changed which customers an account matches; what the clock moved is the clock's."""
    summary = None
    if result.changed:
        summary = recompute_facts(
            session, workspace=workspace, now=now, cause=IMPORT_CAUSE, clock_cause=CLOCK_CAUSE
        )
    return Imported(result.created, result.updated, result.unchanged, summary)
