"""The workspace lock: one writer of a workspace's mirror and facts at a time.

Every writer (inbox batch, backfill page, sweep, and every recompute of facts, whoever starts
it: an import, a settings change, the scheduled refresh) takes the workspace's lock first,
in the same transaction, so no stale write slips in between another writer's read and write.
On PostgreSQL it is a row lock on the workspace (``FOR NO KEY UPDATE``, which does not block
inserts referencing it); on SQLite, a no-op write that takes the database write lock at once
instead of upgrading a read lock later. Either way the lock ends with the transaction.

The session remembers which workspace locks its current transaction holds, so a writer can
insist on it: :func:`require_workspace_lock` raises :class:`WorkspaceNotLocked` when a facts
writer runs without the lock (a programming error, caught by any test that reaches it).

Example::

    with store.session() as session:
        lock_workspace(session, workspace_id="ws_...")
        recompute_facts(session, workspace=workspace, now=now, cause="import")
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, SessionTransaction

from stageline.store.models import Workspace

_HELD = "stageline.workspace_locks"


class WorkspaceNotLocked(RuntimeError):
    """A writer of facts ran without holding the workspace lock: a bug, never user input."""


def lock_workspace(session: Session, *, workspace_id: str, wait: bool = True) -> bool:
    """Take the workspace's lock until the transaction ends; reload the workspace row.

    With ``wait=False`` (PostgreSQL only) a workspace already locked elsewhere returns
    ``False`` at once; SQLite always waits (it has a single writer anyway). Once locked, the
    session's ``Workspace`` object holds the row as committed by the previous holder.
    """
    if session.get_bind().dialect.name == "postgresql":
        query = (
            select(Workspace)
            .where(Workspace.id == workspace_id)
            .with_for_update(key_share=True, skip_locked=not wait)
            .execution_options(populate_existing=True)
        )
        if session.scalars(query).first() is None:
            return False
    else:
        session.execute(
            update(Workspace).where(Workspace.id == workspace_id).values(name=Workspace.name)
        )
        session.scalars(
            select(Workspace)
            .where(Workspace.id == workspace_id)
            .execution_options(populate_existing=True)
        ).first()
    held: dict[str, SessionTransaction] = session.info.setdefault(_HELD, {})
    transaction = session.get_transaction()
    assert transaction is not None  # the statement above began one
    held[workspace_id] = transaction
    return True


def holds_workspace_lock(session: Session, *, workspace_id: str) -> bool:
    """Whether the session's current transaction took ``workspace_id``'s lock."""
    held: SessionTransaction | None = session.info.get(_HELD, {}).get(workspace_id)
    return held is not None and held is session.get_transaction() and held.is_active


def require_workspace_lock(session: Session, *, workspace_id: str, writer: str) -> None:
    """Raise :class:`WorkspaceNotLocked` unless the transaction holds the workspace's lock."""
    if not holds_workspace_lock(session, workspace_id=workspace_id):
        raise WorkspaceNotLocked(
            f"{writer} writes the facts of workspace {workspace_id} without its lock: "
            "call stageline.store.locks.lock_workspace first, in the same transaction"
        )
