"""Our own accounts and users (external id, name, properties) and user ↔ account membership."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from stageline.errors import NotFound
from stageline.store.models import Account, AccountFacts, Membership, User


@dataclass(frozen=True)
class AccountRow:
    external_id: str
    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UserRow:
    external_id: str
    name: str | None
    email: str | None
    properties: Mapping[str, Any] = field(default_factory=dict)
    account_external_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int


def upsert_accounts(
    session: Session, *, workspace_id: str, rows: Sequence[AccountRow]
) -> UpsertResult:
    """Create or update accounts by external id (properties are replaced)."""
    existing = {
        a.external_id: a
        for a in session.scalars(select(Account).where(Account.workspace_id == workspace_id))
    }
    created = updated = 0
    for row in rows:
        account = existing.get(row.external_id)
        if account is None:
            account = Account(
                workspace_id=workspace_id,
                external_id=row.external_id,
                name=row.name,
                properties=dict(row.properties),
            )
            session.add(account)
            existing[row.external_id] = account
            created += 1
        else:
            account.name = row.name
            account.properties = dict(row.properties)
            updated += 1
    session.flush()
    return UpsertResult(created=created, updated=updated)


def upsert_users(session: Session, *, workspace_id: str, rows: Sequence[UserRow]) -> UpsertResult:
    """Create or update users and replace their memberships; unknown accounts are an error."""
    accounts = account_ids_by_external_id(session, workspace_id=workspace_id)
    missing = sorted(
        {ext for row in rows for ext in row.account_external_ids if ext not in accounts}
    )
    if missing:
        raise NotFound(
            f"users refer to unknown accounts: {', '.join(missing[:5])}"
            + (" …" if len(missing) > 5 else ""),
            hint="import the accounts first (stageline accounts import)",
        )
    existing = {
        u.external_id: u
        for u in session.scalars(select(User).where(User.workspace_id == workspace_id))
    }
    created = updated = 0
    for row in rows:
        user = existing.get(row.external_id)
        if user is None:
            user = User(workspace_id=workspace_id, external_id=row.external_id)
            session.add(user)
            existing[row.external_id] = user
            created += 1
        else:
            updated += 1
        user.name = row.name
        user.email = row.email.lower() if row.email else None
        user.properties = dict(row.properties)
        session.flush()
        session.execute(
            delete(Membership).where(
                Membership.workspace_id == workspace_id, Membership.user_id == user.id
            )
        )
        for ext in dict.fromkeys(row.account_external_ids):
            session.add(
                Membership(workspace_id=workspace_id, user_id=user.id, account_id=accounts[ext])
            )
    session.flush()
    return UpsertResult(created=created, updated=updated)


def account_ids_by_external_id(session: Session, *, workspace_id: str) -> dict[str, int]:
    rows = session.execute(
        select(Account.external_id, Account.id).where(Account.workspace_id == workspace_id)
    )
    return {ext: account_id for ext, account_id in rows}


def list_accounts(session: Session, *, workspace_id: str) -> list[Account]:
    return list(
        session.scalars(
            select(Account).where(Account.workspace_id == workspace_id).order_by(Account.name)
        )
    )


def list_users(session: Session, *, workspace_id: str) -> list[User]:
    return list(
        session.scalars(select(User).where(User.workspace_id == workspace_id).order_by(User.id))
    )


def memberships(session: Session, *, workspace_id: str) -> dict[int, tuple[int, ...]]:
    """user id → the ids of its accounts."""
    rows = session.execute(
        select(Membership.user_id, Membership.account_id).where(
            Membership.workspace_id == workspace_id
        )
    )
    result: dict[int, list[int]] = {}
    for user_id, account_id in rows:
        result.setdefault(user_id, []).append(account_id)
    return {user_id: tuple(sorted(ids)) for user_id, ids in result.items()}


def get_account(session: Session, *, workspace_id: str, external_id: str) -> Account:
    found = session.scalar(
        select(Account).where(
            Account.workspace_id == workspace_id, Account.external_id == external_id
        )
    )
    if found is None:
        raise NotFound(
            f"no account with external id {external_id!r} in this workspace",
            hint="stageline accounts list shows them",
        )
    return found


def accounts_with_facts(
    session: Session,
    *,
    workspace_id: str,
    account_ids: Iterable[int] | None = None,
) -> list[tuple[Account, AccountFacts | None]]:
    query = (
        select(Account, AccountFacts)
        .outerjoin(
            AccountFacts,
            (AccountFacts.workspace_id == Account.workspace_id)
            & (AccountFacts.account_id == Account.id),
        )
        .where(Account.workspace_id == workspace_id)
        .order_by(func.coalesce(AccountFacts.mrr_amount, 0).desc(), Account.name)
    )
    if account_ids is not None:
        query = query.where(Account.id.in_(list(account_ids)))
    return [(account, facts) for account, facts in session.execute(query).all()]
