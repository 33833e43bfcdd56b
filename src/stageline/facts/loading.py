"""Reads what the facts are computed from: our accounts and users, and the Stripe mirror mapped
to domain types. Either the whole workspace, or only some customers (a partial recompute).

Example::

    billing = load_billing(session, workspace_id=ws.id, customer_ids={"cus_1"})
    billing.subscriptions_of("cus_1")
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from stageline.domain.billing import Customer, Subscription
from stageline.domain.matching import AccountRecord, UserRecord
from stageline.store import accounts as account_store
from stageline.store.mirror import load_objects
from stageline.store.models import Account, StripeObject
from stageline.stripe_api import mapping

Json = Mapping[str, Any]


@dataclass(frozen=True)
class Directory:
    """Our accounts and users as the matcher sees them, and the account rows by id."""

    accounts: tuple[AccountRecord, ...]
    users: tuple[UserRecord, ...]
    account_rows: Mapping[int, Account]


def load_directory(session: Session, *, workspace_id: str) -> Directory:
    """Every account and user of the workspace, users with their accounts."""
    accounts = account_store.list_accounts(session, workspace_id=workspace_id)
    membership = account_store.memberships(session, workspace_id=workspace_id)
    users = account_store.list_users(session, workspace_id=workspace_id)
    return Directory(
        accounts=tuple(
            AccountRecord(id=a.id, external_id=a.external_id, name=a.name, properties=a.properties)
            for a in accounts
        ),
        users=tuple(
            UserRecord(
                id=u.id,
                external_id=u.external_id,
                email=u.email,
                properties=u.properties,
                account_ids=membership.get(u.id, ()),
            )
            for u in users
        ),
        account_rows={a.id: a for a in accounts},
    )


@dataclass
class Billing:
    """Customers (by connection) and their subscriptions, mapped to domain types."""

    customers_by_connection: dict[str, list[Customer]] = field(default_factory=dict)
    subscriptions: dict[str, list[Subscription]] = field(default_factory=dict)

    def subscriptions_of(self, customer_id: str) -> list[Subscription]:
        return self.subscriptions.get(customer_id, [])

    def customers(self) -> dict[str, Customer]:
        return {c.id: c for group in self.customers_by_connection.values() for c in group}


def load_billing(
    session: Session, *, workspace_id: str, customer_ids: Collection[str] | None = None
) -> Billing:
    """Customers and subscriptions of the whole workspace, or only of ``customer_ids``.

    Prices and coupons (the catalog, needed for tiers and discounts given by id) are read
    whole: a catalog is small next to customers and subscriptions.
    """
    ids = None if customer_ids is None else sorted(set(customer_ids))
    billing = Billing()
    if ids is not None and not ids:
        return billing
    coupons = _by_id(load_objects(session, workspace_id=workspace_id, object_type="coupon"))
    prices = _by_id(load_objects(session, workspace_id=workspace_id, object_type="price"))
    for row in load_objects(
        session, workspace_id=workspace_id, object_type="customer", customer_ids=ids
    ):
        customer = mapping.to_customer(row.data, coupons)
        billing.customers_by_connection.setdefault(row.connection_id, []).append(customer)
    subscriptions: dict[str, list[Subscription]] = defaultdict(list)
    for row in load_objects(
        session, workspace_id=workspace_id, object_type="subscription", customer_ids=ids
    ):
        subscription = mapping.to_subscription(row.data, coupons=coupons, prices=prices)
        subscriptions[subscription.customer_id].append(subscription)
    billing.subscriptions = dict(subscriptions)
    return billing


def _by_id(rows: list[StripeObject]) -> dict[str, Json]:
    return {row.stripe_id: row.data for row in rows}
