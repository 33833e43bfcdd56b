"""The Stripe App install flow: both proofs checked, every refusal links nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import select

from stageline.config import Settings
from stageline.connecting import connect_stripe
from stageline.operations import sync_workspace
from stageline.store.db import Store
from stageline.store.models import StripeConnection
from stageline.store.workspaces import (
    create_workspace,
    find_workspace,
    rotate_connection_secret,
)
from stageline.sync.status import connection_status
from stageline.sync.status_text import describe_connection
from stageline.sync.stripe_app import signed_payload
from stageline.web import create_app
from stageline_sandbox import (
    DEFAULT_ACCOUNT_ID,
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxStore,
    run_sandbox_in_thread,
)

APP_SECRET = "absec_test_app_signing_secret"


@pytest.fixture
def app_settings(tmp_path: Path, store: Store) -> Settings:
    return Settings.load(
        data_dir=tmp_path / "data",
        database_url=store.engine.url.render_as_string(hide_password=False),
        stripe_app_signing_secret=APP_SECRET,
    )


@pytest.fixture
def client(app_settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings, store=store)) as test_client:
        yield test_client


@pytest.fixture
def secrets(store: Store) -> dict[str, str]:
    with store.session() as session:
        acme = create_workspace(session, name="Acme")
        other = create_workspace(session, name="Globex")
    return {"acme": acme.connection_secret, "globex": other.connection_secret}


def _signature(
    user_id: str, account_id: str, *, secret: str = APP_SECRET, timestamp: int | None = None
) -> str:
    payload = signed_payload(user_id=user_id, account_id=account_id).decode()
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def _post(client: TestClient, body: dict[str, Any], signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/stripe-app/connect", content=json.dumps(body), headers=headers)


def _links(store: Store) -> list[tuple[str | None, str | None, str]]:
    with store.session() as session:
        rows = session.scalars(select(StripeConnection).order_by(StripeConnection.created_at))
        return [(c.stripe_account_id, c.stripe_app_user_id, c.workspace_id) for c in rows]


def _body(secret: str, account: str = "acct_1", user: str = "usr_1") -> dict[str, Any]:
    return {"user_id": user, "account_id": account, "connection_secret": secret}


def test_a_signed_request_with_the_right_secret_links_the_account(
    client: TestClient, secrets: dict[str, str], store: Store
) -> None:
    response = _post(client, _body(secrets["acme"]), _signature("usr_1", "acct_1"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["connected"], data["status"], data["workspace"]) == (
        True,
        "waiting_for_key",
        "Acme",
    )
    assert data["created"] is True
    assert (
        data["next_step"]
        == f"stageline connections set-key {data['connection_id']} --api-key rk_..."
    )
    links = _links(store)
    assert [(a, u) for a, u, _ in links] == [("acct_1", "usr_1")]
    again = _post(client, _body(secrets["acme"], user="usr_2"), _signature("usr_2", "acct_1"))
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert [(a, u) for a, u, _ in _links(store)] == [("acct_1", "usr_2")]


def test_a_wrong_connection_secret_is_refused(
    client: TestClient, secrets: dict[str, str], store: Store
) -> None:
    response = _post(client, _body("sl_conn_wrong"), _signature("usr_1", "acct_1"))
    assert response.status_code == 401
    assert _links(store) == []


def test_a_rotated_secret_stops_working(
    client: TestClient, store: Store, secrets: dict[str, str]
) -> None:
    with store.session() as session:
        new_secret = rotate_connection_secret(
            session, workspace=find_workspace(session, ref="Acme")
        )
    # Two signatures of the same request, told apart by their timestamps, fixed here rather
    # than read from the clock at each signing (which can give both the same second).
    now = int(time.time())
    first = _signature("usr_1", "acct_1", timestamp=now - 2)
    second = _signature("usr_1", "acct_1", timestamp=now - 1)
    old = _post(client, _body(secrets["acme"]), first)
    assert old.status_code == 401
    new = _post(client, _body(new_secret), second)
    assert new.status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "wrong_app_secret",
        "other_account_signed",
        "other_user_signed",
        "missing",
        "stale",
        "future",
        "spaced_json",
    ],
)
def test_a_bad_signature_is_refused(
    client: TestClient, secrets: dict[str, str], store: Store, case: str
) -> None:
    now = int(time.time())
    signature = {
        "wrong_app_secret": _signature("usr_1", "acct_1", secret="absec_other"),
        "other_account_signed": _signature("usr_1", "acct_2"),
        "other_user_signed": _signature("usr_9", "acct_1"),
        "missing": None,
        "stale": _signature("usr_1", "acct_1", timestamp=now - 301),
        "future": _signature("usr_1", "acct_1", timestamp=now + 3600),
        "spaced_json": stripe.WebhookSignature.generate_signature_header(
            json.dumps({"user_id": "usr_1", "account_id": "acct_1"}), APP_SECRET
        ),
    }[case]
    response = _post(client, _body(secrets["acme"]), signature)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "SignatureError"
    assert _links(store) == []


def test_a_replayed_signature_is_refused(
    client: TestClient, secrets: dict[str, str], store: Store
) -> None:
    signature = _signature("usr_1", "acct_1")
    assert _post(client, _body(secrets["globex"]), signature).status_code == 200
    links = _links(store)
    replay = _post(client, _body(secrets["acme"]), signature)
    assert replay.status_code == 409
    assert _links(store) == links


def test_a_signature_used_with_a_wrong_secret_cannot_be_reused(
    client: TestClient, secrets: dict[str, str], store: Store
) -> None:
    signature = _signature("usr_1", "acct_1")
    assert _post(client, _body("sl_conn_guess"), signature).status_code == 401
    assert _post(client, _body(secrets["acme"]), signature).status_code == 409
    assert _links(store) == []


def test_an_account_linked_elsewhere_is_refused(
    client: TestClient, secrets: dict[str, str], store: Store
) -> None:
    assert _post(client, _body(secrets["acme"]), _signature("usr_1", "acct_1")).status_code == 200
    response = _post(client, _body(secrets["globex"], user="usr_2"), _signature("usr_2", "acct_1"))
    assert response.status_code == 409
    assert len(_links(store)) == 1


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        '{"user_id": "usr_1", "account_id": "acct_1"}',
        '{"user_id": 1, "account_id": "acct_1", "connection_secret": "x"}',
    ],
)
def test_malformed_bodies_are_refused(
    client: TestClient, secrets: dict[str, str], store: Store, raw: str
) -> None:
    response = client.post(
        "/stripe-app/connect",
        content=raw,
        headers={"Stripe-Signature": _signature("usr_1", "acct_1")},
    )
    assert response.status_code == 400
    assert _links(store) == []


def test_without_an_app_secret_configured_nothing_links(
    settings: Settings, store: Store, secrets: dict[str, str]
) -> None:
    with TestClient(create_app(settings, store=store)) as plain:
        response = _post(plain, _body(secrets["acme"]), _signature("usr_1", "acct_1"))
    assert response.status_code >= 400
    assert _links(store) == []


def test_an_app_linked_account_waits_for_a_key_until_given_one(
    client: TestClient, secrets: dict[str, str], store: Store, app_settings: Settings
) -> None:
    sandbox = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=SandboxStore())
    try:
        linked = _post(
            client,
            _body(secrets["acme"], account=DEFAULT_ACCOUNT_ID) | {"livemode": False},
            _signature("usr_1", DEFAULT_ACCOUNT_ID),
        ).json()
        connection_id = linked["connection_id"]
        now = datetime.now(UTC)
        with store.session() as session:
            connection = session.get_one(StripeConnection, connection_id)
            status = connection_status(session, connection=connection, now=now, public_url="x")
        words = describe_connection(status, now=now)
        assert status["status"] == "waiting_for_key"
        assert (
            words[-1]
            == f"to start syncing: stageline connections set-key {connection_id} --api-key rk_..."
        )
        (waiting,) = sync_workspace(store, app_settings, workspace_ref="Acme", now=now)
        assert waiting.error is None and waiting.result is None
        assert waiting.skipped is not None and "waiting for an API key" in waiting.skipped

        given = connect_stripe(
            store,
            app_settings,
            workspace_ref="Acme",
            api_key=SANDBOX_API_KEY,
            api_base=sandbox.url,
            connection_id=connection_id,
            now=now,
        )
        assert (given.connection_id, given.updated) == (connection_id, True)
        (synced,) = sync_workspace(store, app_settings, workspace_ref="Acme", now=now)
        assert synced.error is None and synced.result is not None
        with store.session() as session:
            assert session.get_one(StripeConnection, connection_id).status == "connected"
    finally:
        sandbox.stop()
