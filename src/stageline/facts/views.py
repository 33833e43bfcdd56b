"""Read models shared by the CLI, the REST API and the web UI: stable JSON keys.

>>> account_summary(account, facts)  # doctest: +SKIP
{'external_id': 'acme', 'name': 'Acme', 'mrr': {'amount': 14700, 'currency': 'usd'}, ...}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from stageline.domain.money import Money
from stageline.store import accounts as account_store
from stageline.store import facts as fact_store
from stageline.store.mirror import load_objects
from stageline.store.models import Account, AccountFacts, Workspace
from stageline.stripe_api.mapping import timestamp


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def account_summary(account: Account, facts: AccountFacts | None) -> dict[str, Any]:
    """One account as listed: MRR, renewal date, stage and its Stripe customer ids."""
    if facts is None:
        return {
            "external_id": account.external_id,
            "name": account.name,
            "mrr": {"amount": 0, "currency": "usd"},
            "mrr_by_currency": {},
            "renewal_date": None,
            "ends_at": None,
            "renews_in_days": None,
            "stage": None,
            "stage_since": None,
            "stripe_customer_ids": [],
        }
    return {
        "external_id": account.external_id,
        "name": account.name,
        "mrr": Money(facts.mrr_amount, facts.mrr_currency).to_json(),
        "mrr_by_currency": dict(facts.mrr_totals),
        "renewal_date": _iso(facts.renewal_date),
        "ends_at": _iso(facts.ends_at),
        "renews_in_days": facts.explanation.get("renews_in_days"),
        "stage": facts.stage,
        "stage_since": _iso(facts.stage_since),
        "stripe_customer_ids": list(facts.customer_ids),
    }


def list_account_summaries(session: Session, *, workspace: Workspace) -> list[dict[str, Any]]:
    return [
        account_summary(account, facts)
        for account, facts in account_store.accounts_with_facts(session, workspace_id=workspace.id)
    ]


def account_detail(session: Session, *, workspace: Workspace, external_id: str) -> dict[str, Any]:
    """Everything about one account: summary, subscriptions, MRR lines, fact history."""
    account = account_store.get_account(session, workspace_id=workspace.id, external_id=external_id)
    rows = account_store.accounts_with_facts(
        session, workspace_id=workspace.id, account_ids=[account.id]
    )
    facts = rows[0][1] if rows else None
    detail = account_summary(account, facts)
    detail["properties"] = dict(account.properties)
    customer_ids = list(facts.customer_ids) if facts else []
    subscriptions = (
        load_objects(
            session,
            workspace_id=workspace.id,
            object_type="subscription",
            customer_ids=customer_ids,
        )
        if customer_ids
        else []
    )
    detail["subscriptions"] = [_subscription_view(row.data) for row in subscriptions]
    detail["mrr_lines"] = list(facts.explanation.get("mrr_lines", [])) if facts else []
    detail["unmatched_statuses"] = (
        list(facts.explanation.get("unmatched_statuses", [])) if facts else []
    )
    detail["history"] = [
        {
            "kind": change.kind,
            "from": (change.old_value or {}).get("value"),
            "to": (change.new_value or {}).get("value"),
            "at": _iso(change.at),
            "cause": change.cause,
        }
        for change in fact_store.fact_changes(
            session, workspace_id=workspace.id, account_id=account.id
        )
    ]
    return detail


def _subscription_view(data: dict[str, Any]) -> dict[str, Any]:
    items = (data.get("items") or {}).get("data", [])
    return {
        "id": data["id"],
        "customer_id": data.get("customer")
        if isinstance(data.get("customer"), str)
        else (data.get("customer") or {}).get("id"),
        "status": data.get("status"),
        "currency": data.get("currency"),
        "cancel_at_period_end": bool(data.get("cancel_at_period_end")),
        "cancel_at": _iso(timestamp(data.get("cancel_at"))),
        "trial_end": _iso(timestamp(data.get("trial_end"))),
        "items": [
            {
                "id": item["id"],
                "price_id": (item.get("price") or {}).get("id"),
                "quantity": item.get("quantity"),
                "current_period_end": _iso(
                    timestamp(item.get("current_period_end") or data.get("current_period_end"))
                ),
            }
            for item in items
        ],
    }


def unmatched_customers(session: Session, *, workspace: Workspace) -> list[dict[str, Any]]:
    return [
        {
            "connection_id": match.connection_id,
            "customer_id": match.customer_id,
            "status": match.status,
            "reason": match.reason,
        }
        for match in fact_store.list_matches(
            session, workspace_id=workspace.id, statuses=["unmatched", "ambiguous"]
        )
    ]
