"""Use cases shared by the CLI, the API and the demo: sync and import (connecting Stripe
accounts is :mod:`stageline.connecting`).

Each takes the store and settings explicitly and returns plain results; adapters present them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from stageline.config import Settings
from stageline.connecting import learn_account
from stageline.errors import NotFound, StagelineError
from stageline.facts import RecomputeSummary, recompute_facts
from stageline.importing import parse_accounts_csv, parse_users_csv
from stageline.store import accounts as account_store
from stageline.store.connections import (
    get_connection,
    list_connections,
    record_connection_error,
)
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.models import Workspace
from stageline.store.workspaces import find_workspace
from stageline.sync.backfill import BackfillResult, ProgressCallback, run_backfill
from stageline.sync.gateway import gateways_for

BACKFILL_CONCURRENCY = 4


@dataclass(frozen=True)
class ConnectionSynced:
    """One connection's backfill: its result, or the error that stopped it."""

    connection_id: str
    mode: str
    stripe_account_id: str | None
    result: BackfillResult | None = None
    error: str | None = None
    skipped: str | None = None
    """Why it was not synced, when that is not a failure (a connection waiting for a key)."""


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
            synced.append(replace(planned, skipped=waiting))
            continue
        try:
            gateways = gateways_for(connection_row, settings, count=BACKFILL_CONCURRENCY)
            if connection_row.stripe_account_id is None:
                learn_account(store, connection_row, gateways[0])
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
                record_connection_error(
                    session, connection_id=planned.connection_id, error=exc.one_line()
                )
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
