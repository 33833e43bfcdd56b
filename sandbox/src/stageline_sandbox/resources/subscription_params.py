"""Reading subscription parameters: items and their prices, trials, discounts, cancel_at.

>>> PAYMENT_BEHAVIORS[0]
'allow_incomplete'
"""

from __future__ import annotations

from typing import Any

from stageline_sandbox.context import Ctx
from stageline_sandbox.errors import (
    invalid_request,
    parameter_invalid,
    parameter_missing,
    resource_missing,
)
from stageline_sandbox.ids import new_id
from stageline_sandbox.lifecycle import period_end
from stageline_sandbox.mutations import merge_metadata, timestamp_or_keyword
from stageline_sandbox.params import Params
from stageline_sandbox.payments import TEST_CARDS, attach_payment_method
from stageline_sandbox.shapes import Obj
from stageline_sandbox.timeline import DAY

PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)
ACCEPTED = (
    "add_invoice_items",
    "application_fee_percent",
    "automatic_tax",
    "billing_cycle_anchor_config",
    "billing_mode",
    "billing_schedules",
    "billing_thresholds",
    "currency",
    "customer_account",
    "default_source",
    "default_tax_rates",
    "invoice_settings",
    "off_session",
    "on_behalf_of",
    "payment_settings",
    "pending_invoice_item_interval",
    "proration_behavior",
    "proration_date",
    "transfer_data",
)
CANCELED_MESSAGE = "A canceled subscription can only update its cancellation_details and metadata."


def price_for_item(ctx: Ctx, p: Params, currency: str | None) -> Obj:
    price_id = p.string("price") or p.string("plan")
    data = p.mapping("price_data")
    if data is not None:
        dp = Params(data, prefix=f"{p.prefix}[price_data]")
        product = dp.required_string("product")
        ctx.object_or_404("product", product)
        recurring = dp.mapping("recurring") or {}
        interval = recurring.get("interval")
        if interval not in ("day", "week", "month", "year"):
            raise parameter_missing(f"{p.prefix}[price_data][recurring][interval]")
        unit = dp.integer("unit_amount", low=0) or 0
        price: Obj = {
            "id": new_id("price"),
            "object": "price",
            "created": ctx.now,
            "active": False,
            "currency": dp.required_string("currency").lower(),
            "product": product,
            "type": "recurring",
            "unit_amount": unit,
            "unit_amount_decimal": str(unit),
            "recurring": {
                "interval": interval,
                "interval_count": int(recurring.get("interval_count") or 1),
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            },
        }
        dp.allow("tax_behavior", "unit_amount_decimal")
        ctx.store.put("price", price)
        return price
    if not price_id:
        raise parameter_missing(f"{p.prefix}[price]")
    found = ctx.store.get("price", price_id)
    if found is None:
        raise resource_missing("price", price_id, param=f"{p.prefix}[price]")
    if found.get("type") != "recurring":
        raise parameter_invalid(
            f"{p.prefix}[price]",
            "The price specified is set to `type=one_time` but this field only accepts "
            "prices with `type=recurring`.",
        )
    if currency and found["currency"] != currency:
        raise invalid_request(
            "All prices on a subscription must have the same currency.", param=f"{p.prefix}[price]"
        )
    return found


def new_item(ctx: Ctx, p: Params, price: Obj, now: int) -> Obj:
    metered = (price.get("recurring") or {}).get("usage_type") == "metered"
    quantity = p.integer("quantity", low=0)
    if metered and quantity is not None:
        raise parameter_invalid(
            f"{p.prefix}[quantity]", "You cannot set the quantity for metered plans."
        )
    p.allow("tax_rates", "billing_thresholds", "discounts", "current_trial", "plan")
    item: Obj = {
        "id": new_id("si"),
        "object": "subscription_item",
        "created": now,
        "price": price["id"],
        "metadata": merge_metadata({}, p.raw("metadata") or {}),
    }
    if not metered:
        item["quantity"] = 1 if quantity is None else quantity
    return item


def payment_method_id(ctx: Ctx, customer_id: str, value: str, now: int) -> str:
    if value in TEST_CARDS:
        return str(attach_payment_method(ctx.store, value, customer_id, now=now)["id"])
    pm = ctx.store.get("payment_method", value)
    if pm is None or pm.get("customer") != customer_id:
        raise resource_missing("PaymentMethod", value, param="default_payment_method")
    return value


