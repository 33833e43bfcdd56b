"""Use cases shared by the CLI, the API and the demo: connect, sync, import.

Each takes the store and settings explicitly and returns plain results; adapters present them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from stageline.config import Settings
from stageline.errors import StagelineError
from stageline.facts import recompute_facts
from stageline.importing import parse_accounts_csv, parse_users_csv
from stageline.security import SecretBox
from stageline.store import accounts as account_store
from stageline.store.connections import create_connection, get_connection, only_connection
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.workspaces import find_workspace
from stageline.stripe_api.client import StripeGateway
from stageline.sync.backfill import BackfillResult, ProgressCallback, run_backfill
from stageline.sync.catch_up import ensure_events_cursor
from stageline.sync.connect import check_key_scopes, register_webhook_endpoint
from stageline.sync.gateway import gateways_for, retry_budget
from stageline.sync.status import webhook_url

BACKFILL_CONCURRENCY = 4


@dataclass(frozen=True)
class Connected:
    connection_id: str
    workspace_id: str
    mode: str
    api_base: str
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
) -> Connected:
    """Check the key's scopes with real calls, store the connection (key encrypted), start
    its events cursor, and create our webhook endpoint unless a signing secret was given.

    A failure to create the endpoint does not undo the connection: it is recorded as the
    connection's last error, and the events catch-up keeps it in sync meanwhile.
    """
    base = (api_base or settings.stripe_api_base).rstrip("/")
    gateway = StripeGateway(api_key=api_key, api_base=base, retry=retry_budget(settings))
    check_key_scopes(gateway)
    box = SecretBox(settings.secret_key.get_secret_value())
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        connection = create_connection(
            session,
            workspace=workspace,
            box=box,
            api_key=api_key,
            api_base=base,
            metadata_key=metadata_key,
            webhook_secret=webhook_secret,
        )
        ensure_events_cursor(session, connection_id=connection.id, now=now or datetime.now(UTC))
        connected = Connected(
            connection.id,
            workspace.id,
            connection.mode,
            connection.api_base,
            webhook_url=webhook_url(settings.public_url, connection.id),
        )
    if webhook_secret or not register_webhook:
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


def sync_workspace(
    store: Store,
    settings: Settings,
    *,
    workspace_ref: str | None,
    now: datetime,
    connection_id: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> BackfillResult:
    """Backfill one connection (the only one by default); a failure is recorded on it."""
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        connection = (
            get_connection(session, workspace_id=workspace.id, connection_id=connection_id)
            if connection_id
            else only_connection(session, workspace_id=workspace.id)
        )
        gateways = gateways_for(connection, settings, count=BACKFILL_CONCURRENCY)
        workspace_id, conn_id = workspace.id, connection.id
    try:
        return run_backfill(
            store,
            workspace_id=workspace_id,
            connection_id=conn_id,
            gateway=gateways,
            now=now,
            on_progress=on_progress,
        )
    except StagelineError as exc:
        with store.session() as session:
            connection = get_connection(session, workspace_id=workspace_id, connection_id=conn_id)
            connection.status = "failing"
            connection.last_error = exc.one_line()
        raise


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int


def import_accounts(
    store: Store, *, workspace_ref: str | None, csv_text: str, now: datetime
) -> Imported:
    """Parse the whole file first; write all rows or none; then rematch and refresh facts."""
    rows = parse_accounts_csv(csv_text)
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        lock_workspace(session, workspace_id=workspace.id)
        result = account_store.upsert_accounts(session, workspace_id=workspace.id, rows=rows)
        recompute_facts(session, workspace=workspace, now=now, cause="accounts-import")
    return Imported(result.created, result.updated)


def import_users(
    store: Store, *, workspace_ref: str | None, csv_text: str, now: datetime
) -> Imported:
    rows = parse_users_csv(csv_text)
    with store.session() as session:
        workspace = find_workspace(session, ref=workspace_ref)
        lock_workspace(session, workspace_id=workspace.id)
        result = account_store.upsert_users(session, workspace_id=workspace.id, rows=rows)
        recompute_facts(session, workspace=workspace, now=now, cause="users-import")
    return Imported(result.created, result.updated)
