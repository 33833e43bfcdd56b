"""Stored account facts, customer matches, the log of fact changes, the MRR ledger and the
stage history. Every query is scoped by ``workspace_id``; the writers here require the
workspace lock (``store.locks``), as every writer of facts does.

Each change of an account's facts has a revision (``account_facts.revision`` counts them);
:func:`flush_changes` writes a revision's rows once, whoever else tries.

Example::

    with store.session() as session:
        list_movements(session, workspace_id=ws.id, account_id=42)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, UniqueConstraint, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stageline.errors import ConcurrentChange
from stageline.store.locks import require_workspace_lock
from stageline.store.models import (
    AccountFacts,
    CustomerMatch,
    FactChange,
    MrrMovement,
    StageTransition,
)


def facts_by_account(
    session: Session, *, workspace_id: str, account_ids: Collection[int] | None = None
) -> dict[int, AccountFacts]:
    """The stored facts of every account (or of ``account_ids``), by account id."""
    query = select(AccountFacts).where(AccountFacts.workspace_id == workspace_id)
    if account_ids is not None:
        query = query.where(AccountFacts.account_id.in_(list(account_ids)))
    return {row.account_id: row for row in session.scalars(query)}


@dataclass(frozen=True)
class MatchRow:
    """How one customer matched, as :func:`replace_matches` stores it."""

    customer_id: str
    status: str
    step: str | None
    reason: str | None
    user_id: int | None
    account_ids: tuple[int, ...]

    def same_as(self, row: CustomerMatch) -> bool:
        stored = (row.status, row.step, row.reason, row.user_id, tuple(row.account_ids or ()))
        return stored == (self.status, self.step, self.reason, self.user_id, self.account_ids)


def replace_matches(
    session: Session,
    *,
    workspace_id: str,
    connection_id: str,
    matches: Iterable[MatchRow],
    now: datetime,
    customer_ids: Collection[str] | None = None,
) -> None:
    """Make the stored matches of one connection equal ``matches``: all of them, or only
    those of ``customer_ids`` (a partial rematch). Unchanged rows are left as they are, so
    ``updated_at`` says since when a match holds."""
    require_workspace_lock(session, workspace_id=workspace_id, writer="customer matches")
    query = select(CustomerMatch).where(
        CustomerMatch.workspace_id == workspace_id,
        CustomerMatch.connection_id == connection_id,
    )
    if customer_ids is not None:
        query = query.where(CustomerMatch.customer_id.in_(list(customer_ids)))
    held = {row.customer_id: row for row in session.scalars(query)}
    for match in matches:
        row = held.pop(match.customer_id, None)
        if row is None:
            row = CustomerMatch(
                connection_id=connection_id,
                customer_id=match.customer_id,
                workspace_id=workspace_id,
            )
            session.add(row)
        elif match.same_as(row):
            continue
        row.status, row.step, row.reason = match.status, match.step, match.reason
        row.user_id, row.account_ids, row.updated_at = match.user_id, list(match.account_ids), now
    for gone in held.values():
        session.delete(gone)
    session.flush()


def list_matches(
    session: Session,
    *,
    workspace_id: str,
    statuses: Sequence[str] | None = None,
    customer_ids: Collection[str] | None = None,
    user_id: int | None = None,
) -> list[CustomerMatch]:
    """Matches, optionally only with some statuses, of some customers, or to one user."""
    query = select(CustomerMatch).where(CustomerMatch.workspace_id == workspace_id)
    if statuses:
        query = query.where(CustomerMatch.status.in_(list(statuses)))
    if customer_ids is not None:
        query = query.where(CustomerMatch.customer_id.in_(list(customer_ids)))
    if user_id is not None:
        query = query.where(CustomerMatch.user_id == user_id)
    return list(session.scalars(query.order_by(CustomerMatch.customer_id)))


def fact_changes(
    session: Session,
    *,
    workspace_id: str,
    account_id: int,
    kinds: Sequence[str] | None = None,
    limit: int = 200,
) -> list[FactChange]:
    """The newest changes of one account's facts first."""
    query = select(FactChange).where(
        FactChange.workspace_id == workspace_id, FactChange.account_id == account_id
    )
    if kinds:
        query = query.where(FactChange.kind.in_(list(kinds)))
    return list(
        session.scalars(query.order_by(FactChange.at.desc(), FactChange.id.desc()).limit(limit))
    )


