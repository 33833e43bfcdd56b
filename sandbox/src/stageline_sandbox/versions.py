"""Events rendered at an older API version, for endpoints created with one.

Before ``2025-03-31.basil`` a subscription carried ``current_period_start/end`` itself (its
items did not), a singular ``discount`` with an embedded ``coupon``, and invoices carried
``subscription``, ``paid`` and ``subscription_details`` instead of ``parent``. Events keep
the version they are rendered at in ``api_version``.

>>> sub = {"object": "subscription", "items": {"object": "list", "data": [
...     {"object": "subscription_item", "current_period_start": 1, "current_period_end": 9,
...      "discounts": []}]}, "discounts": []}
>>> old = object_for_version(sub, "2024-06-20", store=None)
>>> old["current_period_end"], "current_period_end" in old["items"]["data"][0]
(9, False)
"""

from __future__ import annotations

import copy
from typing import Any

from stageline_sandbox.events import API_VERSION
from stageline_sandbox.render import Renderer
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import SandboxStore

BASIL = "2025-03-31"
"""The first version with item-level periods, ``discounts`` only and ``invoice.parent``."""

_NEW_SUBSCRIPTION_FIELDS = (
    "billing_mode",
    "billing_schedules",
    "customer_account",
    "managed_payments",
    "status_details",
    "presentment_details",
)
_NEW_INVOICE_FIELDS = (
    "parent",
    "total_taxes",
    "total_pretax_credit_amounts",
    "amount_overpaid",
    "amount_paid_off_stripe",
    "automatically_finalizes_at",
    "customer_account",
    "status_details",
    "confirmation_secret",
    "payments",
)
_NEW_LINE_FIELDS = (
    "parent",
    "pricing",
    "taxes",
    "pretax_credit_amounts",
    "subtotal",
    "quantity_decimal",
)


def is_pre_basil(api_version: str | None) -> bool:
    return api_version is not None and api_version[:10] < BASIL


def _coupon(store: SandboxStore | None, coupon_id: Any) -> Any:
    if store is None or not isinstance(coupon_id, str):
        return coupon_id
    return Renderer(store).render_id("coupon", coupon_id) or coupon_id


def _discount(discount: Any, store: SandboxStore | None) -> Any:
    if not isinstance(discount, dict):
        return discount
    old = {k: v for k, v in discount.items() if k not in ("source", "customer_account")}
    old["coupon"] = _coupon(store, (discount.get("source") or {}).get("coupon"))
    return old


def _subscription(sub: Obj, store: SandboxStore | None) -> Obj:
    items = (sub.get("items") or {}).get("data") or []
    if items:
        earliest = min(items, key=lambda i: i.get("current_period_end") or 0)
        sub["current_period_start"] = earliest.get("current_period_start")
        sub["current_period_end"] = earliest.get("current_period_end")
    for item in items:
        item.pop("current_period_start", None)
        item.pop("current_period_end", None)
        item.pop("billed_until", None)
        item["discounts"] = [_discount(d, store) for d in item.get("discounts") or []]
    first = (sub.get("discounts") or [None])[0]
    if isinstance(first, str) and store is not None:
        stored = store.get("discount", first)
        first = Renderer(store).render("discount", stored) if stored else None
    sub["discount"] = _discount(first, store)
    sub["discounts"] = [_discount(d, store) for d in sub.get("discounts") or []]
    for name in _NEW_SUBSCRIPTION_FIELDS:
        sub.pop(name, None)
    return sub


def _line(line: Obj, store: SandboxStore | None) -> Obj:
    details = ((line.get("parent") or {}).get("subscription_item_details")) or {}
    price_id = ((line.get("pricing") or {}).get("price_details") or {}).get("price")
    price = Renderer(store).render_id("price", price_id) if store and price_id else None
    line.update(
        type="subscription" if details else "invoiceitem",
        proration=bool(details.get("proration")),
        proration_details={"credited_items": None},
        subscription=details.get("subscription"),
        subscription_item=details.get("subscription_item"),
        price=price,
        plan=None,
        tax_amounts=[],
        tax_rates=[],
        amount_excluding_tax=line.get("amount"),
        unit_amount_excluding_tax=(line.get("pricing") or {}).get("unit_amount_decimal"),
    )
    for name in _NEW_LINE_FIELDS:
        line.pop(name, None)
    return line


def _invoice(invoice: Obj, store: SandboxStore | None) -> Obj:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    invoice.update(
        subscription=details.get("subscription"),
        subscription_details={"metadata": details.get("metadata")} if details else None,
        paid=invoice.get("status") == "paid",
        paid_out_of_band=False,
        total_tax_amounts=[],
        tax=None,
        charge=None,
        payment_intent=None,
        discount=None,
        application_fee_amount=None,
        quote=None,
        transfer_data=None,
    )
    lines = (invoice.get("lines") or {}).get("data") or []
    invoice["lines"]["data"] = [_line(line, store) for line in lines]
    for name in _NEW_INVOICE_FIELDS:
        invoice.pop(name, None)
    return invoice


def object_for_version(obj: Obj, api_version: str | None, store: SandboxStore | None) -> Obj:
    """``obj`` (rendered at the sandbox's version) as ``api_version`` shapes it."""
    if not is_pre_basil(api_version):
        return obj
    old = copy.deepcopy(obj)
    kind = old.get("object")
    if kind == "subscription":
        return _subscription(old, store)
    if kind == "invoice":
        return _invoice(old, store)
    if kind == "customer" and isinstance(old.get("discount"), dict):
        old["discount"] = _discount(old["discount"], store)
    if kind == "discount":
        return dict(_discount(old, store))
    if kind == "promotion_code":
        old["coupon"] = _coupon(store, (old.pop("promotion", None) or {}).get("coupon"))
    return old


def event_for_version(event: Obj, api_version: str | None, store: SandboxStore | None) -> Obj:
    """The event as an endpoint pinned to ``api_version`` receives it."""
    rendered = copy.deepcopy(event)
    rendered["api_version"] = api_version or API_VERSION
    if not is_pre_basil(api_version):
        return rendered
    data = rendered["data"]
    data["object"] = object_for_version(data["object"], api_version, store)
    previous = data.get("previous_attributes")
    if isinstance(previous, dict) and data["object"].get("object") == "subscription":
        old_items = (previous.get("items") or {}).get("data")
        if old_items:
            earliest = min(old_items, key=lambda i: i.get("current_period_end") or 0)
            for key in ("current_period_start", "current_period_end"):
                if key in earliest:
                    previous[key] = earliest[key]
            for item in old_items:
                item.pop("current_period_start", None)
                item.pop("current_period_end", None)
        for name in _NEW_SUBSCRIPTION_FIELDS:
            previous.pop(name, None)
    return rendered
