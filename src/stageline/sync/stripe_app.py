"""Connecting through the Stripe App: the app's settings view proves who is asking.

The view posts ``{"user_id", "account_id", "connection_secret"}`` with the ``Stripe-Signature``
it got from ``fetchStripeSignature()``: Stripe signed the compact JSON of ``user_id`` and
``account_id`` with the app's signing secret. Stageline checks that signature (within the
tolerance, and only once: a replayed signature is refused), then the workspace's connection
secret (compared by hash), and links the Stripe account to that workspace. Any refusal links
nothing.

>>> payload = signed_payload(user_id="usr_1", account_id="acct_1")
>>> payload
b'{"user_id":"usr_1","account_id":"acct_1"}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stageline.errors import AuthenticationFailed, ConfigError, Conflict, InvalidInput
from stageline.security import new_id
from stageline.store.connections import WAITING_FOR_KEY
from stageline.store.db import Store
from stageline.store.models import StripeAppSignature, StripeConnection, Workspace
from stageline.store.workspaces import workspace_for_connection_secret
from stageline.sync.signatures import VerifiedSignature, verify_signature

MAX_BODY_BYTES = 16 * 1024


@dataclass(frozen=True)
class AppLink:
    connection_id: str
    workspace_id: str
    workspace_name: str
    account_id: str
    created: bool
    status: str
    """``waiting_for_key`` until ``stageline connections set-key`` gives it an API key."""


def signed_payload(*, user_id: str, account_id: str) -> bytes:
    """Exactly what Stripe signs for an app request: key order and compact separators matter."""
    return json.dumps(
        {"user_id": user_id, "account_id": account_id}, separators=(",", ":")
    ).encode()


def _fields(body: bytes) -> tuple[str, str, str, bool]:
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise InvalidInput("the body is not a JSON object")
    values = [data.get(name) for name in ("user_id", "account_id", "connection_secret")]
    if not all(isinstance(v, str) and 0 < len(v) <= 80 for v in values[:2]) or not (
        isinstance(values[2], str) and 0 < len(values[2]) <= 200
    ):
        raise InvalidInput(
            "user_id and account_id (at most 80 characters) and connection_secret are required"
        )
    livemode = data.get("livemode", True)
    if not isinstance(livemode, bool):
        raise InvalidInput("livemode must be true or false")
    return str(values[0]), str(values[1]), str(values[2]), livemode


def link_stripe_app(
    store: Store,
    *,
    signing_secret: str,
    body: bytes,
    signature: str | None,
    now: datetime,
    tolerance: int,
    api_base: str,
) -> AppLink:
    """Verify an app-install request and link its Stripe account; raise on any refusal."""
    if not signing_secret:
        raise ConfigError(
            "Stripe App connect is not configured",
            hint="set STAGELINE_STRIPE_APP_SIGNING_SECRET to the app's signing secret",
        )
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput("the body is too large")
    user_id, account_id, secret, livemode = _fields(body)
    verified = verify_signature(
        signed_payload(user_id=user_id, account_id=account_id),
        signature,
        secrets=[signing_secret],
        now=int(now.timestamp()),
        tolerance=tolerance,
    )
    _use_signature_once(store, verified, now=now, tolerance=tolerance)
    with store.session() as session:
        workspace = workspace_for_connection_secret(session, secret=secret)
        if workspace is None:
            raise AuthenticationFailed(
                "wrong connection secret",
                hint="copy it from `stageline workspace create` or rotate it",
            )
        return _link(session, workspace, account_id, user_id, livemode, api_base)


def _use_signature_once(
    store: Store, verified: VerifiedSignature, *, now: datetime, tolerance: int
) -> None:
    """Remember the signature (in its own transaction); a second use is a replay."""
    try:
        with store.session() as session:
            horizon = int(now.timestamp()) - 2 * tolerance
            session.execute(
                delete(StripeAppSignature).where(StripeAppSignature.timestamp < horizon)
            )
            session.add(
                StripeAppSignature(
                    digest=verified.digest, timestamp=verified.timestamp, used_at=now
                )
            )
    except IntegrityError as exc:
        raise Conflict("this signed request was already used", hint="sign a new request") from exc


def _link(
    session: Session,
    workspace: Workspace,
    account_id: str,
    user_id: str,
    livemode: bool,
    api_base: str,
) -> AppLink:
    mode = "live" if livemode else "test"
    linked = list(
        session.scalars(
            select(StripeConnection).where(
                StripeConnection.stripe_account_id == account_id, StripeConnection.mode == mode
            )
        )
    )
    if any(c.workspace_id != workspace.id for c in linked):
        raise Conflict(f"Stripe account {account_id} is linked to another workspace")
    if linked:
        connection, created = linked[0], False
        connection.stripe_app_user_id = user_id
    else:
        connection = StripeConnection(
            id=new_id("conn"),
            workspace_id=workspace.id,
            mode=mode,
            api_base=api_base.rstrip("/"),
            stripe_account_id=account_id,
            stripe_app_user_id=user_id,
            status=WAITING_FOR_KEY,
        )
        session.add(connection)
        created = True
    session.flush()
    return AppLink(
        connection.id, workspace.id, workspace.name, account_id, created, connection.status
    )
