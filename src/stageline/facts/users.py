"""A user's read model: only accounts carry MRR, renewal date and stage, so a user shows the
values of the accounts it belongs to, and the Stripe customers matched to it.

Example::

    user_detail(session, workspace=ws, external_id="u-1", now=now)
    # {'external_id': 'u-1', 'accounts': [{'external_id': 'acme', 'mrr': {...}, ...}], ...}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stageline.errors import NotFound
from stageline.facts.views import account_summary
from stageline.store import accounts as account_store
from stageline.store import facts as fact_store
from stageline.store.models import Membership, User, Workspace

__all__ = ["user_detail"]


def _get_user(session: Session, *, workspace_id: str, external_id: str) -> User:
    found = session.scalar(
        select(User).where(User.workspace_id == workspace_id, User.external_id == external_id)
    )
    if found is None:
        raise NotFound(
            f"no user with external id {external_id!r} in this workspace",
            hint="import users with stageline users import FILE.csv",
        )
    return found


def user_detail(
    session: Session, *, workspace: Workspace, external_id: str, now: datetime
) -> dict[str, Any]:
    """The user, its accounts (each with its MRR, renewal date and stage) and its customers."""
    user = _get_user(session, workspace_id=workspace.id, external_id=external_id)
    account_ids = list(
        session.scalars(
            select(Membership.account_id).where(
                Membership.workspace_id == workspace.id, Membership.user_id == user.id
            )
        )
    )
    accounts = (
        account_store.accounts_with_facts(
            session, workspace_id=workspace.id, account_ids=account_ids
        )
        if account_ids
        else []
    )
    matches = fact_store.list_matches(session, workspace_id=workspace.id, user_id=user.id)
    return {
        "external_id": user.external_id,
        "name": user.name,
        "email": user.email,
        "properties": dict(user.properties),
        "accounts": [account_summary(a, f, now=now) for a, f in accounts],
        "stripe_customers": [
            {
                "connection_id": m.connection_id,
                "customer_id": m.customer_id,
                "status": m.status,
                "step": m.step,
                "reason": m.reason,
            }
            for m in matches
        ],
    }
