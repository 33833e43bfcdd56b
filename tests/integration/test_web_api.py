"""The web app in-process: health is open, everything else needs a key or a session,
and a workspace never sees another's data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from stageline.config import Settings
from stageline.operations import import_accounts
from stageline.store.db import Store
from stageline.store.workspaces import create_workspace
from stageline.web import create_app
from tests.signin import sign_in_path

NOW = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.fixture
def keys(store: Store) -> dict[str, str]:
    with store.session() as session:
        acme = create_workspace(session, name="Acme")
        globex = create_workspace(session, name="Globex")
    import_accounts(
        store, workspace_ref="Acme", csv_text="external_id,name\nacme-1,Acme One\n", now=NOW
    )
    import_accounts(
        store, workspace_ref="Globex", csv_text="external_id,name\nglobex-1,Globex One\n", now=NOW
    )
    return {"acme": acme.api_key, "globex": globex.api_key, "acme_id": acme.workspace.id}


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_health_is_open_and_reports_the_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer sl_key_wrong"}, {"Authorization": "Basic abc"}]
)
def test_api_refuses_missing_or_wrong_keys(
    client: TestClient, keys: dict[str, str], headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/accounts", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "AuthenticationFailed"


def test_each_workspace_sees_only_its_accounts(client: TestClient, keys: dict[str, str]) -> None:
    acme = client.get("/api/v1/accounts", headers=_auth(keys["acme"])).json()["data"]
    globex = client.get("/api/v1/accounts", headers=_auth(keys["globex"])).json()["data"]
    assert [a["external_id"] for a in acme] == ["acme-1"]
    assert [a["external_id"] for a in globex] == ["globex-1"]
    other = client.get("/api/v1/accounts/globex-1", headers=_auth(keys["acme"]))
    assert other.status_code == 404
    mine = client.get("/api/v1/accounts/acme-1", headers=_auth(keys["acme"])).json()
    assert mine["mrr"] == {"amount": 0, "currency": "usd"}
    assert mine["stage"] is None


def test_ui_needs_a_session_and_accepts_a_key_or_a_signed_link(
    client: TestClient, keys: dict[str, str], settings: Settings, store: Store
) -> None:
    assert client.get("/accounts", follow_redirects=False).headers["location"] == "/login"
    refused = client.post("/login", data={"api_key": "nope"})
    assert refused.status_code == 401 and "not valid" in refused.text
    signed_in = client.post("/login", data={"api_key": keys["globex"]})
    assert signed_in.status_code == 200 and "Globex One" in signed_in.text
    assert "Acme One" not in signed_in.text
    client.post("/logout")
    link = sign_in_path(store, settings, keys["acme_id"])
    page = client.get(link)
    assert "Acme One" in page.text and "Globex One" not in page.text
    assert client.get("/login?token=forged").status_code == 401


def test_the_api_description_is_served_only_with_a_key(
    client: TestClient, keys: dict[str, str]
) -> None:
    for path in ("/api/docs", "/docs", "/redoc", "/openapi.json", "/api/openapi.json"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/openapi.json").status_code == 401
    described = client.get("/api/v1/openapi.json", headers=_auth(keys["acme"]))
    assert described.status_code == 200
    assert "/api/v1/accounts" in described.json()["paths"]
