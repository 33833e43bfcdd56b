"""``stageline sandbox seed`` and ``serve`` through the Typer app the main CLI mounts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from starlette.applications import Starlette
from typer.testing import CliRunner

from stageline_sandbox import SandboxStore, cli
from stageline_sandbox.cli import sandbox_app

Response = httpx.Response


def test_seed_writes_a_database_and_refuses_to_seed_twice(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    runner = CliRunner()
    result = runner.invoke(
        sandbox_app, ["seed", "--customers", "40", "--random-seed", "2", "--db", str(db), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["customers"] == 40 and summary["subscriptions"] >= 30
    store = SandboxStore(str(db))
    assert store.count("customer") == 40
    store.close()
    again = runner.invoke(sandbox_app, ["seed", "--customers", "5", "--db", str(db)])
    assert again.exit_code == 1
    assert "already holds 40 customers" in again.output


def test_commands_have_help() -> None:
    for command in ("serve", "seed"):
        result = CliRunner().invoke(sandbox_app, [command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_seeding_is_the_same_whatever_the_number_of_workers() -> None:
    from stageline_sandbox import seed
    from stageline_sandbox.store import Filter

    stores = [SandboxStore(), SandboxStore()]
    for store, workers in zip(stores, (1, 2), strict=True):
        seed(store, customers=60, random_seed=4, now=1_767_225_600, workers=workers, chunk_size=25)
    listings = [
        [(s["id"], s["status"]) for s in store.find("subscription", Filter())] for store in stores
    ]
    assert listings[0] == listings[1] and len(listings[0]) >= 55
    coupons = [store.find("coupon", Filter()) for store in stores]
    assert coupons[0] == coupons[1]


def _serve(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Result, Starlette | None]:
    """Run ``serve`` with ``args`` up to the point it would listen; return the app it built."""
    served: list[Starlette] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **_: served.append(app))
    result = CliRunner().invoke(sandbox_app, ["serve", "--rate-limit", "0", *args])
    return result, served[0] if served else None


def _get(app: Starlette, path: str, key: str, account: str | None = None) -> Response:
    headers = {"Authorization": f"Bearer {key}", **({"Stripe-Account": account} if account else {})}

    async def get() -> Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(get())


def test_serve_takes_keys_accounts_and_the_default_accounts_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "sandbox.db"
    result, app = _serve(
        monkeypatch,
        "--db", str(db),
        "--api-key", "sk_test_mine_1",
        "--api-key", "sk_test_mine_2",
        "--restricted-key", "rk_test_reader=rak_customer_read,rak_accounts_kyc_basic_read",
        "--restricted-key", "acct_1Beta:rk_test_beta_reader=rak_customer_read",
        "--account", "acct_1Beta=sk_test_beta,country=DE,currency=eur,name=Beta GmbH,seed=5",
        "--account", "acct_1Beta=sk_test_beta_second",
        "--account", "acct_1Linked",
        "--account-id", "acct_1Mine", "--country", "FR", "--default-currency", "eur",
        "--display-name", "Mine SAS", "--email", "me@mine.example",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert app is not None
    assert "acct_1Beta (connected): sk_test_beta, sk_test_beta_second" in result.output
    assert "restricted key rk_test_beta_reader of acct_1Beta: rak_customer_read" in result.output
    mine = _get(app, "/v1/account", "sk_test_mine_2").json()
    assert (mine["id"], mine["country"], mine["default_currency"], mine["email"]) == (
        "acct_1Mine",
        "FR",
        "eur",
        "me@mine.example",
    )
    assert mine["settings"]["dashboard"]["display_name"] == "Mine SAS"
    assert _get(app, "/v1/customers", "sk_test_other").status_code == 401
    assert _get(app, "/v1/account", "rk_test_reader").json()["id"] == "acct_1Mine"
    refused = _get(app, "/v1/subscriptions", "rk_test_reader")
    assert refused.status_code == 403 and "rak_subscription_read" in refused.text
    beta = _get(app, "/v1/customers?limit=100", "sk_test_beta_second").json()["data"]
    assert len(beta) == 5
    assert _get(app, "/v1/customers", "rk_test_beta_reader").json()["data"] == beta[:10]
    assert _get(app, "/v1/customers", "sk_test_mine_1").json()["data"] == []
    assert _get(app, "/v1/account", "sk_test_mine_1", "acct_1Linked").json()["id"] == "acct_1Linked"
    assert (tmp_path / "sandbox.acct_1Beta.db").exists()
    assert SandboxStore(str(tmp_path / "sandbox.acct_1Beta.db")).count("customer") == 5
    app.state.accounts.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "beta=sk_test_b"], "--account takes acct_ID=KEY"),
        (["--account", "acct_1B=sk_test_b,colour=red"], "--account options are"),
        (["--account", "acct_1B=sk_test_b,seed=many"], "number of customers"),
        (["--restricted-key", "rk_test_x"], "--restricted-key takes"),
        (["--restricted-key", "acct_1Nobody:rk_test_x=rak_customer_read"], "no --account adds"),
        (["--api-key", "rk_test_x"], "a secret key looks like"),
        (["--country", "france"], "two-letter"),
        (["--account", "acct_1B=sk_test_same", "--api-key", "sk_test_same"], "key of both"),
    ],
)
def test_serve_refuses_bad_account_options_in_one_line(
    monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    result, app = _serve(monkeypatch, *args)
    assert app is None
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
