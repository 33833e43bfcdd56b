"""Every request parameter the sandbox honours, per endpoint: the one list requests are
checked against (:mod:`stageline_sandbox.parameter_check`) before any handler runs.

A parameter missing here is refused, at any depth, with Stripe's ``parameter_unknown``
(``Received unknown parameter: items[0][foo]``), never accepted and ignored. A node is
``None`` for a value (a string, number, boolean, or list of them), a dict for a hash with
the keys it may hold (``"*"`` for any key, as in ``metadata``), and a one-element list for
a list of hashes. ``OLDER`` holds parameters Stripe took before an API version and refuses
since: a request sent with an older ``Stripe-Version`` may use them.

>>> HONOURED[("POST", "/v1/subscriptions")]["items"][0]["discounts"]
[{'coupon': None, 'discount': None, 'promotion_code': None}]
>>> OLDER[("POST", "/v1/customers")]
[('2025-03-31', {'coupon': None, 'promotion_code': None})]
"""

from __future__ import annotations

from collections.abc import Mapping

Node = None | Mapping[str, "Node"] | list["Node"]
"""``None``: a value; a dict: a hash and its keys; ``[node]``: a list of ``node``."""

ANY_KEY = "*"
MAP: Node = {ANY_KEY: None}
"""A hash with keys of the caller's choosing (``metadata``)."""

BASIL = "2025-03-31"
CLOVER = "2025-09-30"

EXPAND: dict[str, Node] = {"expand": None}
PAGE: dict[str, Node] = {
    **EXPAND,
    "limit": None,
    "starting_after": None,
    "ending_before": None,
}
CREATED: dict[str, Node] = {"created": {"gt": None, "gte": None, "lt": None, "lte": None}}
LIST: dict[str, Node] = {**PAGE, **CREATED}
SEARCH: dict[str, Node] = {**EXPAND, "query": None, "limit": None, "page": None}

_ADDRESS: Node = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}
_CUSTOMER: dict[str, Node] = {
    **EXPAND,
    "address": _ADDRESS,
    "balance": None,
    "business_name": None,
    "description": None,
    "email": None,
    "individual_name": None,
    "invoice_prefix": None,
    "invoice_settings": {
        "custom_fields": [{"name": None, "value": None}],
        "default_payment_method": None,
        "footer": None,
        "rendering_options": {"amount_tax_display": None, "template": None},
    },
    "metadata": MAP,
    "name": None,
    "next_invoice_sequence": None,
    "phone": None,
    "preferred_locales": None,
    "shipping": {"address": _ADDRESS, "name": None, "phone": None},
    "tax_exempt": None,
}
_PRODUCT: dict[str, Node] = {
    **EXPAND,
    "active": None,
    "description": None,
    "images": None,
    "marketing_features": [{"name": None}],
    "metadata": MAP,
    "name": None,
    "package_dimensions": {"height": None, "length": None, "weight": None, "width": None},
    "shippable": None,
    "statement_descriptor": None,
    "tax_code": None,
    "unit_label": None,
    "url": None,
}
_DISCOUNTS: Node = [{"coupon": None, "discount": None, "promotion_code": None}]
_PRICE_DATA: Node = {
    "currency": None,
    "product": None,
    "recurring": {"interval": None, "interval_count": None},
    "tax_behavior": None,
    "unit_amount": None,
    "unit_amount_decimal": None,
}
_ITEM: dict[str, Node] = {
    "discounts": _DISCOUNTS,
    "metadata": MAP,
    "plan": None,
    "price": None,
    "price_data": _PRICE_DATA,
    "quantity": None,
}
_SUBSCRIPTION: dict[str, Node] = {
    **EXPAND,
    "cancel_at": None,
    "cancel_at_period_end": None,
    "collection_method": None,
    "days_until_due": None,
    "default_payment_method": None,
    "description": None,
    "discounts": _DISCOUNTS,
    "metadata": MAP,
    "payment_behavior": None,
    "proration_behavior": None,
    "trial_end": None,
    "trial_settings": {"end_behavior": {"missing_payment_method": None}},
}
_RANGE: Node = {"gt": None, "gte": None, "lt": None, "lte": None}

