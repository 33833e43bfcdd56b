"""``POST /stripe-app/connect``: the Stripe App's settings view links an account.

The view sends ``{"user_id", "account_id", "connection_secret"}`` and the ``Stripe-Signature``
from ``fetchStripeSignature()``; see :mod:`stageline.sync.stripe_app` for the checks. Answers
``{"connected": true, ...}``; a refusal is a 4xx error body and links nothing. Without
``STAGELINE_STRIPE_APP_SIGNING_SECRET`` the feature is off: 404 (``feature_disabled``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from stageline.config import Settings
from stageline.errors import NotFound, PayloadTooLarge
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
    signing_secret = settings.stripe_app_signing_secret.get_secret_value()
    if not signing_secret:
        raise NotFound(
            "Stripe App connect is not enabled on this server",
            code="feature_disabled",
            hint="the operator sets STAGELINE_STRIPE_APP_SIGNING_SECRET to enable it",
        )
    body = await read_limited(request, MAX_BODY_BYTES)
    if body is None:
        raise PayloadTooLarge(f"the body is over the limit of {MAX_BODY_BYTES} bytes")
    link = await run_in_threadpool(
        link_stripe_app,
        store,
        signing_secret=signing_secret,
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
