"""Every HTTP error is one envelope, ``{"error": {"type", "code", "message", "param", "hint"}}``:
Stageline's own errors, validation errors, unknown routes, switched-off features and bugs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.workspaces import create_workspace
from stageline.web import create_app
from tests.envelope import envelope


@pytest.fixture
def app(settings: Settings, store: Store) -> FastAPI:
    return create_app(settings, store=store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def auth(store: Store) -> dict[str, str]:
    with store.session() as session:
        key = create_workspace(session, name="Acme").api_key
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "body",
    [
        '{"fx_rates": {"eur": NaN}, "fx_rates_date": "2026-01-01"}',
        '{"fx_rates": {"eur": 1e400}, "fx_rates_date": "2026-01-01"}',
        '{"count_trials": NaN}',
        '{"count_trials": Infinity}',
        '{"count_trials": -Infinity}',
        '{"reporting_currency": 1e400}',
        '{"reporting_currency": ' + "9" * 5000 + "}",
    ],
)
def test_non_json_numbers_in_a_settings_body_are_a_400_not_a_500(
    client: TestClient, auth: dict[str, str], body: str
) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    response = client.put("/api/v1/settings/mrr", content=body, headers=headers)
    error = envelope(response, 400)
    assert (error["type"], error["code"]) == ("InvalidInput", "invalid_json")
    assert client.get("/api/v1/settings/mrr", headers=auth).json()["fx_rates"] == {}


@pytest.mark.parametrize("name", ["a\\u0000b", "a\\ud800b", "\\udfff"])
def test_strings_no_database_can_store_are_refused_as_invalid_json(
    client: TestClient, auth: dict[str, str], name: str
) -> None:
    body = '{"rules": [{"name": "NAME", "statuses": ["active"]}]}'.replace("NAME", name)
    headers = {**auth, "Content-Type": "application/json"}
    response = client.put("/api/v1/settings/stages", content=body, headers=headers)
    assert envelope(response, 400)["code"] == "invalid_json"
    assert client.get("/api/v1/settings/stages", headers=auth).json()["rules"][0]["name"] == (
        "Customer"
    )


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"count_trial": True}, "parameter_unknown", "count_trial"),
        ({"count_trials": "maybe"}, "parameter_invalid", "count_trials"),
        ({"fx_rates": {"eur": 1.08}}, "parameter_invalid", "fx_rates.eur"),
        ([1, 2], "parameter_invalid", None),
    ],
)
def test_validation_errors_use_the_envelope_and_name_the_field(
    client: TestClient, auth: dict[str, str], body: Any, code: str, param: str | None
) -> None:
    error = envelope(client.put("/api/v1/settings/mrr", json=body, headers=auth), 400)
    assert (error["type"], error["code"], error["param"]) == ("InvalidInput", code, param)


def test_a_body_that_is_not_json_is_refused_in_the_envelope(
    client: TestClient, auth: dict[str, str]
) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    for body in (b"{not json", b"\xff\xfe\x00", b"[" * 100_000):
        response = client.put("/api/v1/settings/stages", content=body, headers=headers)
        assert envelope(response, 400)["code"] in {"invalid_json", "invalid_body"}
    missing = client.put("/api/v1/settings/stages", headers=auth)
    assert envelope(missing, 400)["code"] == "parameter_missing"


def test_routing_and_authentication_errors_use_the_envelope(
    client: TestClient, auth: dict[str, str]
) -> None:
    assert envelope(client.get("/api/v1/nothing-here"), 404)["code"] == "route_not_found"
    assert envelope(client.get("/nothing-here"), 404)["type"] == "NotFound"
    method = envelope(client.delete("/api/v1/accounts", headers=auth), 405)
    assert method["type"] == "MethodNotAllowed"
    missing = client.get("/api/v1/accounts")
    assert envelope(missing, 401)["type"] == "AuthenticationFailed"
    assert missing.headers["www-authenticate"] == "Bearer"
    unknown = envelope(client.get("/api/v1/accounts/nope", headers=auth), 404)
    assert (unknown["type"], unknown["code"]) == ("NotFound", "not_found")
    assert unknown["hint"]


def test_stripe_app_connect_is_404_when_the_feature_is_off(client: TestClient) -> None:
    body = {"user_id": "usr_1", "account_id": "acct_1", "connection_secret": "sl_conn_x"}
    response = client.post("/stripe-app/connect", json=body)
    error = envelope(response, 404)
    assert (error["type"], error["code"]) == ("NotFound", "feature_disabled")
    assert "STAGELINE_STRIPE_APP_SIGNING_SECRET" in error["hint"]


def test_an_unexpected_failure_is_a_500_in_the_envelope(app: FastAPI) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        error = envelope(client.get("/broken"), 500)
    assert (error["type"], error["code"]) == ("InternalError", "internal_error")
    assert "a bug" not in error["message"]
