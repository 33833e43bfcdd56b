"""Server-rendered pages (Jinja2): sign-in, accounts list, one account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from stageline.config import Settings
from stageline.domain.money import Money
from stageline.errors import AuthenticationFailed
from stageline.facts.settings import WorkspaceSettings
from stageline.facts.views import (
    account_detail,
    list_account_summaries,
    stage_breakdown,
    stage_label,
    stage_tones,
    unmatched_customers,
)
from stageline.store.connections import list_connections
from stageline.store.web_sessions import (
    create_sign_in_link,
    create_web_session,
    end_web_session,
    redeem_sign_in_link,
)
from stageline.store.workspaces import authenticate_api_key
from stageline.sync.status import connection_status
from stageline.sync.status_text import describe_connection
from stageline.web.deps import SESSION_COOKIE, SessionDep, SettingsDep, UiWorkspace
from stageline.web.paths import encode_segment

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.filters["money"] = lambda m: Money(int(m["amount"]), str(m["currency"])).format()
templates.env.filters["segment"] = encode_segment
templates.env.filters["day"] = lambda iso: iso[:10] if iso else "—"


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    days, rest = divmod(int(seconds), 86400)
    return f"{days} days" if days else f"{rest // 3600} hours"


def _fact(value: Any, kind: str) -> str:
    """A logged fact value: MRR as money, a renewal date as its day, a stage as it is."""
    if value is None:
        return "—"
    if kind == "mrr" and isinstance(value, dict):
        return Money(int(value["amount"]), str(value["currency"])).format()
    return str(value)[:10] if kind == "renewal_date" else str(value)


def _tone(position: int | None) -> str:
    """The CSS class of a stage's colour: eight tones by rule position, then round again."""
    return "stage-none" if position is None else f"tone-{position % 8}"


templates.env.filters["duration"] = _duration
templates.env.filters["tone"] = _tone
templates.env.filters["fact"] = _fact
templates.env.filters["stage_label"] = lambda row: stage_label(
    row.get("stage"), row.get("unmatched_statuses") or []
)
router = APIRouter(include_in_schema=False)


def login_link(session: Session, settings: Settings, workspace_id: str, *, now: datetime) -> str:
    """A link that signs one browser in, once, within ``sign_in_link_lifetime_hours``; the
    demo prints one."""
    token = create_sign_in_link(
        session,
        workspace_id=workspace_id,
        now=now,
        lifetime=timedelta(hours=settings.sign_in_link_lifetime_hours),
    )
    return f"{settings.public_url}/login?token={token}"


def _signed_in(session: Session, settings: Settings, workspace_id: str) -> Response:
    """Open a server-side session and send the browser to its accounts with the cookie."""
    lifetime = timedelta(hours=settings.session_lifetime_hours)
    token = create_web_session(
        session, workspace_id=workspace_id, now=datetime.now(UTC), lifetime=lifetime
    )
    session.commit()  # the browser follows the redirect at once: the row must exist by then
    response = RedirectResponse("/accounts", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )
    return response


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/accounts", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, session: SessionDep, settings: SettingsDep, token: str | None = None
) -> Response:
    if token:
        workspace_id = redeem_sign_in_link(session, token=token, now=datetime.now(UTC))
        if workspace_id is None:
            return templates.TemplateResponse(
                request,
                "login.html",
                {"error": "That sign-in link is invalid, expired or already used."},
                status_code=401,
            )
        return _signed_in(session, settings, workspace_id)
    return templates.TemplateResponse(request, "login.html", {"error": None})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    api_key: Annotated[str, Form()] = "",
) -> Response:
    try:
        workspace = authenticate_api_key(session, api_key=api_key.strip())
    except AuthenticationFailed:
        return templates.TemplateResponse(
            request, "login.html", {"error": "That API key is not valid."}, status_code=401
        )
    return _signed_in(session, settings, workspace.id)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """Sign out: the session row is deleted, so the cookie is worthless even if kept."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_web_session(session, token=token)
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request, workspace: UiWorkspace, session: SessionDep, settings: SettingsDep
) -> Response:
    accounts = list_account_summaries(session, workspace=workspace, now=datetime.now(UTC))
    now = datetime.now(UTC)
    connections = [
        {"status": status, "words": describe_connection(status, now=now)}
        for c in list_connections(session, workspace_id=workspace.id)
        for status in [
            connection_status(session, connection=c, now=now, public_url=settings.public_url)
        ]
    ]
    unmatched = unmatched_customers(session, workspace=workspace)
    rules = WorkspaceSettings.from_json(workspace.settings or {}).stage_rules
    return templates.TemplateResponse(
        request,
        "accounts.html",
        {
            "workspace": workspace,
            "accounts": accounts,
            "stage_cards": stage_breakdown(accounts, rules),
            "stage_tones": stage_tones(rules),
            "connections": connections,
            "unmatched": unmatched,
            "public_url": settings.public_url,
        },
    )


@router.get("/accounts/{external_id:segment}", response_class=HTMLResponse)
def account_page(
    external_id: str, request: Request, workspace: UiWorkspace, session: SessionDep
) -> Response:
    detail = account_detail(
        session, workspace=workspace, external_id=external_id, now=datetime.now(UTC)
    )
    rules = WorkspaceSettings.from_json(workspace.settings or {}).stage_rules
    return templates.TemplateResponse(
        request,
        "account.html",
        {"workspace": workspace, "account": detail, "stage_tones": stage_tones(rules)},
    )
