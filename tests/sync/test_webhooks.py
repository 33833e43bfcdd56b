"""``POST /webhooks/stripe/{connection_id}`` in-process: what is stored, what is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.models import StripeEvent
from stageline.sync.inbox import rejections
from stageline.web import create_app
from tests.sync.conftest import Linked, body_of, customer, event, signed_headers


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client


def _url(linked: Linked) -> str:
    return f"/webhooks/stripe/{linked.connection_id}"


def _stored(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(StripeEvent)) or 0)


def _rejections(linked: Linked) -> dict[str, int]:
    with linked.store.session() as session:
        return rejections(session, connection_id=linked.connection_id)


def test_a_signed_event_is_stored_once_and_answered_200(client: TestClient, linked: Linked) -> None:
    body = body_of(event("evt_1", "customer.created", int(time.time()), customer(1)))
    first = client.post(_url(linked), content=body, headers=signed_headers(body))
    again = client.post(_url(linked), content=body, headers=signed_headers(body))
    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    with linked.store.session() as session:
        row = session.scalars(select(StripeEvent)).one()
    assert (row.event_id, row.status, row.source, row.payload) == (
        "evt_1",
        "pending",
        "webhook",
        body,
    )


def test_an_unknown_connection_is_404_and_stores_nothing(
    client: TestClient, linked: Linked
) -> None:
    body = body_of(event("evt_1", "customer.created", int(time.time()), customer(1)))
    response = client.post("/webhooks/stripe/conn_nope", content=body, headers=signed_headers(body))
    assert response.status_code == 404
    assert _stored(linked.store) == 0


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong_secret", "bad_signature"),
        ("stale", "bad_signature"),
        ("future", "bad_signature"),
        ("missing_header", "bad_signature"),
        ("tampered", "bad_signature"),
    ],
)
def test_bad_signatures_are_400_and_only_counted(
    client: TestClient, linked: Linked, case: str, reason: str
) -> None:
    body = body_of(event("evt_1", "customer.created", int(time.time()), customer(1)))
    now = int(time.time())
    headers = {
        "wrong_secret": signed_headers(body, secret="whsec_other"),
        "stale": signed_headers(body, timestamp=now - 301),
        "future": signed_headers(body, timestamp=now + 3600),
        "missing_header": {"Content-Type": "application/json"},
        "tampered": signed_headers(body.replace("cus_1", "cus_2")),
    }[case]
    response = client.post(_url(linked), content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "SignatureError"
    assert _stored(linked.store) == 0
    assert _rejections(linked) == {reason: 1}


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", '{"id": "evt_1"}', '{"id": "evt_1", "type": "x", "created": "soon"}'],
)
def test_malformed_json_is_400_and_only_counted(
    client: TestClient, linked: Linked, body: str
) -> None:
    response = client.post(_url(linked), content=body, headers=signed_headers(body))
    assert response.status_code == 400
    assert _stored(linked.store) == 0
    assert _rejections(linked) == {"malformed": 1}


def test_a_body_over_one_mebibyte_is_413(
    client: TestClient, linked: Linked, settings: Settings
) -> None:
    assert settings.webhook_max_body_bytes == 1024 * 1024
    padding = "x" * (1024 * 1024)
    body = body_of(
        event("evt_big", "customer.created", int(time.time()), customer(1, description=padding))
    )
    response = client.post(_url(linked), content=body, headers=signed_headers(body))
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536].encode()

    streamed = client.post(_url(linked), content=chunks(), headers=signed_headers(body))
    assert streamed.status_code == 413
    assert _stored(linked.store) == 0
    assert _rejections(linked) == {"oversize": 2}


def test_a_body_just_under_the_limit_is_accepted(client: TestClient, linked: Linked) -> None:
    base = body_of(
        event("evt_ok", "customer.created", int(time.time()), customer(1, description=""))
    )
    padding = "y" * (1024 * 1024 - len(base))
    body = base.replace('"description":""', f'"description":"{padding}"')
    assert len(body.encode()) == 1024 * 1024
    response = client.post(_url(linked), content=body, headers=signed_headers(body))
    assert response.status_code == 200
    assert _stored(linked.store) == 1


def test_rejections_add_up_per_reason(client: TestClient, linked: Linked) -> None:
    body = "{}"
    for _ in range(3):
        client.post(_url(linked), content=body, headers=signed_headers(body, secret="whsec_x"))
    client.post(_url(linked), content=body, headers=signed_headers(body))
    assert _rejections(linked) == {"bad_signature": 3, "malformed": 1}
