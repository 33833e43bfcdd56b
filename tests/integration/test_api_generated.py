"""Requests generated from the OpenAPI document (schemathesis) never get a 500, with the
workspace's API key and without one; without one, nothing but the open routes answers 2xx.

Bounded and deterministic: a fixed number of examples per operation and generation mode
(data that fits the document, and data that does not), derandomized, no example database.
Runs on every configured store backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case

from stageline.config import Settings
from stageline.security import hash_token
from stageline.store.db import Store
from stageline.store.models import Workspace
from stageline.web import create_app
from tests.facts.conftest import World

KEY = "sl_key_generated_requests"
EXAMPLES = 20
OPEN_PATHS = {"/health", "/webhooks/stripe/{connection_id}", "/stripe-app/connect"}
REFUSALS = {400, 401, 404, 405, 413}
generated = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def client(settings: Settings, store: Store, world: World) -> Iterator[TestClient]:
    """The app over a workspace with a connection and accounts (one with a ``/`` in its id)."""
    world.accounts(("acme", "Acme", {"plan": "pro"}), ("org/9", "Org Nine"))
    world.recompute()
    with store.session() as session:
        session.get_one(Workspace, world.workspace_id).api_key_hash = hash_token(KEY)
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as client:
        yield client


def _send(client: TestClient, case: Case, *, key: str | None) -> httpx.Response:
    """The case through one long-lived client (schemathesis would start an app per call)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    headers = {k: v for k, v in kwargs["headers"].items() if k.lower() != "authorization"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body["content" if isinstance(data, bytes | str) else "data"] = data
    return client.request(
        kwargs["method"],
        kwargs["url"],
        headers=headers,
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies") or None,
        **body,
    )


def test_no_generated_request_gets_a_500(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {KEY}"})
    schema = schemathesis.openapi.from_dict(document.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @generated
            def check(case: Case) -> None:
                case.validate_response(_send(client, case, key=KEY), checks=[not_a_server_error])
                keyless = _send(client, case, key=None)
                case.validate_response(keyless, checks=[not_a_server_error])
                if case.path not in OPEN_PATHS:
                    assert keyless.status_code in REFUSALS, (case.method, case.formatted_path)

            try:
                check()
            except Unsatisfiable:  # no parameters: nothing that does not fit the document
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, FailureGroup) as exc:
                failures.append(f"{operation.label} ({mode}): {exc!r}")
    assert not failures, "\n\n".join(failures)
