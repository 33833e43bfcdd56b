"""Request bodies have a size limit everywhere (413 in the envelope), by ``Content-Length`` and
while streaming; the limit is a setting; webhooks keep theirs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.workspaces import create_workspace
from stageline.web import create_app
from tests.envelope import envelope

MIB = 1024 * 1024


@pytest.fixture
def auth(store: Store) -> dict[str, str]:
    with store.session() as session:
        key = create_workspace(session, name="Acme").api_key
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def _client(settings: Settings, store: Store, **overrides: int) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=overrides), store=store))


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with _client(settings, store) as test_client:
        yield test_client


def _chunks(body: bytes, size: int = 65536) -> Iterator[bytes]:
    """A body without ``Content-Length``: only counting while it streams can stop it."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _padded_settings(size: int) -> bytes:
    """A valid MRR settings body of exactly ``size`` bytes."""
    base = json.dumps({"count_trials": True, "fx_rates_date": None})
    return (base[:-1] + " " * (size - len(base)) + "}").encode()


def test_a_30_mb_settings_body_is_refused_with_413(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = _padded_settings(30 * MIB)
    declared = client.put("/api/v1/settings/mrr", content=body, headers=auth)
    assert envelope(declared, 413)["type"] == "PayloadTooLarge"
    streamed = client.put("/api/v1/settings/mrr", content=_chunks(body), headers=auth)
    assert envelope(streamed, 413)["code"] == "body_too_large"
    assert client.get("/api/v1/settings/mrr", headers=auth).json()["count_trials"] is False


def test_the_limit_is_a_setting_and_exact(
    settings: Settings, store: Store, auth: dict[str, str]
) -> None:
    assert settings.max_body_bytes == MIB
    assert Settings.load(data_dir=Path(settings.data_dir)).max_body_bytes == MIB
    with _client(settings, store, max_body_bytes=2000) as client:
        at_limit = client.put("/api/v1/settings/mrr", content=_padded_settings(2000), headers=auth)
        assert at_limit.status_code == 200, at_limit.text
        over = _padded_settings(2001)
        envelope(client.put("/api/v1/settings/mrr", content=over, headers=auth), 413)
        envelope(client.put("/api/v1/settings/mrr", content=_chunks(over, 500), headers=auth), 413)
        # a route that never reads its body is refused too: nothing over the limit is served
        envelope(client.request("GET", "/api/v1/accounts", content=over, headers=auth), 413)


def test_the_limit_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAGELINE_MAX_BODY_BYTES", "4096")
    assert Settings.load(data_dir=tmp_path).max_body_bytes == 4096


def test_ui_form_posts_have_the_limit(client: TestClient) -> None:
    form = {"api_key": "x" * (2 * MIB)}
    envelope(client.post("/login", data=form), 413)
    envelope(client.post("/logout", content=b"x" * (2 * MIB)), 413)


def test_webhook_and_stripe_app_bodies_have_their_limits(settings: Settings, store: Store) -> None:
    with _client(settings, store, max_body_bytes=1000) as client:
        # Stripe's deliveries keep webhook_max_body_bytes (1 MiB), not the smaller API limit
        small = client.post("/webhooks/stripe/conn_unknown", content=b"{}" + b" " * 5000)
        assert envelope(small, 404)["code"] == "connection_not_found"
    enabled = settings.model_copy(update={"stripe_app_signing_secret": SecretStr("whsec_app")})
    with TestClient(create_app(enabled, store=store)) as client:
        over = client.post("/stripe-app/connect", content=b"{" + b" " * 20_000 + b"}")
        assert envelope(over, 413)["type"] == "PayloadTooLarge"
