"""Browser sessions live server-side: sign-out ends them for good, a sign-in link works once,
and neither outlives its lifetime."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.models import WebSession
from stageline.store.web_sessions import (
    create_sign_in_link,
    create_web_session,
    redeem_sign_in_link,
    session_workspace,
)
from stageline.store.workspaces import create_workspace
from stageline.web import create_app
from stageline.web.deps import SESSION_COOKIE
from tests.signin import sign_in_path

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def workspace_id(store: Store) -> str:
    with store.session() as session:
        return create_workspace(session, name="Acme").workspace.id


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client


def _sessions(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(WebSession)) or 0)


def test_sign_out_deletes_the_session_so_a_kept_cookie_is_refused(
    client: TestClient, store: Store, settings: Settings, workspace_id: str
) -> None:
    assert client.get(sign_in_path(store, settings, workspace_id)).url.path == "/accounts"
    kept = client.cookies[SESSION_COOKIE]
    assert _sessions(store) == 1
    client.post("/logout")
    assert _sessions(store) == 0
    client.cookies.set(SESSION_COOKIE, kept)  # a copy of the cookie taken before signing out
    again = client.get("/accounts", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/login"


def test_a_sign_in_link_works_once(
    client: TestClient, store: Store, settings: Settings, workspace_id: str
) -> None:
    link = sign_in_path(store, settings, workspace_id)
    assert client.get(link).url.path == "/accounts"
    client.cookies.clear()
    reused = client.get(link, follow_redirects=False)
    assert reused.status_code == 401 and "already used" in reused.text
    assert SESSION_COOKIE not in reused.cookies


def test_the_session_cookie_is_http_only_and_lax(
    client: TestClient, store: Store, settings: Settings, workspace_id: str
) -> None:
    response = client.get(sign_in_path(store, settings, workspace_id), follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert f"max-age={settings.session_lifetime_hours * 3600}" in cookie


def test_links_and_sessions_expire(store: Store, workspace_id: str) -> None:
    with store.session() as session:
        link = create_sign_in_link(session, workspace_id=workspace_id, now=NOW, lifetime=DAY)
        token = create_web_session(session, workspace_id=workspace_id, now=NOW, lifetime=DAY)
    with store.session() as session:
        assert redeem_sign_in_link(session, token=link, now=NOW + DAY) is None
        assert session_workspace(session, token=token, now=NOW + DAY - timedelta(seconds=1))
        assert session_workspace(session, token=token, now=NOW + DAY) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: "ws_other." + t.split(".", 1)[1],  # another workspace's key
        lambda t: t.replace(".", "", 1),  # not three parts
        lambda t: "",
        lambda t: t + "." + "a" * 500,
    ],
)
def test_a_forged_token_opens_nothing(
    store: Store, workspace_id: str, tamper: Callable[[str], str]
) -> None:
    with store.session() as session:
        token = create_web_session(session, workspace_id=workspace_id, now=NOW, lifetime=DAY)
        link = create_sign_in_link(session, workspace_id=workspace_id, now=NOW, lifetime=DAY)
    with store.session() as session:
        assert session_workspace(session, token=tamper(token), now=NOW) is None
        assert redeem_sign_in_link(session, token=tamper(link), now=NOW) is None
        assert redeem_sign_in_link(session, token=link, now=NOW) == workspace_id
