"""Stripe's test payment methods, attached to customers and charged for invoices.

``pm_card_visa`` (and ``pm_card_mastercard``) pay; ``pm_card_chargeCustomerFail`` attaches
but every charge fails; ``pm_card_chargeDeclined`` is declined when charged. Passing one of
these tokens creates a new ``pm_...`` attached to the customer, as Stripe does.

>>> from stageline_sandbox.store import SandboxStore
>>> store = SandboxStore()
>>> pm = attach_payment_method(store, "pm_card_chargeCustomerFail", "cus_1", now=5)
>>> pm["card"]["last4"], charge_outcome(pm)
('0341', 'card_declined')
"""

from __future__ import annotations

from typing import Any

from stageline_sandbox.errors import StripeApiError, resource_missing
from stageline_sandbox.ids import new_id
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import SandboxStore

# token → (brand, last4, decline code when charged or None)
TEST_CARDS: dict[str, tuple[str, str, str | None]] = {
    "pm_card_visa": ("visa", "4242", None),
    "pm_card_mastercard": ("mastercard", "4444", None),
    "pm_card_amex": ("amex", "8431", None),
    "pm_card_chargeCustomerFail": ("visa", "0341", "card_declined"),
    "pm_card_chargeDeclined": ("visa", "0002", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "insufficient_funds"),
}
_FAILING_LAST4 = {last4: code for _, last4, code in TEST_CARDS.values() if code}


def _card(token: str, brand: str, last4: str) -> dict[str, Any]:
    return {
        "brand": brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
        "country": "US",
        "display_brand": brand,
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": token[-16:].ljust(16, "x"),
        "funding": "credit",
        "generated_from": None,
        "last4": last4,
        "networks": {"available": [brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def payment_method_from_token(token: str, now: int) -> Obj:
    brand, last4, _ = TEST_CARDS[token]
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": _card(token, brand, last4),
        "created": now,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def attach_payment_method(
    store: SandboxStore, token_or_id: str, customer_id: str, *, now: int, param: str = "id"
) -> Obj:
    """Attach a test token (as a new payment method) or an existing one to a customer."""
    if token_or_id in TEST_CARDS:
        pm = payment_method_from_token(token_or_id, now)
    else:
        found = store.get("payment_method", token_or_id)
        if found is None:
            raise resource_missing("PaymentMethod", token_or_id, param=param)
        pm = found
        if pm.get("customer") not in (None, customer_id):
            raise StripeApiError(
                400,
                "The payment method you provided has already been attached to a customer.",
                code="payment_method_unexpected_state",
                param=param,
            )
    pm["customer"] = customer_id
    store.put("payment_method", pm)
    return pm


def charge_outcome(payment_method: Obj | None) -> str | None:
    """``None`` if charging ``payment_method`` succeeds, else the decline code."""
    if payment_method is None:
        return "no_payment_method"
    return _FAILING_LAST4.get(str(payment_method.get("card", {}).get("last4")))
