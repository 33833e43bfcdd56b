"""Stored account facts, customer matches and the log of fact changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stageline.store.models import AccountFacts, CustomerMatch, FactChange


def facts_by_account(session: Session, *, workspace_id: str) -> dict[int, AccountFacts]:
    rows = session.scalars(select(AccountFacts).where(AccountFacts.workspace_id == workspace_id))
    return {row.account_id: row for row in rows}


def replace_matches(
    session: Session, *, workspace_id: str, connection_id: str, matches: Iterable[CustomerMatch]
) -> None:
    session.execute(
        delete(CustomerMatch).where(
            CustomerMatch.workspace_id == workspace_id,
            CustomerMatch.connection_id == connection_id,
        )
    )
    session.add_all(list(matches))
    session.flush()


def list_matches(
    session: Session, *, workspace_id: str, statuses: Sequence[str] | None = None
) -> list[CustomerMatch]:
    query = select(CustomerMatch).where(CustomerMatch.workspace_id == workspace_id)
    if statuses:
        query = query.where(CustomerMatch.status.in_(list(statuses)))
    return list(session.scalars(query.order_by(CustomerMatch.customer_id)))


def fact_changes(
    session: Session,
    *,
    workspace_id: str,
    account_id: int,
    kinds: Sequence[str] | None = None,
    limit: int = 200,
) -> list[FactChange]:
    query = select(FactChange).where(
        FactChange.workspace_id == workspace_id, FactChange.account_id == account_id
    )
    if kinds:
        query = query.where(FactChange.kind.in_(list(kinds)))
    return list(
        session.scalars(query.order_by(FactChange.at.desc(), FactChange.id.desc()).limit(limit))
    )
