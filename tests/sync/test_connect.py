"""Connecting with an API key: scopes checked with real calls, our webhook endpoint created on
Stripe (pinned version, the events we need) with its secret kept encrypted; or the user's own
signing secret; and what ``connections show`` then prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import stripe
from sqlalchemy import select
from typer.testing import CliRunner

from stageline.cli import app as cli_app
from stageline.cli.context import reset_runtime
from stageline.config import Settings
from stageline.connecting import connect_stripe
from stageline.errors import StripeAuthError
from stageline.security import SecretBox
from stageline.store.db import Store
from stageline.store.models import StripeConnection, StripeEvent
from stageline.store.workspaces import create_workspace
from stageline.sync.events import NEEDED_EVENT_TYPES
from stageline.web import create_app
from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
)
from tests.conftest import HANG_LIMIT
from tests.sync.servers import serve_in_thread


@pytest.fixture
def empty_sandbox() -> Iterator[SandboxHandle]:
    handle = run_sandbox_in_thread(
        SandboxConfig(rate_limit=None, webhook_retry_delays=(0.05,), webhook_timeout=HANG_LIMIT),
        port=0,
        store=SandboxStore(),
    )
    yield handle
    handle.stop()


@pytest.fixture
def workspace(store: Store) -> str:
    with store.session() as session:
        return create_workspace(session, name="Acme").workspace.id


def _client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": url})


def _connection(store: Store) -> StripeConnection:
    with store.session() as session:
        return session.scalars(select(StripeConnection)).one()


def test_connect_creates_a_pinned_endpoint_whose_deliveries_verify(
    store: Store, settings: Settings, workspace: str, empty_sandbox: SandboxHandle
) -> None:
    with serve_in_thread(create_app(settings, store=store)) as web_url:
        connected = connect_stripe(
            store,
            settings.model_copy(update={"public_url": web_url}),
            workspace_ref="Acme",
            api_key=SANDBOX_API_KEY,
            api_base=empty_sandbox.url,
            now=datetime.now(UTC),
        )
        assert connected.webhook_error is None and connected.webhook_endpoint_id
        assert connected.webhook_url == f"{web_url}/webhooks/stripe/{connected.connection_id}"
        endpoint = _client(empty_sandbox.url).v1.webhook_endpoints.retrieve(
            connected.webhook_endpoint_id
        )
        assert endpoint.url == connected.webhook_url
        assert endpoint.api_version == stripe.api_version
        assert sorted(endpoint.enabled_events) == sorted(NEEDED_EVENT_TYPES)

        customer = _client(empty_sandbox.url).v1.customers.create({"email": "a@b.test"})
        assert empty_sandbox.app.state.engine.webhooks.wait_idle(HANG_LIMIT)
    stored = _connection(store)
    assert stored.webhook_endpoint_id == endpoint.id
    assert stored.webhook_secret_ciphertext and "whsec" not in stored.webhook_secret_ciphertext
    assert (
        SecretBox(settings.secret_key.get_secret_value())
        .decrypt(stored.webhook_secret_ciphertext)
        .startswith("whsec_")
    )
    with store.session() as session:
        received = [json.loads(e.payload) for e in session.scalars(select(StripeEvent))]
    assert [(e["type"], e["data"]["object"]["id"]) for e in received] == [
        ("customer.created", customer.id)
    ]


def test_a_given_signing_secret_creates_no_endpoint(
    store: Store, settings: Settings, workspace: str, empty_sandbox: SandboxHandle
) -> None:
    connected = connect_stripe(
        store,
        settings,
        workspace_ref="Acme",
        api_key=SANDBOX_API_KEY,
        api_base=empty_sandbox.url,
        webhook_secret="whsec_mine",
    )
    assert connected.webhook_endpoint_id is None
    assert _client(empty_sandbox.url).v1.webhook_endpoints.list().data == []
    stored = _connection(store)
    assert stored.webhook_secret_ciphertext is not None
    box = SecretBox(settings.secret_key.get_secret_value())
    assert box.decrypt(stored.webhook_secret_ciphertext) == "whsec_mine"


def test_an_endpoint_that_cannot_be_created_is_reported_not_fatal(
    store: Store, settings: Settings, workspace: str, empty_sandbox: SandboxHandle
) -> None:
    connected = connect_stripe(
        store,
        settings.model_copy(update={"public_url": "not a url"}),
        workspace_ref="Acme",
        api_key=SANDBOX_API_KEY,
        api_base=empty_sandbox.url,
    )
    assert connected.webhook_error and "webhook endpoint not created" in connected.webhook_error
    stored = _connection(store)
    assert stored.status == "connected" and stored.last_error == connected.webhook_error


def test_a_wrong_key_stores_nothing(
    store: Store, settings: Settings, workspace: str, empty_sandbox: SandboxHandle
) -> None:
    with pytest.raises(StripeAuthError):
        connect_stripe(
            store,
            settings,
            workspace_ref="Acme",
            api_key="rk_test_wrong",
            api_base=empty_sandbox.url,
        )
    with store.session() as session:
        assert list(session.scalars(select(StripeConnection))) == []


def test_cli_connect_with_a_secret_then_show_prints_health(
    store: Store,
    settings: Settings,
    workspace: str,
    empty_sandbox: SandboxHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STAGELINE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("STAGELINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("STAGELINE_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("STAGELINE_PUBLIC_URL", "https://stageline.example.test")
    reset_runtime()
    runner = CliRunner()
    try:
        connected = runner.invoke(
            cli_app,
            [
                "connect",
                "stripe",
                "--api-key",
                SANDBOX_API_KEY,
                "--api-base",
                empty_sandbox.url,
                "--webhook-secret",
                "whsec_own",
                "--json",
            ],
        )
        assert connected.exit_code == 0, connected.output
        connection_id = json.loads(connected.output)["id"]
        shown = runner.invoke(cli_app, ["connections", "show", "--json"])
        assert shown.exit_code == 0, shown.output
        words = runner.invoke(cli_app, ["connections", "show"])
        assert words.exit_code == 0, words.output
    finally:
        reset_runtime()
    (row,) = json.loads(shown.output)
    assert row["id"] == connection_id
    assert row["webhook_url"] == f"https://stageline.example.test/webhooks/stripe/{connection_id}"
    assert row["status"] == "connected" and row["last_error"] is None
    assert row["webhook"]["signing_secret"] is True
    assert row["webhook"]["rejected"] == {} and row["webhook"]["failed_events"] == 0
    assert row["events"]["pending"] == 0 and row["events"]["warning"] is None
    assert row["backfill"]["resumable"] is False and row["drift"]["counts"] is None
    assert "{" not in words.output and "no backfill yet" in words.output
    assert f"webhooks to https://stageline.example.test/webhooks/stripe/{connection_id}" in (
        words.output.replace("\n", " ")
    )
