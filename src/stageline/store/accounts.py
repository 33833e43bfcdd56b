"""Our own accounts and users (external id, name, properties) and user ↔ account membership."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from stageline.errors import InvalidInput, NotFound
from stageline.store.models import Account, AccountFacts, Membership, User

USER_FIELDS = ("name", "email", "account_external_ids")


@dataclass(frozen=True)
class AccountRow:
    """What to set on one account: ``name`` (``None`` keeps it), ``properties`` to set, the
    properties named in ``cleared`` to remove; ``line`` is where it came from, for errors."""

    external_id: str
    name: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    cleared: frozenset[str] = frozenset()
    line: int | None = None


@dataclass(frozen=True)
class UserRow:
    """What to set on one user: ``name``, ``email`` (``None`` keeps them), ``properties`` to
    set, ``account_external_ids`` (``None`` keeps the memberships, a tuple replaces them), and
    in ``cleared`` the fields and properties to clear (``account_external_ids``: no accounts)."""

    external_id: str
    name: str | None = None
    email: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    account_external_ids: tuple[str, ...] | None = None
    cleared: frozenset[str] = frozenset()
    line: int | None = None


@dataclass(frozen=True)
class UpsertResult:
    """Rows counted by what they did: created, changed, or left as they were."""

    created: int
    updated: int
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _at(row: AccountRow | UserRow) -> str:
    return f"line {row.line}: " if row.line is not None else ""


def _merged(
    properties: Mapping[str, Any], row: AccountRow | UserRow, *, reserved: tuple[str, ...] = ()
) -> dict[str, Any]:
    cleared = row.cleared - set(reserved)
    return {
        **{k: v for k, v in properties.items() if k not in cleared},
        **row.properties,
    }


def upsert_accounts(
    session: Session, *, workspace_id: str, rows: Sequence[AccountRow]
) -> UpsertResult:
    """Create or update accounts by external id, changing only what each row gives.

    A new account needs a name; an existing one keeps its name and every property the row
    does not set or clear. Rows that change nothing are counted as unchanged.
    """
    existing = {
        a.external_id: a
        for a in session.scalars(select(Account).where(Account.workspace_id == workspace_id))
    }
    nameless = [row for row in rows if row.external_id not in existing and not row.name]
    if nameless:
        raise InvalidInput(
            f"{_at(nameless[0])}account {nameless[0].external_id!r} is new and has no name",
            hint="add a name column with its name",
        )
    created = updated = unchanged = 0
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
            continue
        name = row.name or account.name
        properties = _merged(account.properties, row)
        if name == account.name and properties == account.properties:
            unchanged += 1
            continue
        account.name = name
        account.properties = properties
        updated += 1
    session.flush()
    return UpsertResult(created, updated, unchanged)


def upsert_users(session: Session, *, workspace_id: str, rows: Sequence[UserRow]) -> UpsertResult:
    """Create or update users by external id, changing only what each row gives; unknown
    accounts are an error. Rows that change nothing are counted as unchanged."""
    accounts = account_ids_by_external_id(session, workspace_id=workspace_id)
    missing = sorted(
        {ext for row in rows for ext in row.account_external_ids or () if ext not in accounts}
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
    members = memberships(session, workspace_id=workspace_id)
    created = updated = unchanged = 0
    for row in rows:
        user = existing.get(row.external_id)
        if user is None:
            user = User(workspace_id=workspace_id, external_id=row.external_id, properties={})
            session.add(user)
            existing[row.external_id] = user
            created += 1
        before = (user.name, user.email, dict(user.properties or {}))
        old_accounts = set(members.get(user.id, ())) if user.id is not None else set()
        after = (
            None if "name" in row.cleared else row.name or user.name,
            None if "email" in row.cleared else (row.email or user.email or "").lower() or None,
            _merged(user.properties or {}, row, reserved=USER_FIELDS),
        )
        new_accounts = old_accounts
        if "account_external_ids" in row.cleared:
            new_accounts = set()
        elif row.account_external_ids is not None:
            new_accounts = {accounts[ext] for ext in row.account_external_ids}
        if user.id is not None and before == after and old_accounts == new_accounts:
            unchanged += 1
            continue
        if user.id is not None:
            updated += 1
        user.name, user.email, user.properties = after
        session.flush()
        if new_accounts != old_accounts:
            session.execute(
                delete(Membership).where(
                    Membership.workspace_id == workspace_id, Membership.user_id == user.id
                )
            )
            for account_id in sorted(new_accounts):
                session.add(
                    Membership(workspace_id=workspace_id, user_id=user.id, account_id=account_id)
                )
    session.flush()
    return UpsertResult(created, updated, unchanged)


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
