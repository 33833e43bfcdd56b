"""What people type is checked where it comes in, by the API and the CLI alike: currencies are
ISO 4217 codes, names are at most 200 characters; a refusal changes nothing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stageline.cli import main
from stageline.config import Settings
from stageline.errors import InvalidInput
from stageline.operations import import_accounts, import_users
from stageline.security import hash_token
from stageline.store.db import Store
from stageline.store.models import Workspace
from stageline.store.workspaces import create_workspace
from stageline.web import create_app
from tests.envelope import envelope
from tests.facts.conftest import NOW, World
from tests.facts.test_cli_settings import Run, run  # noqa: F401  (the CLI fixture)

LONG = "x" * 201
LONGEST = "y" * 200


@pytest.fixture
def api(settings: Settings, store: Store, world: World) -> Iterator[TestClient]:
    with store.session() as session:
        session.get_one(Workspace, world.workspace_id).api_key_hash = hash_token("sl_key_limits")
    with TestClient(
        create_app(settings, store=store), headers={"Authorization": "Bearer sl_key_limits"}
    ) as client:
        yield client


def _mrr(api: TestClient, body: dict[str, Any]) -> Any:
    return api.put("/api/v1/settings/mrr", json=body)


def test_the_reporting_currency_is_an_iso_4217_code(api: TestClient) -> None:
    for code in ("xyz", "abc", "usdollar", "12$"):
        error = envelope(_mrr(api, {"reporting_currency": code}), 400)
        assert error["code"] in {"currency_unknown", "currency_invalid"}, code
    assert api.get("/api/v1/settings/mrr").json()["reporting_currency"] == "usd"
    assert _mrr(api, {"reporting_currency": "EUR"}).json()["mrr"]["reporting_currency"] == "eur"
    rates = {"fx_rates": {"xyz": "1.1"}, "fx_rates_date": "2026-01-01"}
    assert envelope(_mrr(api, rates), 400)["code"] == "currency_unknown"
    # a code ISO 4217 withdrew lately still takes a rate: old invoices are billed in it
    rates = {"fx_rates": {"bgn": "0.51", "jpy": "0.0067"}, "fx_rates_date": "2026-01-01"}
    assert _mrr(api, rates).json()["mrr"]["fx_rates"] == {"bgn": "0.51", "jpy": "0.0067"}


def test_a_stored_currency_from_before_the_check_still_loads_and_can_be_fixed(
    api: TestClient, store: Store, world: World
) -> None:
    with store.session() as session:
        workspace = session.get_one(Workspace, world.workspace_id)
        workspace.settings = {**(workspace.settings or {}), "reporting_currency": "xyz"}
    assert api.get("/api/v1/settings/mrr").json()["reporting_currency"] == "xyz"
    assert _mrr(api, {"reporting_currency": "usd"}).status_code == 200


def test_the_cli_refuses_an_unknown_currency_and_prints_the_envelope_with_json(
    run: Run,  # noqa: F811
    world: World,
) -> None:
    assert "ISO 4217" in run("settings", "mrr", "set", "--reporting-currency", "xyz", code=1)
    out = run("settings", "mrr", "set", "--reporting-currency", "xyz", "--json", code=1)
    error = json.loads(out)["error"]
    assert (error["type"], error["code"]) == ("InvalidInput", "currency_unknown")
    assert set(error) == {"type", "code", "message", "param", "hint"}
    assert run.json("settings", "mrr", "show")["reporting_currency"] == "usd"
    missing = json.loads(run("accounts", "show", "nope", "--json", code=1))
    assert missing["error"]["type"] == "NotFound"


def test_a_usage_error_with_json_is_the_envelope_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["stageline", "accounts", "show", "--json"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert (error["code"], error["type"]) == ("usage_error", "InvalidInput")


def _rules(name: str) -> dict[str, Any]:
    return {"rules": [{"name": name, "statuses": ["active"]}]}


def test_stage_names_are_at_most_200_characters(api: TestClient) -> None:
    for path in ("/api/v1/settings/stages", "/api/v1/settings/stages/preview"):
        method = api.put if path.endswith("stages") else api.post
        error = envelope(method(path, json=_rules("x" * 10_000)), 400)
        assert (error["code"], error["param"]) == ("name_too_long", "rules.0.name")
    assert api.get("/api/v1/settings/stages").json()["rules"][0]["name"] == "Customer"
    saved = api.put("/api/v1/settings/stages", json=_rules(LONGEST))
    assert saved.status_code == 200 and saved.json()["rules"]["rules"][0]["name"] == LONGEST


def test_value_source_and_rule_metadata_names_are_at_most_200_characters(
    api: TestClient,
) -> None:
    source = _mrr(api, {"mrr_source": f"property:{LONG}"})
    assert envelope(source, 400)["code"] == "name_too_long"
    renewal = _mrr(api, {"renewal_source": f"property:{LONG}"})
    assert envelope(renewal, 400)["code"] == "name_too_long"
    assert api.get("/api/v1/settings/mrr").json()["mrr_source"] == "stripe"
    rules = {"rules": [{"name": "Tagged", "statuses": ["active"], "metadata": {LONG: "x"}}]}
    assert envelope(api.put("/api/v1/settings/stages", json=rules), 400)["code"] == (
        "name_too_long"
    )


def test_matching_property_names_are_at_most_200_characters(api: TestClient, world: World) -> None:
    steps = {"steps": [{"type": "property", "property": LONG}]}
    path = f"/api/v1/settings/matching/{world.connection_id}"
    assert envelope(api.put(path, json=steps), 400)["code"] == "name_too_long"
    steps = {"steps": [{"type": "metadata", "key": LONG}]}
    assert envelope(api.put(path, json=steps), 400)["code"] == "name_too_long"


def test_workspace_names_are_at_most_200_characters(store: Store) -> None:
    with store.session() as session, pytest.raises(InvalidInput, match="at most 200"):
        create_workspace(session, name=LONG)
    with store.session() as session:
        assert create_workspace(session, name=LONGEST).workspace.name == LONGEST


def test_the_cli_refuses_a_long_workspace_name(run: Run) -> None:  # noqa: F811
    assert "at most 200" in run("workspace", "create", LONG, code=1)


@pytest.mark.parametrize(
    "csv_text",
    [
        f"external_id,name\nacme,{LONG}\n",
        f"external_id,name,{LONG}\nacme,Acme,1\n",
    ],
)
def test_imported_account_and_property_names_are_at_most_200_characters(
    store: Store, world: World, csv_text: str
) -> None:
    with pytest.raises(InvalidInput, match="at most 200") as refused:
        import_accounts(store, workspace_ref=None, csv_text=csv_text, now=NOW)
    assert refused.value.code == "name_too_long"
    fine = f"external_id,name,{LONGEST}\nacme,{LONGEST},1\n"
    assert import_accounts(store, workspace_ref=None, csv_text=fine, now=NOW).created == 1


def test_imported_user_names_are_at_most_200_characters(store: Store, world: World) -> None:
    with pytest.raises(InvalidInput, match="line 2: the name"):
        import_users(store, workspace_ref=None, csv_text=f"external_id,name\nu1,{LONG}\n", now=NOW)


def test_the_cli_refuses_a_long_account_name(
    run: Run,  # noqa: F811
    world: World,
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(f"external_id,name\nacme,{LONG}\n")
    assert "at most 200" in run("accounts", "import", str(path), code=1)
    assert run.json("accounts", "list") == []
