"""``POST /stripe-app/connect``: the Stripe App's settings view links an account.

The view sends ``{"user_id", "account_id", "connection_secret"}`` and the ``Stripe-Signature``
from ``fetchStripeSignature()``; see :mod:`stageline.sync.stripe_app` for the checks. Answers
``{"connected": true, ...}``; a refusal is a 4xx error body and links nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from stageline.config import Settings
from stageline.errors import InvalidInput
from stageline.store.connections import WAITING_FOR_KEY
from stageline.store.db import Store
from stageline.sync.stripe_app import MAX_BODY_BYTES, link_stripe_app
from stageline.web.webhooks import read_limited

router = APIRouter(tags=["stripe-app"])


@router.post("/stripe-app/connect")
async def connect_stripe_app(request: Request) -> dict[str, Any]:
    """Verify the app's signature and the connection secret, then link the account."""
    settings: Settings = request.app.state.settings
    store: Store = request.app.state.store
    body = await read_limited(request, MAX_BODY_BYTES)
    if body is None:
        raise InvalidInput("the body is too large")
    link = await run_in_threadpool(
        link_stripe_app,
        store,
        signing_secret=settings.stripe_app_signing_secret.get_secret_value(),
        body=body,
        signature=request.headers.get("stripe-signature"),
        now=datetime.now(UTC),
        tolerance=settings.webhook_tolerance_seconds,
        api_base=settings.stripe_api_base,
    )
    return {
        "connected": True,
        "status": link.status,
        "connection_id": link.connection_id,
        "workspace": link.workspace_name,
        "account_id": link.account_id,
        "created": link.created,
        "next_step": (
            f"stageline connections set-key {link.connection_id} --api-key rk_..."
            if link.status == WAITING_FOR_KEY
            else None
        ),
    }