HONOURED: dict[tuple[str, str], dict[str, Node]] = {
    # customers and payment methods
    ("GET", "/v1/customers"): {**LIST, "email": None, "test_clock": None},
    ("POST", "/v1/customers"): {**_CUSTOMER, "payment_method": None, "test_clock": None},
    ("GET", "/v1/customers/search"): SEARCH,
    ("GET", "/v1/customers/{id}"): EXPAND,
    ("POST", "/v1/customers/{id}"): _CUSTOMER,
    ("DELETE", "/v1/customers/{id}"): {},
    ("DELETE", "/v1/customers/{id}/discount"): {},
    ("GET", "/v1/customers/{id}/payment_methods"): {**PAGE, "type": None},
    ("GET", "/v1/payment_methods"): {**PAGE, "customer": None, "type": None},
    ("GET", "/v1/payment_methods/{id}"): EXPAND,
    ("POST", "/v1/payment_methods/{id}/attach"): {**EXPAND, "customer": None},
    ("POST", "/v1/payment_methods/{id}/detach"): EXPAND,
    # catalogue
    ("GET", "/v1/products"): {**LIST, "active": None, "ids": None},
    ("POST", "/v1/products"): {**_PRODUCT, "id": None, "type": None},
    ("GET", "/v1/products/{id}"): EXPAND,
    ("POST", "/v1/products/{id}"): {**_PRODUCT, "default_price": None},
    ("DELETE", "/v1/products/{id}"): {},
    ("GET", "/v1/prices"): {
        **LIST,
        "active": None,
        "currency": None,
        "lookup_keys": None,
        "product": None,
        "recurring": {"interval": None, "meter": None, "usage_type": None},
        "type": None,
    },
    ("POST", "/v1/prices"): {
        **EXPAND,
        "active": None,
        "billing_scheme": None,
        "currency": None,
        "custom_unit_amount": {"enabled": None, "maximum": None, "minimum": None, "preset": None},
        "lookup_key": None,
        "metadata": MAP,
        "nickname": None,
        "product": None,
        "product_data": {"metadata": MAP, "name": None, "unit_label": None},
        "recurring": {
            "interval": None,
            "interval_count": None,
            "meter": None,
            "trial_period_days": None,
            "usage_type": None,
        },
        "tax_behavior": None,
        "tiers": [
            {
                "flat_amount": None,
                "flat_amount_decimal": None,
                "unit_amount": None,
                "unit_amount_decimal": None,
                "up_to": None,
            }
        ],
        "tiers_mode": None,
        "transform_quantity": {"divide_by": None, "round": None},
        "unit_amount": None,
        "unit_amount_decimal": None,
    },
    ("GET", "/v1/prices/{id}"): EXPAND,
    ("POST", "/v1/prices/{id}"): {
        **EXPAND,
        "active": None,
        "lookup_key": None,
        "metadata": MAP,
        "nickname": None,
        "tax_behavior": None,
    },
    ("GET", "/v1/billing/meters"): PAGE,
    ("POST", "/v1/billing/meters"): {
        **EXPAND,
        "customer_mapping": {"event_payload_key": None, "type": None},
        "default_aggregation": {"formula": None},
        "display_name": None,
        "event_name": None,
        "event_time_window": None,
        "value_settings": {"event_payload_key": None},
    },
    ("GET", "/v1/billing/meters/{id}"): EXPAND,
    # discounts
    ("GET", "/v1/coupons"): LIST,
    ("POST", "/v1/coupons"): {
        **EXPAND,
        "amount_off": None,
        "applies_to": {"products": None},
        "currency": None,
        "currency_options": {ANY_KEY: {"amount_off": None}},
        "duration": None,
        "duration_in_months": None,
        "id": None,
        "max_redemptions": None,
        "metadata": MAP,
        "name": None,
        "percent_off": None,
        "redeem_by": None,
    },
    ("GET", "/v1/coupons/{id}"): EXPAND,
    ("POST", "/v1/coupons/{id}"): {**EXPAND, "metadata": MAP, "name": None},
    ("DELETE", "/v1/coupons/{id}"): {},
    ("GET", "/v1/promotion_codes"): {
        **LIST,
        "active": None,
        "code": None,
        "coupon": None,
        "customer": None,
    },
    ("POST", "/v1/promotion_codes"): {
        **EXPAND,
        "active": None,
        "code": None,
        "customer": None,
        "expires_at": None,
        "max_redemptions": None,
        "metadata": MAP,
        "promotion": {"coupon": None, "type": None},
    },
    ("GET", "/v1/promotion_codes/{id}"): EXPAND,
    ("POST", "/v1/promotion_codes/{id}"): {**EXPAND, "active": None, "metadata": MAP},
    # subscriptions
    ("GET", "/v1/subscriptions"): {
        **LIST,
        "collection_method": None,
        "current_period_end": _RANGE,
        "current_period_start": _RANGE,
        "customer": None,
        "plan": None,
        "price": None,
        "status": None,
        "test_clock": None,
    },
    ("GET", "/v1/subscriptions/search"): SEARCH,
    ("POST", "/v1/subscriptions"): {
        **_SUBSCRIPTION,
        "backdate_start_date": None,
        "billing_cycle_anchor": None,
        "customer": None,
        "items": [_ITEM],
        "trial_from_plan": None,
        "trial_period_days": None,
    },
    ("GET", "/v1/subscriptions/{id}"): EXPAND,
    ("POST", "/v1/subscriptions/{id}"): {
        **_SUBSCRIPTION,
        "cancellation_details": {"comment": None, "feedback": None},
        "items": [{**_ITEM, "deleted": None, "id": None}],
        "pause_collection": {"behavior": None, "resumes_at": None},
    },
    ("DELETE", "/v1/subscriptions/{id}"): {
        **EXPAND,
        "cancellation_details": {"comment": None, "feedback": None},
    },
    ("POST", "/v1/subscriptions/{id}/pause"): {**EXPAND, "type": None},
    ("POST", "/v1/subscriptions/{id}/resume"): {
        **EXPAND,
        "billing_cycle_anchor": {"type": None},
        "payment_behavior": None,
        "proration_behavior": None,
    },
    ("GET", "/v1/subscription_items"): {**PAGE, "subscription": None},
    ("GET", "/v1/subscription_items/{id}"): EXPAND,
    # invoicing
    ("GET", "/v1/invoices"): {
        **LIST,
        "collection_method": None,
        "customer": None,
        "status": None,
        "subscription": None,
    },
    ("GET", "/v1/invoices/search"): SEARCH,
    ("GET", "/v1/invoices/{id}"): EXPAND,
    ("GET", "/v1/invoiceitems"): {**LIST, "customer": None, "invoice": None, "pending": None},
    ("POST", "/v1/invoiceitems"): {
        **EXPAND,
        "amount": None,
        "currency": None,
        "customer": None,
        "description": None,
        "discountable": None,
        "metadata": MAP,
        "period": {"end": None, "start": None},
        "pricing": {"price": None},
        "quantity": None,
        "subscription": None,
        "unit_amount_decimal": None,
    },
    ("GET", "/v1/invoiceitems/{id}"): EXPAND,
    ("POST", "/v1/invoiceitems/{id}"): {**EXPAND, "description": None, "metadata": MAP},
    ("DELETE", "/v1/invoiceitems/{id}"): {},
    # accounts (read only: accounts are configuration)
    ("GET", "/v1/account"): EXPAND,
    ("GET", "/v1/accounts"): PAGE,
    ("GET", "/v1/accounts/{id}"): EXPAND,
    # events, webhooks, test clocks
    ("GET", "/v1/events"): {**LIST, "delivery_success": None, "type": None, "types": None},
    ("GET", "/v1/events/{id}"): EXPAND,
    ("GET", "/v1/webhook_endpoints"): PAGE,
    ("POST", "/v1/webhook_endpoints"): {
        **EXPAND,
        "api_version": None,
        "connect": None,
        "description": None,
        "enabled_events": None,
        "metadata": MAP,
        "url": None,
    },
    ("GET", "/v1/webhook_endpoints/{id}"): EXPAND,
    ("POST", "/v1/webhook_endpoints/{id}"): {
        **EXPAND,
        "description": None,
        "disabled": None,
        "enabled_events": None,
        "metadata": MAP,
        "url": None,
    },
    ("DELETE", "/v1/webhook_endpoints/{id}"): {},
    ("GET", "/v1/test_helpers/test_clocks"): PAGE,
    ("POST", "/v1/test_helpers/test_clocks"): {**EXPAND, "frozen_time": None, "name": None},
    ("GET", "/v1/test_helpers/test_clocks/{id}"): EXPAND,
    ("DELETE", "/v1/test_helpers/test_clocks/{id}"): {},
    ("POST", "/v1/test_helpers/test_clocks/{id}/advance"): {**EXPAND, "frozen_time": None},
}
"""``(method, route path) -> parameters`` at the SDK's pinned API version."""

