"""Reading and changing a workspace's settings; every change re-evaluates every account.

The CLI (``stageline settings ...``) and the REST API (``/api/v1/settings/...``) both call
these, so they answer with the same JSON. A change takes the workspace lock before it reads
the settings it changes, so concurrent changes apply one after the other and their
recomputes never interleave with another writer of facts.

Example::

    with store.session() as session:
        set_stage_rules(session, workspace=ws, rules=None, now=now)  # back to the default
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from stageline.domain.mrr import MrrPolicy
from stageline.domain.stages import StageRules, derive_stage, preview_rule_change, rules_to_dict
from stageline.errors import InvalidInput
from stageline.facts.loading import load_billing
from stageline.facts.recompute import RecomputeSummary, recompute_facts
from stageline.facts.settings import (
    POLICY_SWITCHES,
    ConnectionMatching,
    WorkspaceSettings,
    check_matching_names,
    check_source_name,
    check_stage_names,
    parse_currency,
    parse_rates,
    parse_rates_date,
)
from stageline.facts.sources import ValueSource
from stageline.store import accounts as account_store
from stageline.store import facts as fact_store
from stageline.store.connections import get_connection, list_connections, only_connection
from stageline.store.locks import lock_workspace
from stageline.store.models import Workspace

__all__ = [
    "MrrChange",
    "matching_view",
    "mrr_view",
    "preview_stage_rules",
    "set_matching",
    "set_mrr",
    "set_stage_rules",
    "settings_view",
    "stages_view",
    "summary_view",
]


def _settings(workspace: Workspace) -> WorkspaceSettings:
    return WorkspaceSettings.from_json(workspace.settings or {})


def _save(
    session: Session, workspace: Workspace, settings: WorkspaceSettings, now: datetime, cause: str
) -> RecomputeSummary:
    workspace.settings = settings.to_json()
    session.flush()
    return recompute_facts(session, workspace=workspace, now=now, cause=cause)


def summary_view(summary: RecomputeSummary) -> dict[str, Any]:
    """What re-evaluating the accounts did, as JSON."""
    return {
        "accounts": summary.accounts,
        "changed": summary.changed,
        "movements": summary.movements,
        "stage_transitions": summary.transitions,
        "customers": {
            "matched": summary.matched_customers,
            "unmatched": summary.unmatched_customers,
            "ambiguous": summary.ambiguous_customers,
            "skipped": summary.skipped_customers,
        },
        "created": {"accounts": summary.created_accounts, "users": summary.created_users},
    }


# --- matching ---


def matching_view(session: Session, *, workspace: Workspace) -> list[dict[str, Any]]:
    """Each connection's matching strategy, whether it is the default, and create-missing."""
    settings = _settings(workspace)
    rows = []
    for connection in list_connections(session, workspace_id=workspace.id):
        config = settings.matching_for(connection.id, default_metadata_key=connection.metadata_key)
        rows.append(
            {
                "connection_id": connection.id,
                "default": connection.id not in settings.matching,
                **config.to_json(),
                "created_target": config.created_target,
                "created_property": config.created_property,
            }
        )
    return rows


def set_matching(
    session: Session,
    *,
    workspace: Workspace,
    connection_id: str | None,
    matching: ConnectionMatching | None,
    now: datetime,
) -> dict[str, Any]:
    """Set (``None``: back to the default) one connection's matching, then rematch all."""
    lock_workspace(session, workspace_id=workspace.id)
    connection = (
        get_connection(session, workspace_id=workspace.id, connection_id=connection_id)
        if connection_id
        else only_connection(session, workspace_id=workspace.id)
    )
    if matching is not None:
        check_matching_names(matching)
    settings = _settings(workspace)
    configs = dict(settings.matching)
    if matching is None:
        configs.pop(connection.id, None)
    else:
        configs[connection.id] = matching
    updated = replace(settings, matching=MappingProxyType(configs))
    summary = _save(session, workspace, updated, now, "matching settings changed")
    shown = next(
        m
        for m in matching_view(session, workspace=workspace)
        if m["connection_id"] == connection.id
    )
    return {"matching": shown, "recomputed": summary_view(summary)}


# --- MRR ---


@dataclass(frozen=True)
class MrrChange:
    """A change of the MRR settings; ``None`` leaves a setting as it is.

    ``fx_rates`` replaces every rate when ``replace_fx_rates``, else adds to or updates them;
    rates always come with the date they are from (``fx_rates_date``).
    """

    switches: Mapping[str, bool] | None = None
    reporting_currency: str | None = None
    fx_rates: Mapping[str, object] | None = None
    replace_fx_rates: bool = True
    fx_rates_date: str | None = None
    mrr_source: str | None = None
    renewal_source: str | None = None


def mrr_view(workspace: Workspace) -> dict[str, Any]:
    """The MRR switches, reporting currency, FX rates with their date, and value sources."""
    settings = _settings(workspace)
    return {
        **{name: getattr(settings.mrr_policy, name) for name in POLICY_SWITCHES},
        "reporting_currency": settings.reporting_currency,
        "fx_rates": {c: str(r) for c, r in settings.fx_rates.items()},
        "fx_rates_date": settings.fx_rates_date,
        "mrr_source": str(settings.mrr_source),
        "renewal_source": str(settings.renewal_source),
    }


