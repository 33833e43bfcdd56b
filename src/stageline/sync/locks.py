"""Serializing writers of one workspace's mirror and facts, and retrying a flaky Stripe.

Every sync writer (inbox batch, backfill page, sweep) takes the workspace's lock first, in
the same transaction, so a stale write can never slip in between another writer's read and
write. On PostgreSQL it is a row lock on the workspace (``FOR NO KEY UPDATE``, which does not
block inserts referencing it); on SQLite, a no-op write that takes the database write lock
at once instead of upgrading a read lock later.

>>> with store.session() as session:  # doctest: +SKIP
...     lock_workspace(session, workspace_id="ws_...")
...     upsert_objects(session, ...)
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stageline.errors import StagelineError
from stageline.store.models import Workspace

log = logging.getLogger("stageline.sync")

T = TypeVar("T")


def lock_workspace(session: Session, *, workspace_id: str, wait: bool = True) -> bool:
    """Take the workspace's sync lock until the transaction ends.

    With ``wait=False`` (PostgreSQL only) a workspace already locked elsewhere returns
    ``False`` at once; SQLite always waits (it has a single writer anyway).
    """
    if session.get_bind().dialect.name == "postgresql":
        query = (
            select(Workspace.id)
            .where(Workspace.id == workspace_id)
            .with_for_update(key_share=True, skip_locked=not wait)
        )
        return session.scalar(query) is not None
    session.execute(
        update(Workspace).where(Workspace.id == workspace_id).values(name=Workspace.name)
    )
    return True


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 0.5,
    what: str = "Stripe call",
) -> T:
    """Run ``call``, retrying retryable Stageline errors with exponential backoff and jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except StagelineError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = random.uniform(0.5, 1.0) * min(8.0, base_delay * 2 ** (attempt - 1))
            log.info("%s failed (%s); retry %d in %.1f s", what, exc.one_line(), attempt, delay)
            sleep(delay)
    raise AssertionError("unreachable")
