"""Server-rendered pages (Jinja2): sign-in, accounts list, one account."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from stageline.config import Settings
from stageline.domain.money import Money
from stageline.errors import AuthenticationFailed
from stageline.facts.views import (
    account_detail,
    list_account_summaries,
    stage_label,
    unmatched_customers,
)
from stageline.store.connections import list_connections
from stageline.store.workspaces import authenticate_api_key
from stageline.sync.status import connection_status
from stageline.web.deps import SESSION_WORKSPACE, SessionDep, SettingsDep, UiWorkspace
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


templates.env.filters["duration"] = _duration
templates.env.filters["fact"] = _fact
templates.env.filters["stage_label"] = lambda row: stage_label(
    row.get("stage"), row.get("unmatched_statuses") or []
)
router = APIRouter(include_in_schema=False)
LOGIN_LINK_MAX_AGE = 24 * 3600


def _signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="stageline-login")


def login_link(settings: Settings, workspace_id: str) -> str:
    """A sign-in link valid for a day, e.g. for the demo to print."""
    token = _signer(settings).dumps({"ws": workspace_id})
    return f"{settings.public_url}/login?token={token}"


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/accounts", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, token: str | None = None) -> Response:
    if token:
        try:
            data: dict[str, Any] = _signer(settings).loads(token, max_age=LOGIN_LINK_MAX_AGE)
        except BadSignature:
            return templates.TemplateResponse(
                request,
                "login.html",
                {"error": "That sign-in link is invalid or expired."},
                status_code=401,
            )
        request.session[SESSION_WORKSPACE] = data["ws"]
        return RedirectResponse("/accounts", status_code=303)
    return templates.TemplateResponse(request, "login.html", {"error": None})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request, session: SessionDep, api_key: Annotated[str, Form()] = ""
) -> Response:
    try:
        workspace = authenticate_api_key(session, api_key=api_key.strip())
    except AuthenticationFailed:
        return templates.TemplateResponse(
            request, "login.html", {"error": "That API key is not valid."}, status_code=401
        )
    request.session[SESSION_WORKSPACE] = workspace.id
    return RedirectResponse("/accounts", status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request, workspace: UiWorkspace, session: SessionDep, settings: SettingsDep
) -> Response:
    accounts = list_account_summaries(session, workspace=workspace, now=datetime.now(UTC))
    now = datetime.now(UTC)
    connections = [
        connection_status(session, connection=c, now=now, public_url=settings.public_url)
        for c in list_connections(session, workspace_id=workspace.id)
    ]
    unmatched = unmatched_customers(session, workspace=workspace)
    return templates.TemplateResponse(
        request,
        "accounts.html",
        {
            "workspace": workspace,
            "accounts": accounts,
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
    return templates.TemplateResponse(
        request, "account.html", {"workspace": workspace, "account": detail}
    )