def new_discounts(ctx: Ctx, sub: Obj, raw: Any, now: int) -> list[str]:
    if raw in ("", None):
        return []
    if not isinstance(raw, list):
        raise parameter_invalid("discounts", "Invalid array")
    ids = []
    for n, entry in enumerate(raw):
        coupon_id = entry.get("coupon") if isinstance(entry, dict) else None
        if not coupon_id:
            raise parameter_missing(f"discounts[{n}][coupon]")
        coupon = ctx.store.get("coupon", coupon_id)
        if coupon is None or coupon.get("deleted"):
            raise resource_missing("coupon", coupon_id, param=f"discounts[{n}][coupon]")
        months = coupon.get("duration_in_months")
        end = now + int(months) * 30 * DAY if coupon["duration"] == "repeating" and months else None
        discount: Obj = {
            "id": new_id("di"),
            "object": "discount",
            "created": now,
            "start": now,
            "end": end,
            "customer": sub["customer"],
            "subscription": sub["id"],
            "source": {"coupon": coupon_id, "type": "coupon"},
        }
        coupon["times_redeemed"] = int(coupon.get("times_redeemed") or 0) + 1
        ctx.store.put("coupon", coupon)
        ctx.store.put("discount", discount)
        ids.append(discount["id"])
    return ids


def resolve_cancel_at(sub: Obj, value: Any, now: int) -> int | None:
    if value == "":
        return None
    resolved = timestamp_or_keyword(value, "cancel_at", ("min_period_end", "max_period_end"))
    if resolved == "min_period_end":
        return period_end(sub)
    if resolved == "max_period_end":
        return max(int(i["current_period_end"]) for i in sub["items"])
    assert isinstance(resolved, int)
    if resolved <= now:
        raise parameter_invalid("cancel_at", "cancel_at must be in the future.")
    return resolved


def trial_end_from(params: Params, prices: list[Obj], now: int) -> int | None:
    if params.has("trial_end"):
        value = timestamp_or_keyword(params.raw("trial_end"), "trial_end", ("now",))
        if value == "now":
            return None
        assert isinstance(value, int)
        if value <= now:
            raise parameter_invalid("trial_end", "trial_end must be in the future.")
        return value
    days = params.integer("trial_period_days", low=0, high=730)
    if days is None and params.boolean("trial_from_plan"):
        days = max((p["recurring"].get("trial_period_days") or 0) for p in prices) or None
    return now + days * DAY if days else None


def update_items(ctx: Ctx, sub: Obj, raw_items: list[dict[str, Any]], now: int) -> None:
    by_id = {item["id"]: item for item in sub["items"]}
    for n, raw in enumerate(raw_items):
        p = Params(raw, prefix=f"items[{n}]")
        item_id = p.string("id")
        if item_id is None:
            price = price_for_item(ctx, p, sub["currency"])
            item = new_item(ctx, p, price, now)
            item["current_period_start"] = sub["items"][0]["current_period_start"]
            item["current_period_end"] = sub["items"][0]["current_period_end"]
            sub["items"].append(item)
            ctx.store.set_refs([(item["id"], sub["id"])])
            p.reject_unknown()
            continue
        if item_id not in by_id:
            raise resource_missing("subscription_item", item_id, param=f"items[{n}][id]")
        item = by_id[item_id]
        if p.boolean("deleted"):
            sub["items"] = [i for i in sub["items"] if i["id"] != item_id]
            p.allow("clear_usage")
            p.reject_unknown()
            continue
        if p.has("price") or p.has("price_data"):
            item["price"] = price_for_item(ctx, p, sub["currency"])["id"]
        quantity = p.integer("quantity", low=0)
        if quantity is not None:
            item["quantity"] = quantity
        if p.has("metadata"):
            item["metadata"] = merge_metadata(item.get("metadata"), p.raw("metadata"))
        p.allow("tax_rates", "billing_thresholds", "discounts", "current_trial", "plan")
        p.reject_unknown()
    if not sub["items"]:
        raise invalid_request("A subscription must have at least one item.", param="items")
