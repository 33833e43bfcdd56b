"""Receiving one webhook delivery: verify, store raw, answer; applying is the worker's job.

Refusals store nothing but a per-connection counter (``webhook_rejections``): an oversize
body (413), a bad signature or malformed JSON (400). An unknown connection (404) has no row
to count on; the receiver keeps an in-process count and logs it.

Example::

    receipt = receive_webhook(store, box, connection_id="conn_1", body=raw,
                              signature=header, now=datetime.now(UTC), tolerance=300)
    receipt.status_code, receipt.body
    # (200, {'received': True, 'duplicate': False})
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stageline.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    SignatureError,
    StagelineError,
)
from stageline.security import SecretBox
from stageline.store.connections import connection_by_id
from stageline.store.db import Store
from stageline.sync.inbox import count_rejection, parse_event, record_event
from stageline.sync.signatures import verify_signature

log = logging.getLogger("stageline.webhooks")


@dataclass(frozen=True)
class Receipt:
    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


def _refusal(error: StagelineError) -> Receipt:
    """The error's status and envelope, as every HTTP error is answered."""
    return Receipt(error.http_status, error.to_json())


def receive_webhook(
    store: Store,
    box: SecretBox,
    *,
    connection_id: str,
    body: bytes | None,
    signature: str | None,
    now: datetime,
    tolerance: int,
) -> Receipt:
    """Check and keep one delivery; ``body=None`` means it was over the size limit."""
    with store.session() as session:
        connection = connection_by_id(session, connection_id=connection_id)
        if connection is None:
            log.warning("webhook for unknown connection %r refused", connection_id[:60])
            return _refusal(NotFound("unknown connection", code="connection_not_found"))
        reason, refusal = _check(
            box, connection.webhook_secret_ciphertext, body, signature, now, tolerance
        )
        if refusal is not None:
            count_rejection(session, connection_id=connection.id, reason=reason, now=now)
            log.warning("webhook for %s refused (%s)", connection.id, reason)
            return refusal
        assert body is not None
        event = parse_event(body)
        stored = record_event(
            session,
            connection=connection,
            event=event,
            payload=body.decode("utf-8"),
            source="webhook",
            now=now,
        )
    return Receipt(200, {"received": True, "duplicate": not stored})


def _check(
    box: SecretBox,
    secret_ciphertext: str | None,
    body: bytes | None,
    signature: str | None,
    now: datetime,
    tolerance: int,
) -> tuple[str, Receipt | None]:
    """``(reason, refusal)``; the refusal is ``None`` when the delivery may be stored."""
    if body is None:
        return "oversize", _refusal(PayloadTooLarge("the body is over the size limit"))
    if secret_ciphertext is None:
        return "no_secret", _refusal(
            SignatureError(
                "this connection has no webhook signing secret", code="signing_secret_missing"
            )
        )
    try:
        verify_signature(
            body,
            signature,
            secrets=[box.decrypt(secret_ciphertext)],
            now=int(now.timestamp()),
            tolerance=tolerance,
        )
    except SignatureError as exc:
        return "bad_signature", _refusal(exc)
    except StagelineError as exc:  # the stored secret cannot be decrypted
        log.error("webhook secret unusable: %s", exc.one_line())
        return "no_secret", _refusal(
            SignatureError("the signing secret is unusable", code="signing_secret_unusable")
        )
    try:
        parse_event(body)
    except InvalidInput as exc:
        return "malformed", _refusal(exc)
    return "", None
