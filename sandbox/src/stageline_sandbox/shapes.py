"""Every field Stripe sends for each resource, with the value a fresh object has.

Stored objects keep only what was set; :func:`with_defaults` fills in the rest, so every
object the sandbox answers carries the full field set of Stripe's own example
(``fixtures3.json``) at the SDK's pinned API version.

>>> product = with_defaults("product", {"id": "prod_1", "name": "Team", "created": 1})
>>> product["object"], product["active"], product["images"]
('product', True, [])
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]


def _customer() -> Obj:
    return {
        "object": "customer",
        "address": None,
        "balance": 0,
        "business_name": None,
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "individual_name": None,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def _product() -> Obj:
    return {
        "object": "product",
        "active": True,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "url": None,
    }


def _price() -> Obj:
    return {
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "currency": "usd",
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "recurring": None,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": None,
        "unit_amount_decimal": None,
    }


def _coupon() -> Obj:
    return {
        "object": "coupon",
        "amount_off": None,
        "currency": None,
        "duration": "once",
        "duration_in_months": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "name": None,
        "percent_off": None,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    }


def _discount() -> Obj:
    return {
        "object": "discount",
        "checkout_session": None,
        "customer": None,
        "customer_account": None,
        "end": None,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": None,
        "source": {"coupon": None, "type": "coupon"},
        "subscription": None,
        "subscription_item": None,
    }


def _promotion_code() -> Obj:
    return {
        "object": "promotion_code",
        "active": True,
        "customer": None,
        "customer_account": None,
        "expires_at": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "promotion": {"coupon": None, "type": "coupon"},
        "restrictions": {
            "first_time_transaction": False,
            "minimum_amount": None,
            "minimum_amount_currency": None,
        },
        "times_redeemed": 0,
    }


def _subscription() -> Obj:
    return {
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "status_details": None,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def _subscription_item() -> Obj:
    return {
        "object": "subscription_item",
        "billing_thresholds": None,
        "discounts": [],
        "metadata": {},
        "quantity": 1,
        "tax_rates": [],
    }


def _invoice() -> Obj:
    return {
        "object": "invoice",
        "account_country": "US",
        "account_name": "Stageline Sandbox",
        "account_tax_ids": None,
        "amount_overpaid": 0,
        "amount_paid_off_stripe": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": False,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": "charge_automatically",
        "custom_fields": None,
        "customer_account": None,
        "customer_address": None,
        "customer_email": None,
        "customer_name": None,
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": None,
        "test_clock": None,
        "total_discount_amounts": [],
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


def _line_item() -> Obj:
    return {
        "object": "line_item",
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "livemode": False,
        "metadata": {},
        "pretax_credit_amounts": [],
        "quantity_decimal": None,
        "subscription": None,
        "taxes": [],
    }


DEFAULTS: dict[str, Callable[[], Obj]] = {
    "customer": _customer,
    "product": _product,
    "price": _price,
    "coupon": _coupon,
    "discount": _discount,
    "promotion_code": _promotion_code,
    "subscription": _subscription,
    "subscription_item": _subscription_item,
    "invoice": _invoice,
    "line_item": _line_item,
}


def with_defaults(obj_type: str, stored: Obj) -> Obj:
    """The stored object over a fresh copy of its resource's defaults."""
    merged = DEFAULTS[obj_type]()
    merged.update(stored)
    for private in [key for key in stored if key.startswith("_")]:
        del merged[private]
    if obj_type == "customer" and "invoice_prefix" not in merged:
        merged["invoice_prefix"] = invoice_prefix(str(stored["id"]))
    if obj_type == "product" and "updated" not in merged:
        merged["updated"] = merged.get("created")
    return merged


def invoice_prefix(customer_id: str) -> str:
    """A stable 8-character invoice number prefix per customer, as Stripe assigns one."""
    return f"{zlib.crc32(customer_id.encode()):08X}"


def deleted_stub(obj_type: str, obj_id: str) -> Obj:
    """What Stripe answers for a deleted object: ``{"id", "object", "deleted": true}``."""
    return {"id": obj_id, "object": obj_type, "deleted": True}


def plan_from_price(price: Obj) -> Obj:
    """The legacy ``plan`` mirror Stripe still embeds in subscription items."""
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price.get("unit_amount"),
        "amount_decimal": price.get("unit_amount_decimal"),
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": price["livemode"],
        "metadata": price["metadata"],
        "meter": recurring.get("meter"),
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": price["tiers_mode"],
        "transform_usage": price["transform_quantity"],
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
    }