def list_movements(
    session: Session, *, workspace_id: str, account_id: int, limit: int = 200
) -> list[MrrMovement]:
    """One account's MRR ledger, newest first."""
    query = select(MrrMovement).where(
        MrrMovement.workspace_id == workspace_id, MrrMovement.account_id == account_id
    )
    return list(
        session.scalars(query.order_by(MrrMovement.at.desc(), MrrMovement.id.desc()).limit(limit))
    )


def accounts_with_movements(
    session: Session, *, workspace_id: str, account_ids: Collection[int]
) -> set[int]:
    """Which of ``account_ids`` ever had an MRR movement (so they had MRR at some time)."""
    if not account_ids:
        return set()
    rows = session.scalars(
        select(MrrMovement.account_id)
        .where(
            MrrMovement.workspace_id == workspace_id,
            MrrMovement.account_id.in_(list(account_ids)),
        )
        .distinct()
    )
    return set(rows)


def list_transitions(
    session: Session, *, workspace_id: str, account_id: int, limit: int = 500
) -> list[StageTransition]:
    """One account's stage history, newest first."""
    query = select(StageTransition).where(
        StageTransition.workspace_id == workspace_id, StageTransition.account_id == account_id
    )
    return list(
        session.scalars(
            query.order_by(StageTransition.at.desc(), StageTransition.id.desc()).limit(limit)
        )
    )


def recredit_causes(
    session: Session, *, workspace_id: str, marker: str, causes: Mapping[int, str]
) -> int:
    """Give the changes recorded under ``marker`` their real cause, per account id.

    For a batch recomputed once under a placeholder cause: the fact changes, MRR movements and
    stage transitions of each account in ``causes`` get that account's cause. Returns the
    number of rows updated.
    """
    require_workspace_lock(session, workspace_id=workspace_id, writer="ledger causes")
    updated = 0
    for model in (FactChange, MrrMovement, StageTransition):
        for account_id, cause in causes.items():
            result = session.execute(
                update(model)
                .where(
                    model.workspace_id == workspace_id,
                    model.account_id == account_id,
                    model.cause == marker,
                )
                .values(cause=cause[:200])
            )
            updated += int(getattr(result, "rowcount", 0) or 0)
    session.flush()
    return updated


LEDGER_MODELS = (FactChange, MrrMovement, StageTransition)


def flush_changes(session: Session) -> None:
    """Write what is pending, the rows of the change log, MRR ledger and stage history
    included; a revision of an account is written once.

    Two recomputes that read the same facts both compute the same next revision; the later
    one to write gets :class:`ConcurrentChange` (on PostgreSQL once the first commits) and
    its transaction is rolled back, facts included: running it again starts from what the
    first wrote. Nothing is skipped silently, so the ledger never disagrees with the facts.
    """
    try:
        session.flush()
    except IntegrityError as exc:
        if not _is_revision_guard(exc):
            raise
        raise ConcurrentChange(
            "an account's facts changed while they were being recomputed",
            hint="run it again: it starts from the facts the other change wrote",
        ) from exc


def latest_revisions(
    session: Session, *, workspace_id: str, account_ids: Collection[int]
) -> dict[int, int]:
    """The highest revision in the ledger of each of ``account_ids`` that has one."""
    if not account_ids:
        return {}
    ids = list(account_ids)
    latest: dict[int, int] = {}
    for model in LEDGER_MODELS:
        rows = session.execute(
            select(model.account_id, func.max(model.revision))
            .where(model.workspace_id == workspace_id, model.account_id.in_(ids))
            .group_by(model.account_id)
        )
        for account_id, revision in rows:
            latest[account_id] = max(latest.get(account_id, 0), int(revision))
    return latest


def _revision_guards() -> dict[str, str]:
    """Each guard's name, and how SQLite names its columns in a violation message."""
    guards = {}
    for model in LEDGER_MODELS:
        table = model.__table__
        assert isinstance(table, Table)
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and "revision" in constraint.columns:
                columns = ", ".join(f"{table.name}.{column.name}" for column in constraint.columns)
                guards[str(constraint.name)] = columns
    return guards


def _is_revision_guard(exc: IntegrityError) -> bool:
    guards = _revision_guards()
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name is not None:
        return name in guards
    message = str(exc.orig)
    return any(message == f"UNIQUE constraint failed: {columns}" for columns in guards.values())
