"""REST API v1: authenticated by a workspace API key; JSON keys match the CLI's ``--json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stageline.facts.views import account_detail, list_account_summaries, unmatched_customers
from stageline.web.deps import ApiWorkspace, SessionDep

router = APIRouter(prefix="/api/v1", tags=["api"])


@router.get("/accounts")
def list_accounts(workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    """Every account with MRR, renewal date and stage."""
    return {"object": "list", "data": list_account_summaries(session, workspace=workspace)}


@router.get("/accounts/{external_id}")
def get_account(external_id: str, workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    """One account with its subscriptions, MRR lines and history."""
    return account_detail(session, workspace=workspace, external_id=external_id)


@router.get("/customers/unmatched")
def list_unmatched(workspace: ApiWorkspace, session: SessionDep) -> dict[str, Any]:
    return {"object": "list", "data": unmatched_customers(session, workspace=workspace)}
