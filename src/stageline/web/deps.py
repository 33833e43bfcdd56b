"""Request dependencies: the store, and the authenticated workspace (API key or UI session)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from stageline.config import Settings
from stageline.errors import AuthenticationFailed
from stageline.store.db import Store
from stageline.store.models import Workspace
from stageline.store.web_sessions import session_workspace
from stageline.store.workspaces import authenticate_api_key

SESSION_COOKIE = "stageline_session"
# Declares the API key in the OpenAPI document; missing or malformed credentials are refused
# by api_workspace, in the error envelope.
bearer_key = HTTPBearer(auto_error=False, description="a workspace API key (sl_key_...)")


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def db_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    with store.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def api_workspace(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_key)],
) -> Workspace:
    """The workspace of the ``Authorization: Bearer <api key>`` header."""
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        raise AuthenticationFailed("missing API key", hint="send Authorization: Bearer <api key>")
    return authenticate_api_key(session, api_key=token)


class LoginRequired(Exception):
    """Raised by UI routes without a session; the app redirects to the login page."""


def ui_workspace(request: Request, session: SessionDep) -> Workspace:
    """The workspace of the browser's live session (a server-side row), else the login page."""
    token = request.cookies.get(SESSION_COOKIE)
    workspace = session_workspace(session, token=token, now=datetime.now(UTC)) if token else None
    if workspace is None:
        raise LoginRequired
    return workspace


ApiWorkspace = Annotated[Workspace, Depends(api_workspace)]
UiWorkspace = Annotated[Workspace, Depends(ui_workspace)]
