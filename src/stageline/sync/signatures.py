"""Stripe's ``Stripe-Signature`` scheme: ``t=<unix>,v1=<hex hmac>[,v1=...]``.

The same HMAC-SHA256 signs webhook deliveries (with the endpoint's ``whsec_`` secret, over the
raw body) and Stripe App requests (with the app's signing secret, over a compact JSON of
``user_id`` and ``account_id``). Only ``v1`` signatures count; several may be present (a
rolled secret signs with the old and the new one) and any one matching is enough. The
timestamp must lie within ``tolerance`` seconds of ``now``, in the past *and* the future.

>>> import stripe
>>> header = stripe.WebhookSignature.generate_signature_header("{}", "whsec_x", timestamp=100)
>>> verify_signature(b"{}", header, secrets=["whsec_x"], now=120, tolerance=300).timestamp
100
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from stageline.errors import SignatureError

SCHEME = "v1"
MAX_HEADER_LENGTH = 4096


@dataclass(frozen=True)
class VerifiedSignature:
    """What a valid header proved: when it was signed, and which signature matched."""

    timestamp: int
    signature: str

    @property
    def digest(self) -> str:
        """A stable fingerprint of this exact signature, to refuse its reuse."""
        return hashlib.sha256(f"{self.timestamp}.{self.signature}".encode()).hexdigest()


def sign(payload: bytes, secret: str, *, timestamp: int) -> str:
    """The ``v1`` signature Stripe computes: HMAC-SHA256 of ``"<t>." + payload``, in hex."""
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def parse_header(header: str) -> tuple[int, list[str]]:
    """``(timestamp, [v1 signatures])`` of a header; ``SignatureError`` if it is malformed."""
    if not header or len(header) > MAX_HEADER_LENGTH:
        raise SignatureError("missing or oversized Stripe-Signature header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not value.isdigit():
                raise SignatureError("the Stripe-Signature timestamp is not a number")
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("the Stripe-Signature header has no timestamp")
    if not signatures:
        raise SignatureError("the Stripe-Signature header has no v1 signature")
    return timestamp, signatures


def verify_signature(
    payload: bytes,
    header: str | None,
    *,
    secrets: Sequence[str],
    now: int,
    tolerance: int,
) -> VerifiedSignature:
    """Check ``header`` against ``payload`` with any of ``secrets``; raise ``SignatureError``.

    ``tolerance`` must be positive: a zero tolerance would accept any old signature.
    """
    if tolerance <= 0:
        raise ValueError("a signature tolerance must be positive")
    timestamp, candidates = parse_header(header or "")
    usable = [secret for secret in secrets if secret]
    if not usable:
        raise SignatureError("no signing secret is configured for this receiver")
    matched = _first_match(payload, timestamp, candidates, usable)
    if matched is None:
        raise SignatureError("no signature matches the payload")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            f"the signature timestamp is {now - timestamp:+d} s from now (tolerance {tolerance} s)",
            hint="check the server clock (NTP)",
        )
    return VerifiedSignature(timestamp=timestamp, signature=matched)


def _first_match(
    payload: bytes, timestamp: int, candidates: Sequence[str], secrets: Sequence[str]
) -> str | None:
    for secret in secrets:
        expected = sign(payload, secret, timestamp=timestamp)
        for candidate in candidates:
            if hmac.compare_digest(expected.encode("ascii"), candidate.encode("ascii", "replace")):
                return candidate
    return None
