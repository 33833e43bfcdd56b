"""REST API v1: authenticated by a workspace API key; JSON keys match the CLI's ``--json``.

Settings changes re-evaluate every account and answer with what that did, as
``stageline settings ... set --json`` does.

    curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8000/api/v1/accounts/acme
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict

from stageline.domain.stages import StageRules, StageRulesError, rules_from_dict
from stageline.errors import InvalidInput
from stageline.facts import configure
from stageline.facts.settings import POLICY_SWITCHES, ConnectionMatching, WorkspaceSettings
from stageline.facts.users import user_detail
from stageline.facts.views import (
    account_detail,
    list_account_summaries,
    movement_view,
    stage_history,
    unmatched_customers,
)
from stageline.store import accounts as account_store
from stageline.store import facts as fact_store
from stageline.web import paths  # noqa: F401  (registers the {name:segment} convertor)
from stageline.web.deps import ApiWorkspace, SessionDep
from stageline.web.strict_json import StrictJsonRoute

router = APIRouter(prefix="/api/v1", tags=["api"], route_class=StrictJsonRoute)
JsonBody = Body(...)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/accounts")
def list_accounts(workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    """Every account with MRR, renewal date and stage."""
    data = list_account_summaries(session, workspace=workspace, now=_now())
    return {"object": "list", "data": data}


@router.get("/accounts/{external_id:segment}")
def get_account(external_id: str, workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    """One account: MRR lines, subscriptions, MRR ledger, stage history, changes."""
    return account_detail(session, workspace=workspace, external_id=external_id, now=_now())


@router.get("/accounts/{external_id:segment}/movements")
def get_movements(external_id: str, workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    """The account's MRR ledger, newest first."""
    account = account_store.get_account(session, workspace_id=workspace.id, external_id=external_id)
    rows = fact_store.list_movements(session, workspace_id=workspace.id, account_id=account.id)
    return {"object": "list", "data": [movement_view(row) for row in rows]}


@router.get("/accounts/{external_id:segment}/stage-history")
def get_stage_history(
    external_id: str, workspace: ApiWorkspace, session: SessionDep
) -> dict[str, Any]:
    """The account's stage transitions (newest first), time in stage and time per stage."""
    account = account_store.get_account(session, workspace_id=workspace.id, external_id=external_id)
    history = stage_history(session, workspace=workspace, account_id=account.id, now=_now())
    return {"object": "list", "data": history.pop("stage_history"), **history}


@router.get("/users/{external_id:segment}")
def get_user(external_id: str, workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    """A user and its accounts' values."""
    return user_detail(session, workspace=workspace, external_id=external_id, now=_now())


@router.get("/customers/unmatched")
def list_unmatched(
    workspace: ApiWorkspace, session: SessionDep, include_skipped: bool = False
) -> dict[str, Any]:
    """Unmatched and ambiguous Stripe customers with the reason (and deleted ones on request)."""
    data = unmatched_customers(session, workspace=workspace, include_skipped=include_skipped)
    return {"object": "list", "data": data}


@router.get("/settings")
def get_settings(workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    """Every setting: MRR, stage rules, matching per connection."""
    return configure.settings_view(session, workspace=workspace)


@router.get("/settings/matching")
def get_matching(workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    return {"object": "list", "data": configure.matching_view(session, workspace=workspace)}


@router.put("/settings/matching/{connection_id:segment}")
def put_matching(
    connection_id: str,
    workspace: ApiWorkspace,
    session: SessionDep,
    body: dict[str, Any] = JsonBody,
) -> dict[str, Any]:
    """``{"steps": [...], "create_missing": false}`` (docs/matching.md); ``{"reset": true}``
    goes back to the default. Every customer is rematched."""
    matching = None if body == {"reset": True} else ConnectionMatching.from_json(body)
    return configure.set_matching(
        session, workspace=workspace, connection_id=connection_id, matching=matching, now=_now()
    )


class MrrSettingsBody(BaseModel):
    """Fields left out keep their value; ``fx_rates`` replaces every rate."""

    model_config = ConfigDict(extra="forbid")
    count_trials: bool | None = None
    keep_scheduled_cancellations: bool | None = None
    apply_all_active_discounts: bool | None = None
    reporting_currency: str | None = None
    fx_rates: dict[str, str] | None = None
    fx_rates_date: str | None = None
    mrr_source: str | None = None
    renewal_source: str | None = None


@router.get("/settings/mrr")
def get_mrr(workspace: ApiWorkspace) -> dict[str, Any]:
    return configure.mrr_view(workspace)


@router.put("/settings/mrr")
def put_mrr(workspace: ApiWorkspace, session: SessionDep, body: MrrSettingsBody) -> dict[str, Any]:
    """Change MRR settings and recompute every account."""
    switches = {
        name: value for name in POLICY_SWITCHES if (value := getattr(body, name)) is not None
    }
    change = configure.MrrChange(
        switches=switches,
        reporting_currency=body.reporting_currency,
        fx_rates=body.fx_rates,
        fx_rates_date=body.fx_rates_date,
        mrr_source=body.mrr_source,
        renewal_source=body.renewal_source,
    )
    return configure.set_mrr(session, workspace=workspace, change=change, now=_now())


def _rules(body: dict[str, Any]) -> StageRules | None:
    if body == {"reset": True}:
        return None
    try:
        return rules_from_dict(body)
    except StageRulesError as exc:
        raise InvalidInput(f"stage rules: {exc}", hint="see docs/stages.md") from exc


@router.get("/settings/stages")
def get_stages(workspace: ApiWorkspace) -> dict[str, Any]:
    return configure.stages_view(workspace)


@router.post("/settings/stages/preview")
def preview_stages(
    workspace: ApiWorkspace, session: SessionDep, body: dict[str, Any] = JsonBody
) -> dict[str, Any]:
    """How many accounts would move under the rules in the body; nothing is saved."""
    rules = _rules(body) or WorkspaceSettings().stage_rules
    return configure.preview_stage_rules(session, workspace=workspace, rules=rules)


@router.put("/settings/stages")
def put_stages(
    workspace: ApiWorkspace, session: SessionDep, body: dict[str, Any] = JsonBody
) -> dict[str, Any]:
    """Replace the rules (``{"reset": true}``: the default) and re-evaluate every account."""
    return configure.set_stage_rules(session, workspace=workspace, rules=_rules(body), now=_now())
