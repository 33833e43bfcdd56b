"""A connection's sync status in words, for people: ``stageline connections show`` and the UI.

The JSON form (:func:`stageline.sync.status.connection_status`) stays the contract for
programs; these lines say the same without dicts, epoch seconds or internal names.

>>> describe_ago(42), describe_ago(3 * 3600 + 5), describe_ago(None)
('42 seconds ago', '3 hours ago', 'never')
>>> describe_drift({"subscription": {"missing": 2, "changed": 1, "deleted": 0},
...                 "customer": {"missing": 0, "changed": 0, "deleted": 0}})
'subscriptions: 2 missing, 1 changed'
>>> describe_drift({"customer": {"missing": 0, "changed": 0, "deleted": 0}})
'none'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from stageline.store.connections import WAITING_FOR_KEY

_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
_REJECTIONS = {
    "bad_signature": "bad signature",
    "no_secret": "no signing secret",
    "oversize": "too large",
    "malformed": "not a Stripe event",
}


def describe_ago(seconds: int | None) -> str:
    """How long ago, in the largest whole unit."""
    if seconds is None:
        return "never"
    for unit, size in _UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def describe_drift(counts: Mapping[str, Mapping[str, int]] | None) -> str:
    """Repairs the last sweep made, per object type; ``none`` when it found nothing."""
    parts = []
    for object_type, kinds in (counts or {}).items():
        found = ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n)
        if found:
            parts.append(f"{object_type}s: {found}")
    return "; ".join(parts) or "none"


def describe_objects(counts: Mapping[str, int]) -> str:
    """Objects by type, in words.

    >>> describe_objects({"customer": 3, "price": 1}), describe_objects({})
    ('3 customers, 1 prices', 'no objects')
    """
    return ", ".join(f"{n} {name}s" for name, n in counts.items() if n) or "no objects"


def _backfill(backfill: Mapping[str, Any]) -> str:
    if not backfill.get("last_at"):
        line = "no backfill yet (run `stageline sync`)"
    else:
        line = f"last backfill {_moment(backfill['last_at'])}"
        if backfill.get("objects"):
            line += f": {describe_objects(backfill['objects'])}"
        if backfill.get("objects_per_second"):
            line += f" at {backfill['objects_per_second']:,.0f} objects/s"
    if backfill.get("resumable"):
        line += "; an interrupted backfill will resume where it stopped"
    return line


def _webhooks(webhook: Mapping[str, Any], now: datetime) -> str:
    line = f"webhooks to {webhook['url']}: "
    received = webhook.get("last_received_at")
    line += f"last received {describe_ago(_age(received, now))}" if received else "none yet"
    if not webhook.get("signing_secret"):
        line += "; no signing secret, so every delivery is refused"
    refused = {_REJECTIONS.get(k, k.replace("_", " ")): n for k, n in webhook["rejected"].items()}
    if refused:
        line += "; refused " + ", ".join(f"{n} ({reason})" for reason, n in refused.items())
    if webhook.get("failed_events"):
        line += f"; {webhook['failed_events']} events failed to apply"
    if webhook.get("unreadable_events"):
        line += f"; {webhook['unreadable_events']} events could not be read"
    return line


def _events(events: Mapping[str, Any]) -> str:
    line = f"events catch-up {describe_ago(events.get('lag_seconds'))}".replace(
        "catch-up never", "catch-up: not run yet"
    )
    if events.get("pending"):
        line += f"; {events['pending']} events waiting to apply"
        if events.get("oldest_pending_seconds") is not None:
            line += f", oldest received {describe_ago(events['oldest_pending_seconds'])}"
    if events.get("warning"):
        line += f"; warning: {events['warning']}"
    return line


def _moment(iso: str) -> str:
    return iso.replace("T", " ")[:16] + " UTC"


def _age(iso: str, now: datetime) -> int:
    return max(0, int((now - datetime.fromisoformat(iso)).total_seconds()))


def describe_connection(status: Mapping[str, Any], *, now: datetime) -> list[str]:
    """One line per aspect of ``status``: connection, backfill, webhooks, events, sweep."""
    if status["status"] == WAITING_FOR_KEY or not status.get("api_key"):
        account = status.get("stripe_account_id") or "unknown"
        return [
            f"linked by the Stripe App to Stripe account {account} ({status['mode']} mode), "
            "waiting for an API key",
            f"to start syncing: stageline connections set-key {status['id']} --api-key rk_...",
        ]
    head = f"{status['status']} in {status['mode']} mode to {status['api_base']}"
    if status.get("api_key"):
        head += f" with key {status['api_key']}"
    if status.get("stripe_account_id"):
        head += f" (Stripe account {status['stripe_account_id']})"
    lines = [head]
    if status.get("last_error"):
        lines.append(f"last error: {status['last_error']}")
    lines += [
        _backfill(status["backfill"]),
        _webhooks(status["webhook"], now),
        _events(status["events"]),
    ]
    drift = status["drift"]
    if drift.get("swept_at"):
        lines.append(
            f"last sweep {_moment(drift['swept_at'])} checked {drift.get('checked') or 0} "
            f"objects; repairs: {describe_drift(drift.get('counts'))}"
        )
    else:
        lines.append("no reconciliation sweep yet")
    return lines
