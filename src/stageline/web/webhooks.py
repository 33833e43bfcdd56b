"""``POST /webhooks/stripe/{connection_id}``: Stripe's deliveries, trusted by signature only.

The body is read up to ``webhook_max_body_bytes`` (413 beyond, counted on the connection; the
app's :class:`~stageline.web.body_limit.BodyLimit` holds the same limit for this path), checked
and stored raw in the inbox by :func:`stageline.sync.receive.receive_webhook`, and answered
at once; the worker applies it. Point a Stripe webhook endpoint at
``{public_url}/webhooks/stripe/{connection_id}``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from stageline.config import Settings
from stageline.errors import PayloadTooLarge
from stageline.security import SecretBox
from stageline.store.db import Store
from stageline.sync.receive import receive_webhook
from stageline.web import paths  # noqa: F401  (registers the {name:segment} convertor)

router = APIRouter(tags=["webhooks"])
WEBHOOK_PATH_PREFIX = "/webhooks/"


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or ``None`` as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except PayloadTooLarge:  # the app-wide limit, which may be the smaller one
        return None
    return b"".join(chunks)


@router.post("/webhooks/stripe/{connection_id:segment}", include_in_schema=True)
async def receive_stripe_webhook(connection_id: str, request: Request) -> Response:
    """Verify ``Stripe-Signature``, store the event once, answer 200 (duplicates too)."""
    settings: Settings = request.app.state.settings
    store: Store = request.app.state.store
    body = await read_limited(request, settings.webhook_max_body_bytes)
    receipt = await run_in_threadpool(
        receive_webhook,
        store,
        SecretBox(settings.secret_key.get_secret_value()),
        connection_id=connection_id,
        body=body,
        signature=request.headers.get("stripe-signature"),
        now=datetime.now(UTC),
        tolerance=settings.webhook_tolerance_seconds,
    )
    return JSONResponse(receipt.body, status_code=receipt.status_code)