_SINGULAR_DISCOUNT: dict[str, Node] = {"coupon": None, "promotion_code": None}
OLDER: dict[tuple[str, str], list[tuple[str, dict[str, Node]]]] = {
    ("POST", "/v1/customers"): [(BASIL, _SINGULAR_DISCOUNT)],
    ("POST", "/v1/customers/{id}"): [(BASIL, _SINGULAR_DISCOUNT)],
    ("POST", "/v1/subscriptions"): [(BASIL, _SINGULAR_DISCOUNT)],
    ("POST", "/v1/subscriptions/{id}"): [(BASIL, _SINGULAR_DISCOUNT)],
    ("POST", "/v1/invoiceitems"): [(BASIL, {"price": None, "unit_amount": None})],
    ("POST", "/v1/promotion_codes"): [(CLOVER, {"coupon": None})],
}
"""``(method, route path) -> [(version that removed them, parameters)]``.

Sources: stripe-node 18.0.0 / stripe-python 12.0.0 (pinned ``2025-03-31.basil``) "Remove
support for ``coupon`` / ``promotion_code`` on Customer and Subscription create and update
params" and "``price`` and ``unit_amount`` on InvoiceItem create params, use ``pricing``";
Stripe's changelog ``2025-09-30.clover`` "polymorphic-coupon" (promotion codes take
``promotion[coupon]`` instead of ``coupon``).
"""
