"""External ids are one path segment, percent-encoded (RFC 3986), decoded exactly once.

``org/9`` is ``/api/v1/accounts/org%2F9``; ``/api/v1/accounts/org/9`` is another path (two
segments) and finds nothing. The UI's links encode the same way, and following them works.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, unquote

import pytest
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send

from stageline.config import Settings
from stageline.operations import import_accounts, import_users
from stageline.store.db import Store
from stageline.store.workspaces import create_workspace
from stageline.web import create_app
from stageline.web.paths import SegmentConvertor, SegmentRouting

NOW = datetime(2026, 11, 25, tzinfo=UTC)
AWKWARD_IDS = [
    "org/9",
    "a/b",
    "a%2Fb",  # a literal percent sign, 2 and F: not the same account as "a/b"
    "what?yes",
    "tag#1",
    "50%",
    "two words",
    "café",
    "東京/本社",
    "a/movements",
    "plain-id_1.0~x",
]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def key(store: Store) -> str:
    with store.session() as session:
        created = create_workspace(session, name="Acme")
    accounts = [[external_id, f"Name of {external_id}"] for external_id in [*AWKWARD_IDS, "a"]]
    import_accounts(
        store, workspace_ref="Acme", csv_text=_csv(["external_id", "name"], accounts), now=NOW
    )
    users = [[f"user {external_id}", external_id] for external_id in AWKWARD_IDS]
    import_users(
        store,
        workspace_ref="Acme",
        csv_text=_csv(["external_id", "account_external_ids"], users),
        now=NOW,
    )
    return created.api_key


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client


def _segment(external_id: str) -> str:
    return quote(external_id, safe="")


@pytest.mark.parametrize("external_id", AWKWARD_IDS)
def test_every_account_route_finds_an_encoded_id(
    client: TestClient, key: str, external_id: str
) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    base = f"/api/v1/accounts/{_segment(external_id)}"
    detail = client.get(base, headers=auth)
    assert detail.status_code == 200, detail.text
    assert detail.json()["external_id"] == external_id
    assert client.get(f"{base}/movements", headers=auth).status_code == 200
    history = client.get(f"{base}/stage-history", headers=auth)
    assert history.status_code == 200 and history.json()["object"] == "list"
    user = client.get(f"/api/v1/users/{_segment('user ' + external_id)}", headers=auth)
    assert user.status_code == 200, user.text
    assert user.json()["external_id"] == f"user {external_id}"


def test_an_encoded_slash_and_a_real_slash_are_different_paths(
    client: TestClient, key: str
) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/accounts/a%2Fb", headers=auth).json()["external_id"] == "a/b"
    assert client.get("/api/v1/accounts/a%252Fb", headers=auth).json()["external_id"] == "a%2Fb"
    two_segments = client.get("/api/v1/accounts/a/b", headers=auth)
    assert two_segments.status_code == 404
    assert two_segments.json()["error"]["code"] == "route_not_found"
    # "a/movements" is an account; "a" + "/movements" is the movements of account "a"
    account = client.get("/api/v1/accounts/a%2Fmovements", headers=auth).json()
    assert account["external_id"] == "a/movements"
    movements = client.get("/api/v1/accounts/a/movements", headers=auth).json()
    assert movements["object"] == "list"
    # unreserved characters may be percent-encoded or not: the same resource (RFC 3986 6.2.2.2)
    assert client.get("/api/v1/%61ccounts/%61", headers=auth).json()["external_id"] == "a"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/%FF",
        "/api/v1/accounts/%zz",
        "/accounts/%C3",
        "/api/v1/accounts/a%00b",
        "/api/v1/users/%00",
        "/api/v1/settings/matching/%00",
    ],
)
def test_a_malformed_percent_encoding_is_refused_clearly(
    client: TestClient, key: str, path: str
) -> None:
    response = client.get(path, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_path"


def test_the_ui_links_encode_ids_and_lead_to_their_pages(client: TestClient, key: str) -> None:
    assert client.post("/login", data={"api_key": key}).status_code == 200
    page = client.get("/accounts").text
    hrefs = [html.unescape(h) for h in re.findall(r'href="(/accounts/[^"]*)"', page)]
    by_id = {unquote(h.removeprefix("/accounts/")): h for h in hrefs}
    assert set(AWKWARD_IDS) <= set(by_id)
    for external_id in AWKWARD_IDS:
        segment = by_id[external_id].removeprefix("/accounts/")
        assert not set(segment) & set("/?# "), segment
        account_page = client.get(by_id[external_id])
        assert account_page.status_code == 200, external_id
        assert html.escape(f"Name of {external_id}") in account_page.text


def _all_routes(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, inside included routers too (FastAPI may keep those as one entry)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _all_routes(included.routes) if included is not None else [route]


def test_every_route_decodes_its_path_parameters_once(settings: Settings, store: Store) -> None:
    """A route whose parameters do not use the ``segment`` convertor would get them encoded."""
    app = create_app(settings, store=store)
    convertors = {
        f"{getattr(route, 'path', '')} {name}": convertor
        for route in _all_routes(app.routes)
        for name, convertor in getattr(route, "param_convertors", {}).items()
    }
    assert len(convertors) >= 6
    for where, convertor in convertors.items():
        assert isinstance(convertor, SegmentConvertor), where


async def _route_path_seen(scope: dict[str, object]) -> str:
    seen: dict[str, object] = {}

    async def app(inner: Scope, _receive: Receive, _send: Send) -> None:
        seen.update(inner)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(_message: Message) -> None:
        return None

    await SegmentRouting(app)(scope, receive, send)
    return str(seen["path"])


@pytest.mark.parametrize(
    ("scope", "routed"),
    [
        ({"path": "/accounts/org/9", "raw_path": b"/accounts/org%2f9"}, "/accounts/org%2F9"),
        ({"path": "/accounts/org/9"}, "/accounts/org/9"),  # no raw path: the decoded one
        (  # uvicorn behind a proxy: root_path in path, not in the raw target
            {"path": "/sl/accounts/a/b", "raw_path": b"/accounts/a%2Fb", "root_path": "/sl"},
            "/sl/accounts/a%2Fb",
        ),
        (
            {"path": "/sl/accounts/a/b", "raw_path": b"/sl/accounts/a%2Fb", "root_path": "/sl"},
            "/sl/accounts/a%2Fb",
        ),
    ],
)
def test_routing_uses_the_raw_path_and_keeps_the_root_path(
    scope: dict[str, object], routed: str
) -> None:
    full = {"type": "http", "method": "GET", "headers": [], "query_string": b"", **scope}
    assert asyncio.run(_route_path_seen(full)) == routed
