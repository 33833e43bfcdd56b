"""Recompute every account's facts from the Stripe mirror, and log each change with its cause.

The domain functions do the thinking; this module loads, maps, calls them and stores.

>>> with store.session() as session:  # doctest: +SKIP
...     recompute_facts(session, workspace=ws, now=datetime.now(UTC), cause="backfill")
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from stageline.domain.billing import Customer, Discount, Subscription
from stageline.domain.matching import (
    AccountRecord,
    MatchStrategy,
    UserRecord,
    match_customers,
)
from stageline.domain.mrr import account_mrr
from stageline.domain.renewal import renewal_facts
from stageline.domain.stages import derive_stage
from stageline.facts.settings import WorkspaceSettings
from stageline.store import accounts as account_store
from stageline.store import facts as fact_store
from stageline.store.connections import list_connections
from stageline.store.mirror import load_objects
from stageline.store.models import (
    AccountFacts,
    CustomerMatch,
    FactChange,
    StripeConnection,
    StripeObject,
    Workspace,
)
from stageline.stripe_api import mapping


@dataclass(frozen=True)
class RecomputeSummary:
    accounts: int
    changed: int
    matched_customers: int
    unmatched_customers: int
    ambiguous_customers: int


def recompute_facts(
    session: Session, *, workspace: Workspace, now: datetime, cause: str
) -> RecomputeSummary:
    """Rematch every customer and refresh the facts of every account of ``workspace``."""
    settings = WorkspaceSettings.from_json(workspace.settings)
    accounts = account_store.list_accounts(session, workspace_id=workspace.id)
    users = account_store.list_users(session, workspace_id=workspace.id)
    membership = account_store.memberships(session, workspace_id=workspace.id)
    account_records = [
        AccountRecord(id=a.id, external_id=a.external_id, name=a.name, properties=a.properties)
        for a in accounts
    ]
    user_records = [
        UserRecord(
            id=u.id,
            external_id=u.external_id,
            email=u.email,
            properties=u.properties,
            account_ids=membership.get(u.id, ()),
        )
        for u in users
    ]
    coupons = _raw_by_id(load_objects(session, workspace_id=workspace.id, object_type="coupon"))
    prices = _raw_by_id(load_objects(session, workspace_id=workspace.id, object_type="price"))
    subs_by_customer: dict[str, list[Subscription]] = defaultdict(list)
    for row in load_objects(session, workspace_id=workspace.id, object_type="subscription"):
        sub = mapping.to_subscription(row.data, coupons=coupons, prices=prices)
        subs_by_customer[sub.customer_id].append(sub)

    customers_of_account: dict[int, list[Customer]] = defaultdict(list)
    counts = {"matched": 0, "unmatched": 0, "ambiguous": 0}
    for connection in list_connections(session, workspace_id=workspace.id):
        customers = [
            mapping.to_customer(row.data, coupons)
            for row in load_objects(
                session,
                workspace_id=workspace.id,
                object_type="customer",
                connection_ids=[connection.id],
            )
        ]
        strategy = _strategy(settings, connection)
        report = match_customers(customers, account_records, user_records, strategy)
        by_id = {c.id: c for c in customers}
        rows = []
        for match in report.matches:
            counts[match.status] = counts.get(match.status, 0) + 1
            rows.append(
                CustomerMatch(
                    connection_id=connection.id,
                    customer_id=match.customer_id,
                    workspace_id=workspace.id,
                    status=match.status,
                    step=match.step,
                    reason=match.reason,
                    user_id=match.user_id,
                    account_ids=list(match.account_ids),
                    updated_at=now,
                )
            )
            if match.status == "matched":
                for account_id in match.account_ids:
                    customers_of_account[account_id].append(by_id[match.customer_id])
        fact_store.replace_matches(
            session, workspace_id=workspace.id, connection_id=connection.id, matches=rows
        )

    previous = fact_store.facts_by_account(session, workspace_id=workspace.id)
    changed = 0
    for account in accounts:
        customers = customers_of_account.get(account.id, [])
        subscriptions = [s for c in customers for s in subs_by_customer.get(c.id, [])]
        customer_discounts: dict[str, Discount] = {
            c.id: c.discount for c in customers if c.discount is not None
        }
        breakdown = account_mrr(
            subscriptions,
            now=now,
            policy=settings.mrr_policy,
            customer_discounts=customer_discounts,
        )
        renewal = renewal_facts(subscriptions, now=now)
        stage = derive_stage(subscriptions, settings.stage_rules)
        primary = breakdown.primary(settings.reporting_currency)
        new_values = {
            "mrr": {
                "totals": dict(breakdown.totals),
                "amount": primary.amount,
                "currency": primary.currency,
            },
            "stage": stage.stage,
            "renewal_date": renewal.renewal_date.isoformat() if renewal.renewal_date else None,
        }
        facts = previous.get(account.id)
        if facts is None:
            facts = AccountFacts(account_id=account.id, workspace_id=workspace.id)
            session.add(facts)
            old_values: dict[str, Any] = {"mrr": None, "stage": None, "renewal_date": None}
        else:
            old_values = {
                "mrr": {
                    "totals": dict(facts.mrr_totals),
                    "amount": facts.mrr_amount,
                    "currency": facts.mrr_currency,
                },
                "stage": facts.stage,
                "renewal_date": facts.renewal_date.isoformat() if facts.renewal_date else None,
            }
        if _record_changes(session, workspace, account.id, old_values, new_values, now, cause):
            changed += 1
        if facts.stage != stage.stage or facts.stage_since is None:
            facts.stage_since = now if stage.stage is not None else None
        facts.mrr_amount = primary.amount
        facts.mrr_currency = primary.currency
        facts.mrr_totals = dict(breakdown.totals)
        facts.renewal_date = renewal.renewal_date
        facts.ends_at = renewal.ends_at
        facts.stage = stage.stage
        facts.customer_ids = sorted(c.id for c in customers)
        facts.explanation = _explanation(breakdown, stage, renewal)
        facts.computed_at = now
    session.flush()
    return RecomputeSummary(
        accounts=len(accounts),
        changed=changed,
        matched_customers=counts["matched"],
        unmatched_customers=counts["unmatched"],
        ambiguous_customers=counts["ambiguous"],
    )


def _strategy(settings: WorkspaceSettings, connection: StripeConnection) -> MatchStrategy:
    return settings.match_strategy or MatchStrategy.metadata(connection.metadata_key)


def _raw_by_id(rows: list[StripeObject]) -> dict[str, Mapping[str, Any]]:
    return {row.stripe_id: row.data for row in rows}


def _record_changes(
    session: Session,
    workspace: Workspace,
    account_id: int,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    now: datetime,
    cause: str,
) -> bool:
    changed = False
    for kind in ("mrr", "stage", "renewal_date"):
        if old[kind] != new[kind]:
            session.add(
                FactChange(
                    workspace_id=workspace.id,
                    account_id=account_id,
                    kind=kind,
                    old_value={"value": old[kind]},
                    new_value={"value": new[kind]},
                    cause=cause,
                    at=now,
                )
            )
            changed = True
    return changed


def _explanation(breakdown: Any, stage: Any, renewal: Any) -> dict[str, Any]:
    return {
        "mrr_lines": [
            {
                "subscription_id": line.subscription_id,
                "item_id": line.item_id,
                "price_id": line.price_id,
                "product_id": line.product_id,
                "currency": line.currency,
                "quantity": line.quantity,
                "interval": str(line.interval) if line.interval else None,
                "interval_count": line.interval_count,
                "period_amount": str(line.period_amount),
                "discount": line.discount_note,
                "monthly_amount": str(line.monthly_amount),
                "counted": line.counted,
                "reason": line.reason,
            }
            for line in breakdown.lines
        ],
        "stage_subscription_id": stage.subscription_id,
        "unmatched_statuses": list(stage.unmatched_statuses),
        "renewal_subscription_id": renewal.subscription_id,
        "renews_in_days": renewal.renews_in_days,
    }