def set_mrr(
    session: Session, *, workspace: Workspace, change: MrrChange, now: datetime
) -> dict[str, Any]:
    """Apply ``change``, then recompute every account. A new reporting currency without new
    rates drops the old rates (they were to the old currency), and the answer says so."""
    lock_workspace(session, workspace_id=workspace.id)
    settings = _settings(workspace)
    notes: list[str] = []
    unknown = sorted(set(change.switches or {}) - set(POLICY_SWITCHES))
    if unknown:
        raise InvalidInput(f"unknown MRR switch(es) {', '.join(unknown)}")
    policy = MrrPolicy(
        **{
            name: (change.switches or {}).get(name, getattr(settings.mrr_policy, name))
            for name in POLICY_SWITCHES
        }
    )
    currency = settings.reporting_currency
    rates, rates_date = dict(settings.fx_rates), settings.fx_rates_date
    if change.reporting_currency is not None:
        currency = parse_currency(change.reporting_currency, "reporting currency")
        if currency != settings.reporting_currency and change.fx_rates is None and rates:
            notes.append(f"FX rates cleared: they were to {settings.reporting_currency}")
            rates, rates_date = {}, None
    if change.fx_rates is not None:
        given = parse_rates(change.fx_rates)
        rates = dict(given) if change.replace_fx_rates else {**rates, **given}
        if given and change.fx_rates_date is None:
            raise InvalidInput(
                "FX rates need the date they are from", hint="--fx-rates-date YYYY-MM-DD"
            )
    if change.fx_rates_date is not None:
        rates_date = parse_rates_date(change.fx_rates_date)
    if currency in rates:
        raise InvalidInput(f"no FX rate is needed for the reporting currency {currency}")
    updated = replace(
        settings,
        mrr_policy=policy,
        reporting_currency=currency,
        fx_rates=MappingProxyType(dict(sorted(rates.items()))),
        fx_rates_date=rates_date if rates else None,
        mrr_source=check_source_name(ValueSource.parse(change.mrr_source, what="MRR"), "MRR")
        if change.mrr_source is not None
        else settings.mrr_source,
        renewal_source=check_source_name(
            ValueSource.parse(change.renewal_source, what="renewal date", allow_period=False),
            "renewal date",
        )
        if change.renewal_source is not None
        else settings.renewal_source,
    )
    summary = _save(session, workspace, updated, now, "MRR settings changed")
    return {"mrr": mrr_view(workspace), "notes": notes, "recomputed": summary_view(summary)}


# --- stage rules ---


def stages_view(workspace: Workspace) -> dict[str, Any]:
    """The stage rules in their stored form (``domain.stages.rules_to_dict``)."""
    return rules_to_dict(_settings(workspace).stage_rules)


def preview_stage_rules(
    session: Session, *, workspace: Workspace, rules: StageRules
) -> dict[str, Any]:
    """How many accounts would move, from which stage to which, under ``rules``; changes
    nothing. Accounts keep their current customers (matching is not re-run)."""
    check_stage_names(rules)
    facts = fact_store.facts_by_account(session, workspace_id=workspace.id)
    billing = load_billing(session, workspace_id=workspace.id)
    current: dict[int, str | None] = {}
    proposed: dict[int, str | None] = {}
    for account_id in account_store.account_ids_by_external_id(
        session, workspace_id=workspace.id
    ).values():
        row = facts.get(account_id)
        customer_ids = list(row.customer_ids) if row else []
        subscriptions = [s for c in customer_ids for s in billing.subscriptions_of(c)]
        current[account_id] = row.stage if row else None
        proposed[account_id] = derive_stage(subscriptions, rules).stage
    preview = preview_rule_change(current, proposed)
    moves = sorted(preview.moves.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return {
        "moves": [{"from": f, "to": t, "accounts": n} for (f, t), n in moves],
        "moved": preview.moved,
        "unchanged": preview.unchanged,
        "total": preview.total,
        "applied": False,
        "rules": rules_to_dict(rules),
    }


def set_stage_rules(
    session: Session, *, workspace: Workspace, rules: StageRules | None, now: datetime
) -> dict[str, Any]:
    """Save ``rules`` (``None``: the default) and re-evaluate every account; the answer has
    the preview of what moved and what the recompute did."""
    lock_workspace(session, workspace_id=workspace.id)
    settings = _settings(workspace)
    chosen = rules if rules is not None else WorkspaceSettings().stage_rules
    preview = preview_stage_rules(session, workspace=workspace, rules=chosen)
    summary = _save(
        session, workspace, replace(settings, stage_rules=chosen), now, "stage rules changed"
    )
    return {**preview, "applied": True, "recomputed": summary_view(summary)}


def settings_view(session: Session, *, workspace: Workspace) -> dict[str, Any]:
    """Every setting: MRR, stage rules, and each connection's matching."""
    return {
        "mrr": mrr_view(workspace),
        "stages": stages_view(workspace),
        "matching": matching_view(session, workspace=workspace),
    }
