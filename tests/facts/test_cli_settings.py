"""The ``stageline`` commands for settings, accounts, users and customers, run in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stageline.cli import app
from stageline.cli.context import console, reset_runtime
from stageline.config import Settings
from stageline.store import accounts as account_store
from tests.facts.conftest import World, customer_json, price_json, sub_json


class Run:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("STAGELINE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("STAGELINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("STAGELINE_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setattr(console, "width", 200)  # wide tables: no wrapping in assertions
    reset_runtime()
    yield Run()
    reset_runtime()


@pytest.fixture
def filled(world: World) -> World:
    world.accounts(("acme", "Acme", {"sid": "cus_b"}), ("globex", "Globex"))
    world.users(account_store.UserRow("u-1", "Ann", "ann@acme.com", {}, ("acme", "globex")))
    world.put(
        "customer",
        customer_json("cus_a", "acme"),
        customer_json("cus_b"),
        customer_json("cus_c", email="nobody@example.org"),
        {"id": "cus_gone", "object": "customer", "deleted": True},
    )
    world.put(
        "subscription",
        sub_json("sub_a", "cus_a", price=price_json("price_e", 10000, currency="eur")),
        sub_json("sub_b", "cus_b", status="paused"),
    )
    world.recompute(cause="backfill")
    return world


def test_matching_show_and_set_rematches(run: Run, filled: World) -> None:
    shown = run.json("settings", "matching", "show")
    assert shown[0]["default"] and shown[0]["steps"][0]["key"] == "account_id"
    done = run.json(
        "settings", "matching", "set",
        "--step", "property:sid:account", "--step", "metadata:account_id", "--create-missing",
    )  # fmt: skip
    assert [s["type"] for s in done["matching"]["steps"]] == ["property", "metadata"]
    assert done["matching"]["create_missing"] is True
    assert done["recomputed"]["created"]["accounts"] == 1  # cus_c has no key: an account of its own
    acme = run.json("accounts", "show", "acme")
    assert acme["stripe_customer_ids"] == ["cus_a", "cus_b"]
    assert (acme["stage"], acme["unmatched_statuses"]) == ("Customer", ["paused"])
    toggled = run.json("settings", "matching", "set", "--no-create-missing")
    assert [s["type"] for s in toggled["matching"]["steps"]] == ["property", "metadata"]
    text = run("settings", "matching", "show")
    assert "1. property sid -> account" in text and "create missing: off" in text
    assert "nothing to change" in run("settings", "matching", "set", code=1)
    assert "cannot read matching step" in run("settings", "matching", "set", "--step", "x", code=1)


def test_mrr_settings_show_and_set(run: Run, filled: World) -> None:
    assert run.json("settings", "mrr", "show")["count_trials"] is False
    done = run.json(
        "settings", "mrr", "set", "--count-trials", "--fx-rate", "eur=1.25",
        "--fx-rates-date", "2026-02-28", "--mrr-source", "property:mrr_override",
    )  # fmt: skip
    assert done["mrr"]["count_trials"] and done["mrr"]["fx_rates"] == {"eur": "1.25"}
    acme = run.json("accounts", "show", "acme")
    assert acme["mrr"] == {"amount": 12500, "currency": "usd"}
    assert (acme["mrr_basis"], acme["fx_rates_date"]) == ("converted", "2026-02-28")
    assert "property 'mrr_override' is not set" in acme["mrr_note"]
    assert acme["mrr_source"] == "property:mrr_override"
    out = run("settings", "mrr", "set", "--fx-rate", "eur", code=1)
    assert "CUR=RATE" in out
    assert "need the date" in run("settings", "mrr", "set", "--fx-rate", "gbp=1.3", code=1)
    cleared = run.json("settings", "mrr", "set", "--clear-fx-rates", "--no-count-trials")
    assert cleared["mrr"]["fx_rates"] == {} and cleared["mrr"]["count_trials"] is False


def test_stage_rules_preview_set_and_reset(run: Run, filled: World, tmp_path: Path) -> None:
    rules = run.json("settings", "stages", "show")
    rules["rules"].append({"name": "Paused", "statuses": ["paused"]})
    rules["rules"].insert(0, {"name": "Euro", "statuses": ["active"], "metadata": {}})
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    preview = run.json("settings", "stages", "set", "--file", str(path), "--preview")
    assert preview["moves"] == [{"from": "Customer", "to": "Euro", "accounts": 1}]
    assert preview["applied"] is False
    assert run.json("accounts", "show", "acme")["stage"] == "Customer"
    text = run("settings", "stages", "set", "--file", str(path))
    assert "1 accounts: Customer -> Euro" in text and "1 of 2 accounts moved" in text
    acme = run.json("accounts", "show", "acme")
    assert acme["stage"] == "Euro" and acme["stage_history"][0]["cause"] == "stage rules changed"
    assert run.json("settings", "stages", "set", "--reset")["moved"] == 1
    path.write_text('{"rules": [{"name": "X", "statuses": ["cancelled"]}]}')
    assert "unknown status 'cancelled'" in run(
        "settings", "stages", "set", "--file", str(path), code=1
    )
    assert "exactly one of" in run("settings", "stages", "set", code=1)
    everything = run.json("settings", "show")
    assert set(everything) == {"mrr", "stages", "matching"}


def test_accounts_users_and_customers(run: Run, filled: World) -> None:
    text = run("accounts", "show", "acme")
    assert "€100.00" in text and "new" in text and "backfill" in text
    assert "€100.00 per unit every month" in text
    listed = run.json("accounts", "list")
    assert {a["external_id"] for a in listed} == {"acme", "globex"}
    user = run.json("users", "show", "u-1")
    assert [a["external_id"] for a in user["accounts"]] == ["acme", "globex"]
    assert user["accounts"][0]["mrr"] == {"amount": 10000, "currency": "eur"}
    assert "no user with external id" in run("users", "show", "u-404", code=1)
    unmatched = run.json("customers", "unmatched")
    assert {r["customer_id"] for r in unmatched} == {"cus_b", "cus_c"}
    everything = run.json("customers", "unmatched", "--include-skipped")
    assert {r["customer_id"] for r in everything} == {"cus_b", "cus_c", "cus_gone"}
    assert "2 customers need attention" in run("customers", "unmatched")
