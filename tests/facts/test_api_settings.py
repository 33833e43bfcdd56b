"""REST API parity: settings, preview, movements, stage history, users, unmatched customers;
every route needs the workspace's API key and sees only its workspace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stageline.config import Settings
from stageline.security import hash_token
from stageline.store import accounts as account_store
from stageline.store.db import Store
from stageline.store.models import Workspace
from stageline.store.workspaces import create_workspace
from stageline.web import create_app
from tests.facts.conftest import World, customer_json, sub_json
from tests.signin import sign_in_path


@pytest.fixture
def api(
    settings: Settings, store: Store, world: World
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with store.session() as session:
        key = create_workspace(session, name="Other").api_key  # a second tenant
    world.accounts(("acme", "Acme"))
    world.users(account_store.UserRow("u-1", "Ann", "ann@acme.com", {}, ("acme",)))
    world.put("customer", customer_json("cus_a", "acme"), customer_json("cus_x", email="x@y.z"))
    world.put("subscription", sub_json("sub_a", "cus_a", status="past_due"))
    world.recompute(cause="backfill")
    with TestClient(create_app(settings, store=store)) as client:
        yield client, {"other": key}


def _key(client: TestClient, store: Store, world: World) -> dict[str, str]:
    """Workspaces keep only a hash of their key: give "Acme" a known one for the test."""
    with store.session() as session:
        session.get_one(Workspace, world.workspace_id).api_key_hash = hash_token("sl_key_acme_test")
    return {"Authorization": "Bearer sl_key_acme_test"}


def test_settings_routes_change_and_recompute(
    api: tuple[TestClient, dict[str, str]], store: Store, world: World
) -> None:
    client, _ = api
    auth = _key(client, store, world)
    assert client.get("/api/v1/settings/mrr").status_code == 401
    assert client.get("/api/v1/settings", headers=auth).json()["mrr"]["reporting_currency"] == "usd"
    put = client.put("/api/v1/settings/mrr", headers=auth, json={"count_trials": True})
    assert put.status_code == 200 and put.json()["mrr"]["count_trials"] is True
    refused = client.put("/api/v1/settings/mrr", headers=auth, json={"fx_rates": {"eur": "x"}})
    assert refused.status_code == 400 and "not a number" in refused.json()["error"]["message"]
    unknown = client.put("/api/v1/settings/mrr", headers=auth, json={"count_trial": True})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "parameter_unknown"
    assert unknown.json()["error"]["param"] == "count_trial"

    rules: dict[str, Any] = client.get("/api/v1/settings/stages", headers=auth).json()
    rules["rules"].insert(0, {"name": "At risk", "statuses": ["past_due"]})
    preview = client.post("/api/v1/settings/stages/preview", headers=auth, json=rules).json()
    assert preview["moves"] == [{"from": "Customer", "to": "At risk", "accounts": 1}]
    bad = client.post("/api/v1/settings/stages/preview", headers=auth, json={"rules": []})
    assert bad.status_code == 400
    applied = client.put("/api/v1/settings/stages", headers=auth, json=rules).json()
    assert applied["applied"] and applied["recomputed"]["stage_transitions"] == 1
    history = client.get("/api/v1/accounts/acme/stage-history", headers=auth).json()
    assert [(h["from"], h["to"]) for h in history["data"]] == [
        ("Customer", "At risk"),
        (None, "Customer"),
    ]
    assert history["time_in_stage_seconds"] >= 0
    assert (
        client.put("/api/v1/settings/stages", headers=auth, json={"reset": True}).json()["moved"]
        == 1
    )

    connection = client.get("/api/v1/settings/matching", headers=auth).json()["data"][0]
    url = f"/api/v1/settings/matching/{connection['connection_id']}"
    body = {"steps": [{"type": "metadata", "key": "account_id"}, {"type": "email"}]}
    matched = client.put(url, headers=auth, json=body).json()
    assert [s["type"] for s in matched["matching"]["steps"]] == ["metadata", "email"]
    assert client.put(url, headers=auth, json={"steps": [{"type": "nope"}]}).status_code == 400
    assert (
        client.put("/api/v1/settings/matching/conn_other", headers=auth, json=body).status_code
        == 404
    )
    assert client.put(url, headers=auth, json={"reset": True}).json()["matching"]["default"]


def test_account_user_and_customer_routes(
    api: tuple[TestClient, dict[str, str]], store: Store, world: World
) -> None:
    client, keys = api
    auth = _key(client, store, world)
    movements = client.get("/api/v1/accounts/acme/movements", headers=auth).json()["data"]
    assert [(m["kind"], m["amount"], m["cause"]) for m in movements] == [("new", 10000, "backfill")]
    detail = client.get("/api/v1/accounts/acme", headers=auth).json()
    assert detail["movements"] == movements and detail["mrr_lines"][0]["counted"]
    user = client.get("/api/v1/users/u-1", headers=auth).json()
    assert user["accounts"][0]["mrr"] == {"amount": 10000, "currency": "usd"}
    unmatched = client.get("/api/v1/customers/unmatched", headers=auth).json()["data"]
    assert [u["customer_id"] for u in unmatched] == ["cus_x"]
    other = {"Authorization": f"Bearer {keys['other']}"}
    assert client.get("/api/v1/accounts/acme/movements", headers=other).status_code == 404
    assert client.get("/api/v1/users/u-1", headers=other).status_code == 404
    assert client.get("/api/v1/settings/matching", headers=other).json()["data"] == []


def test_the_account_page_shows_lines_movements_and_stage_history(
    api: tuple[TestClient, dict[str, str]], settings: Settings, store: Store, world: World
) -> None:
    client, _ = api
    client.get(sign_in_path(store, settings, world.workspace_id))
    page = client.get("/accounts/acme").text
    assert 'id="mrr-lines"' in page and "$100.00 per unit every month" in page
    assert 'id="movements"' in page and "backfill" in page
    assert 'id="stage-history"' in page and "Customer" in page
    accounts = client.get("/accounts").text
    assert 'id="unmatched"' in accounts and "cus_x" in accounts
