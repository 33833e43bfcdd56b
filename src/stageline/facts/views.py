"""Read models shared by the CLI, the REST API and the web UI: stable JSON keys.

Values that move with the clock (``renews_in_days``, ``time_in_stage_seconds``) are computed
at read time from ``now``, which the caller passes.

Example::

    account_summary(account, facts, now=now)
    # {'external_id': 'acme', 'name': 'Acme', 'mrr': {'amount': 14700, 'currency': 'usd'}, ...}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from stageline.domain.money import Money
from stageline.domain.renewal import days_until
from stageline.domain.stage_history import StageTransition, time_by_stage, time_in_stage
from stageline.domain.stages import StageRules
from stageline.facts.settings import WorkspaceSettings
from stageline.store import accounts as account_store
from stageline.store import facts as fact_store
from stageline.store.mirror import load_objects
from stageline.store.models import Account, AccountFacts, Workspace
from stageline.stripe_api.mapping import timestamp

__all__ = [
    "account_detail",
    "account_summary",
    "iso",
    "list_account_summaries",
    "movement_view",
    "stage_breakdown",
    "stage_history",
    "unmatched_customers",
]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, or ``None``."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def _seconds_since(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    spent = time_in_stage([StageTransition(None, None, moment, None)], now)
    return None if spent is None else int(spent.total_seconds())


def stage_label(stage: str | None, unmatched_statuses: Sequence[str]) -> str:
    """What to show for a stage: its name, "no matching stage" when subscriptions exist that
    no rule covers, or "no subscriptions".

    >>> stage_label(None, ["paused"]), stage_label(None, []), stage_label("Trial", [])
    ('no matching stage', 'no subscriptions', 'Trial')
    """
    if stage:
        return stage
    return "no matching stage" if unmatched_statuses else "no subscriptions"


def stage_breakdown(
    accounts: Sequence[Mapping[str, Any]], rules: StageRules
) -> list[dict[str, Any]]:
    """How many accounts sit in each stage, in the order of the workspace's rules, then those
    no rule places (by :func:`stage_label`), when there are any. ``tone`` is the stage's
    position among the rules, for its colour; ``None`` for accounts without a stage.

    >>> from stageline.domain.stages import DEFAULT_STAGE_RULES
    >>> rows = [{"stage": "Trial"}, {"stage": "Trial"}, {"stage": None,
    ...          "unmatched_statuses": ["paused"]}]
    >>> [(c["name"], c["count"], c["tone"]) for c in stage_breakdown(rows, DEFAULT_STAGE_RULES)]
    [('Customer', 0, 0), ('Trial', 2, 1), ('Churn', 0, 2), ('no matching stage', 1, None)]
    """
    tones = stage_tones(rules)
    counts = dict.fromkeys(tones, 0)
    unplaced: dict[str, int] = {}
    for account in accounts:
        stage = account.get("stage")
        if stage in counts:
            counts[stage] += 1
        else:
            label = stage_label(stage, account.get("unmatched_statuses") or [])
            unplaced[label] = unplaced.get(label, 0) + 1
    placed = [{"name": n, "count": c, "tone": tones[n]} for n, c in counts.items()]
    return placed + [{"name": n, "count": c, "tone": None} for n, c in unplaced.items()]


def stage_tones(rules: StageRules) -> dict[str, int]:
    """Each stage name's position among the rules (first rule first, names once).

    >>> from stageline.domain.stages import DEFAULT_STAGE_RULES
    >>> stage_tones(DEFAULT_STAGE_RULES)
    {'Customer': 0, 'Trial': 1, 'Churn': 2}
    """
    return {name: tone for tone, name in enumerate(dict.fromkeys(rules.names))}


def account_summary(
    account: Account, facts: AccountFacts | None, *, now: datetime
) -> dict[str, Any]:
    """One account as listed: MRR, renewal date, stage and its Stripe customer ids."""
    explanation = facts.explanation if facts else {}
    renewal = facts.renewal_date if facts else None
    return {
        "external_id": account.external_id,
        "name": account.name,
        "mrr": Money(facts.mrr_amount, facts.mrr_currency).to_json()
        if facts
        else {"amount": 0, "currency": "usd"},
        "mrr_basis": explanation.get("mrr_basis", "reporting_currency"),
        "mrr_by_currency": dict(facts.mrr_totals) if facts else {},
        "renewal_date": iso(renewal),
        "renewal_basis": explanation.get("renewal_basis", "stripe"),
        "ends_at": iso(facts.ends_at) if facts else None,
        "renews_in_days": days_until(renewal, now=now) if renewal else None,
        "stage": facts.stage if facts else None,
        "stage_since": iso(facts.stage_since) if facts else None,
        "time_in_stage_seconds": _seconds_since(facts.stage_since if facts else None, now),
        "unmatched_statuses": list(explanation.get("unmatched_statuses", [])),
        "stripe_customer_ids": list(facts.customer_ids) if facts else [],
    }


def list_account_summaries(
    session: Session, *, workspace: Workspace, now: datetime
) -> list[dict[str, Any]]:
    """Every account, highest MRR first."""
    return [
        account_summary(account, facts, now=now)
        for account, facts in account_store.accounts_with_facts(session, workspace_id=workspace.id)
    ]


def movement_view(row: Any) -> dict[str, Any]:
    """One MRR ledger row; ``amount`` is signed minor units, ``money`` its size formatted."""
    return {
        "kind": row.kind,
        "currency": row.currency,
        "amount": row.amount,
        "previous_amount": row.previous_amount,
        "current_amount": row.current_amount,
        "money": Money(abs(row.amount), row.currency).format(),
        "at": iso(row.at),
        "cause": row.cause,
    }


def stage_history(
    session: Session, *, workspace: Workspace, account_id: int, now: datetime
) -> dict[str, Any]:
    """Transitions newest first, time in the current stage and total time per stage."""
    rows = fact_store.list_transitions(session, workspace_id=workspace.id, account_id=account_id)
    history = [StageTransition(r.from_stage, r.to_stage, r.at, r.cause) for r in rows]
    spent = time_in_stage(history, now)
    return {
        "stage_history": [
            {"from": t.from_stage, "to": t.to_stage, "at": iso(t.at), "cause": t.cause}
            for t in history
        ],
        "time_in_stage_seconds": None if spent is None else int(spent.total_seconds()),
        "time_by_stage_seconds": {
            stage: int(total.total_seconds())
            for stage, total in time_by_stage(history, now).items()
        },
    }


def account_detail(
    session: Session, *, workspace: Workspace, external_id: str, now: datetime
) -> dict[str, Any]:
    """Everything about one account: summary, how its MRR adds up, subscriptions, MRR ledger,
    stage history and the log of fact changes."""
    account = account_store.get_account(session, workspace_id=workspace.id, external_id=external_id)
    facts = fact_store.facts_by_account(
        session, workspace_id=workspace.id, account_ids=[account.id]
    ).get(account.id)
    settings = WorkspaceSettings.from_json(workspace.settings or {})
    explanation = facts.explanation if facts else {}
    detail = account_summary(account, facts, now=now)
    detail["properties"] = dict(account.properties)
    detail["mrr_note"] = explanation.get("mrr_note")
    detail["renewal_note"] = explanation.get("renewal_note")
    detail["reporting_currency"] = settings.reporting_currency
    detail["fx_rates_date"] = settings.fx_rates_date
    detail["mrr_source"] = str(settings.mrr_source)
    detail["renewal_source"] = str(settings.renewal_source)
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
    detail["mrr_lines"] = list(explanation.get("mrr_lines", []))
    detail["movements"] = [
        movement_view(row)
        for row in fact_store.list_movements(
            session, workspace_id=workspace.id, account_id=account.id
        )
    ]
    detail.update(stage_history(session, workspace=workspace, account_id=account.id, now=now))
    detail["history"] = [
        {
            "kind": change.kind,
            "from": (change.old_value or {}).get("value"),
            "to": (change.new_value or {}).get("value"),
            "at": iso(change.at),
            "cause": change.cause,
        }
        for change in fact_store.fact_changes(
            session, workspace_id=workspace.id, account_id=account.id
        )
    ]
    return detail


def _subscription_view(data: dict[str, Any]) -> dict[str, Any]:
    items = (data.get("items") or {}).get("data", [])
    customer = data.get("customer")
    return {
        "id": data["id"],
        "customer_id": customer if isinstance(customer, str) else (customer or {}).get("id"),
        "status": data.get("status"),
        "currency": data.get("currency"),
        "cancel_at_period_end": bool(data.get("cancel_at_period_end")),
        "cancel_at": iso(timestamp(data.get("cancel_at"))),
        "trial_end": iso(timestamp(data.get("trial_end"))),
        "items": [
            {
                "id": item["id"],
                "price_id": (item.get("price") or {}).get("id"),
                "quantity": item.get("quantity"),
                "current_period_end": iso(
                    timestamp(item.get("current_period_end") or data.get("current_period_end"))
                ),
            }
            for item in items
        ],
    }


def unmatched_customers(
    session: Session, *, workspace: Workspace, include_skipped: bool = False
) -> list[dict[str, Any]]:
    """Customers that matched nothing (``unmatched``) or several (``ambiguous``), with the reason,
    their email and name; with ``include_skipped``, deleted customers too."""
    statuses = ["unmatched", "ambiguous", *(["skipped"] if include_skipped else [])]
    matches = fact_store.list_matches(session, workspace_id=workspace.id, statuses=statuses)
    known = {
        row.stripe_id: row.data
        for row in load_objects(
            session,
            workspace_id=workspace.id,
            object_type="customer",
            customer_ids=[m.customer_id for m in matches],
        )
    } if matches else {}  # fmt: skip
    return [
        {
            "connection_id": match.connection_id,
            "customer_id": match.customer_id,
            "email": known.get(match.customer_id, {}).get("email"),
            "name": known.get(match.customer_id, {}).get("name"),
            "status": match.status,
            "step": match.step,
            "reason": match.reason,
        }
        for match in matches
    ]
