"""The routes the OpenAPI document does not describe (UI pages and forms, the signed receivers)
answer malformed bodies with a 4xx, never a 500: JSON errors in the envelope, pages as pages."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from stageline.config import Settings
from stageline.store.db import Store
from stageline.web import create_app
from tests.envelope import ENVELOPE_KEYS
from tests.sync.conftest import WEBHOOK_SECRET, Linked, signed_headers

APP_SECRET = "absec_test_malformed"
CONTENT_TYPES = [
    None,
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "text/plain; charset=utf-8",
]
BODIES = [
    b"",
    b"{",
    b"\xff\xfe\x00\x00",
    b"[" * 50_000,
    b'{"a": NaN}',
    b'{"user_id": 1e400, "account_id": [], "connection_secret": {}}',
    b"api_key=%ZZ%&api_key=%C3",
    b"api_key=" + b"%00" * 1000,
    b'--xyz\r\nContent-Disposition: form-data; name="api_key"; filename="k.txt"\r\n\r\n'
    b"sl_key\r\n--xyz--\r\n",
    b"--xyz\r\nbroken",
    b"\x00" * 1000,
    "é".encode("latin-1"),
    b"[]",
    b"7",
    b'"text"',
]


def _routes(connection_id: str) -> list[tuple[str, str]]:
    return [
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/login"),
        ("GET", "/login?token=not.a.token"),
        ("GET", "/"),
        ("GET", "/accounts"),
        ("GET", "/accounts/acct-1"),
        ("GET", "/api/v1/openapi.json"),
        ("POST", f"/webhooks/stripe/{connection_id}"),
        ("POST", "/webhooks/stripe/conn_unknown"),
        ("POST", "/stripe-app/connect"),
    ]


@pytest.fixture
def client(
    settings: Settings,
    store: Store,
    linked: Linked,
) -> Iterator[TestClient]:
    enabled = settings.model_copy(update={"stripe_app_signing_secret": SecretStr(APP_SECRET)})
    app = create_app(enabled, store=store)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def _checked(response: Response) -> None:
    """Not a server error; an error in JSON is the envelope; a page is HTML."""
    assert response.status_code < 500, (response.status_code, response.text[:300])
    kind = response.headers.get("content-type", "")
    if response.status_code >= 400 and kind.startswith("application/json"):
        assert set(response.json()["error"]) == ENVELOPE_KEYS
    elif response.status_code >= 400:
        assert kind.startswith("text/html"), kind


def _send(client: TestClient, method: str, path: str, body: bytes, kind: str | None) -> None:
    headers = {"Content-Type": kind} if kind else {}
    _checked(client.request(method, path, content=body, headers=headers))


@pytest.mark.parametrize("signed_in", [False, True])
def test_malformed_bodies_never_get_a_500(
    client: TestClient, linked: Linked, signed_in: bool
) -> None:
    if signed_in:
        assert client.post("/login", data={"api_key": linked.api_key}).status_code == 303
    for method, path in _routes(linked.connection_id):
        for body in BODIES:
            for kind in CONTENT_TYPES:
                _send(client, method, path, body, kind)


@pytest.mark.parametrize(
    "body",
    [
        '{"id": "evt_1", "type": "customer.created", "created": NaN}',
        '{"id": "evt_1", "type": "customer.created", "created": 1e400}',
        '{"id": "evt_1", "type": "customer.created", "created": ' + "9" * 40 + "}",
        '{"id": "evt_1", "type": "customer.created", "created": 1, "data": ' + "[" * 5000,
        '{"id": "evt_1", "type": "customer.created", "created": 1, "x": "\\ud800"}',
    ],
)
def test_signed_deliveries_that_are_not_stripe_events_are_400(
    client: TestClient, linked: Linked, body: str
) -> None:
    url = f"/webhooks/stripe/{linked.connection_id}"
    response = client.post(url, content=body, headers=signed_headers(body))
    assert response.status_code == 400, response.text
    assert set(response.json()["error"]) == ENVELOPE_KEYS


def test_a_signed_delivery_in_utf_16_is_400(client: TestClient, linked: Linked) -> None:
    text = f'{{"id": "evt_1", "type": "customer.created", "created": {int(time.time())}}}'
    body = text.encode("utf-16")
    timestamp = int(time.time())
    digest = hmac.new(
        WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    response = client.post(
        f"/webhooks/stripe/{linked.connection_id}",
        content=body,
        headers={"Stripe-Signature": f"t={timestamp},v1={digest}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


@given(
    body=st.binary(max_size=2048),
    kind=st.sampled_from(CONTENT_TYPES),
    route=st.integers(min_value=0, max_value=10),
)
@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_random_bodies_never_get_a_500(
    client: TestClient, linked: Linked, body: bytes, kind: str | None, route: int
) -> None:
    method, path = _routes(linked.connection_id)[route]
    _send(client, method, path, body, kind)
