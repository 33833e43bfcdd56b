"""Stripe-Signature verification, checked against headers the official SDK generates."""

from __future__ import annotations

import pytest
import stripe

from stageline.errors import SignatureError
from stageline.sync.signatures import parse_header, sign, verify_signature

BODY = b'{"id":"evt_1","type":"customer.created"}'
SECRET = "whsec_abc"


def _header(timestamp: int, secret: str = SECRET, body: bytes = BODY) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=timestamp
    )


def test_a_header_made_by_the_sdk_verifies() -> None:
    verified = verify_signature(BODY, _header(1000), secrets=[SECRET], now=1000, tolerance=300)
    assert verified.timestamp == 1000
    assert verified.signature == sign(BODY, SECRET, timestamp=1000)


def test_the_sdk_accepts_what_we_sign() -> None:
    header = f"t=1000,v1={sign(BODY, SECRET, timestamp=1000)}"
    assert stripe.WebhookSignature.verify_header(BODY.decode(), header, SECRET)


@pytest.mark.parametrize("now", [1000 + 301, 1000 - 301])
def test_stale_and_future_timestamps_beyond_tolerance_are_refused(now: int) -> None:
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature(BODY, _header(1000), secrets=[SECRET], now=now, tolerance=300)


@pytest.mark.parametrize("now", [1300, 700])
def test_timestamps_at_the_tolerance_edge_pass(now: int) -> None:
    verify_signature(BODY, _header(1000), secrets=[SECRET], now=now, tolerance=300)


def test_any_of_several_v1_signatures_may_match() -> None:
    good = sign(BODY, SECRET, timestamp=1000)
    header = f"t=1000,v1={'0' * 64},v0=ignored,v1={good}"
    assert verify_signature(BODY, header, secrets=[SECRET], now=1000, tolerance=300)


def test_a_rolled_secret_verifies_with_the_old_or_the_new_one() -> None:
    header = _header(1000, secret="whsec_old")
    verify_signature(BODY, header, secrets=["whsec_new", "whsec_old"], now=1000, tolerance=300)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "t=abc,v1=00",
        "v1=00",
        "t=1000",
        f"t=1000,v0={sign(BODY, SECRET, timestamp=1000)}",  # only v1 counts (no downgrade)
        "t=1000,v1=" + "0" * 64,
        "t=1000,v1=" + "é" * 64,
        "t=1000,v1=" + "0" * 5000,
    ],
)
def test_malformed_or_wrong_headers_are_refused(header: str | None) -> None:
    with pytest.raises(SignatureError):
        verify_signature(BODY, header, secrets=[SECRET], now=1000, tolerance=300)


def test_a_changed_body_or_another_secret_fails() -> None:
    header = _header(1000)
    with pytest.raises(SignatureError):
        verify_signature(BODY + b" ", header, secrets=[SECRET], now=1000, tolerance=300)
    with pytest.raises(SignatureError):
        verify_signature(BODY, header, secrets=["whsec_other"], now=1000, tolerance=300)
    with pytest.raises(SignatureError):
        verify_signature(BODY, header, secrets=[], now=1000, tolerance=300)


def test_a_zero_tolerance_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        verify_signature(BODY, _header(1000), secrets=[SECRET], now=1000, tolerance=0)


def test_parse_header_reads_timestamp_and_every_v1() -> None:
    assert parse_header("t=5, v1=aa ,v1=bb,v0=cc") == (5, ["aa", "bb"])
