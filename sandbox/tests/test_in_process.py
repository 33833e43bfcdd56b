"""The ASGI app serves in-process too, without a port (for tests of other parts)."""

from __future__ import annotations

import asyncio

import httpx

from stageline_sandbox import SANDBOX_API_KEY, SandboxConfig, SandboxStore, create_sandbox_app, seed

from .conftest import NOW


def test_the_app_answers_in_process_over_asgi() -> None:
    store = SandboxStore()
    seed(store, customers=20, random_seed=9, now=NOW)
    app = create_sandbox_app(SandboxConfig(rate_limit=None), store=store)

    async def scenario() -> tuple[int, dict[str, object], int, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            auth = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
            listed = await http.get("/v1/customers", params={"limit": 5}, headers=auth)
            created = await http.post(
                "/v1/customers", data={"email": "asgi@x.y", "metadata[k]": "v"}, headers=auth
            )
            return listed.status_code, listed.json(), created.status_code, created.text

    status, body, created_status, created = asyncio.run(scenario())
    assert status == 200 and body["object"] == "list" and len(body["data"]) == 5  # type: ignore[arg-type]
    assert created_status == 200 and '"k":"v"' in created
    app.state.engine.close()
