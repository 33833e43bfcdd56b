"""Creating and changing subscriptions: create, update, cancel, pause, resume.

The sandbox does not prorate: changes take effect from the next invoice, as with
``proration_behavior=none``.

>>> [route.method + " " + route.path for route in ROUTES][0]
'POST /v1/subscriptions'
"""

from __future__ import annotations

import copy
from typing import Any

from stageline.sandbox.context import Ctx, Route
from stageline.sandbox.errors import (
    StripeApiError,
    invalid_request,
    parameter_invalid,
    parameter_missing,
    resource_missing,
)
from stageline.sandbox.ids import new_id
from stageline.sandbox.lifecycle import period_end
from stageline.sandbox.mutations import merge_metadata, timestamp_or_keyword
from stageline.sandbox.params import Params
from stageline.sandbox.payments import TEST_CARDS, attach_payment_method
from stageline.sandbox.shapes import Obj
from stageline.sandbox.timeline import DAY

PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)
_ACCEPTED = (
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
_CANCELED_MESSAGE = "A canceled subscription can only update its cancellation_details and metadata."


def _price_for_item(ctx: Ctx, p: Params, currency: str | None) -> Obj:
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


def _item(ctx: Ctx, p: Params, price: Obj, now: int) -> Obj:
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


def _payment_method(ctx: Ctx, customer_id: str, value: str, now: int) -> str:
    if value in TEST_CARDS:
        return str(attach_payment_method(ctx.store, value, customer_id, now=now)["id"])
    pm = ctx.store.get("payment_method", value)
    if pm is None or pm.get("customer") != customer_id:
        raise resource_missing("PaymentMethod", value, param="default_payment_method")
    return value


def _discounts(ctx: Ctx, sub: Obj, raw: Any, now: int) -> list[str]:
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


def _cancel_at(sub: Obj, value: Any, now: int) -> int | None:
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


def _trial_end(params: Params, prices: list[Obj], now: int) -> int | None:
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


def create_subscription(ctx: Ctx) -> Obj:
    params = ctx.params
    customer_id = params.required_string("customer")
    customer = ctx.store.get("customer", customer_id)
    if customer is None or customer.get("deleted"):
        raise resource_missing("customer", customer_id, param="customer")
    now = ctx.time_for(customer.get("test_clock"))
    raw_items = params.objects("items")
    if not raw_items:
        raise parameter_missing("items")
    prices: list[Obj] = []
    items: list[Obj] = []
    for n, raw in enumerate(raw_items):
        p = Params(raw, prefix=f"items[{n}]")
        price = _price_for_item(ctx, p, prices[0]["currency"] if prices else None)
        if price["id"] in {x["id"] for x in prices}:
            raise invalid_request(
                "Cannot add multiple subscription items with the same price.", param="items"
            )
        prices.append(price)
        items.append(_item(ctx, p, price, now))
        p.reject_unknown()
    sub: Obj = {
        "id": new_id("sub"),
        "object": "subscription",
        "created": now,
        "customer": customer_id,
        "currency": prices[0]["currency"],
        "items": items,
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, params.raw("metadata") or {}),
        "test_clock": customer.get("test_clock"),
        "collection_method": params.choice(
            "collection_method", ("charge_automatically", "send_invoice")
        )
        or "charge_automatically",
        "days_until_due": params.integer("days_until_due", low=0),
        "description": params.string("description"),
    }
    if sub["collection_method"] == "send_invoice" and sub["days_until_due"] is None:
        sub["days_until_due"] = 30
    sub["start_date"] = params.integer("backdate_start_date", low=0) or now
    anchor = params.integer("billing_cycle_anchor", low=0)
    sub["trial_end"] = _trial_end(params, prices, now)
    if sub["trial_end"]:
        sub["trial_start"] = now
    sub["billing_cycle_anchor"] = anchor or sub["trial_end"] or now
    pm = params.string("default_payment_method")
    if pm:
        sub["default_payment_method"] = _payment_method(ctx, customer_id, pm, now)
    trial_settings = params.mapping("trial_settings")
    if trial_settings is not None:
        behavior = (trial_settings.get("end_behavior") or {}).get("missing_payment_method")
        if behavior not in ("cancel", "create_invoice", "pause"):
            raise parameter_invalid(
                "trial_settings[end_behavior][missing_payment_method]",
                "Must be one of cancel, create_invoice, pause.",
            )
        sub["trial_settings"] = {"end_behavior": {"missing_payment_method": behavior}}
    ctx.engine.lifecycle.first_periods(sub, now)
    if params.boolean("cancel_at_period_end"):
        sub.update(cancel_at_period_end=True, cancel_at=period_end(sub), canceled_at=now)
    elif params.has("cancel_at"):
        sub["cancel_at"] = _cancel_at(sub, params.raw("cancel_at"), now)
    sub["discounts"] = _discounts(ctx, sub, params.raw("discounts"), now)
    behavior = params.choice("payment_behavior", PAYMENT_BEHAVIORS) or "allow_incomplete"
    params.allow(*_ACCEPTED, "trial_period_days", "trial_from_plan", "trial_end")
    params.reject_unknown()
    ctx.store.set_refs((item["id"], sub["id"]) for item in items)
    if not customer.get("currency"):
        old_customer = copy.deepcopy(customer)
        customer["currency"] = sub["currency"]
        ctx.engine.save(
            "customer", customer, "customer.updated", old=old_customer, origin=ctx.origin
        )
    ctx.engine.lifecycle.start(sub, customer, now, ctx.origin, behavior)
    return ctx.respond("subscription", sub)


def _update_items(ctx: Ctx, sub: Obj, raw_items: list[dict[str, Any]], now: int) -> None:
    by_id = {item["id"]: item for item in sub["items"]}
    for n, raw in enumerate(raw_items):
        p = Params(raw, prefix=f"items[{n}]")
        item_id = p.string("id")
        if item_id is None:
            price = _price_for_item(ctx, p, sub["currency"])
            item = _item(ctx, p, price, now)
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
            item["price"] = _price_for_item(ctx, p, sub["currency"])["id"]
        quantity = p.integer("quantity", low=0)
        if quantity is not None:
            item["quantity"] = quantity
        if p.has("metadata"):
            item["metadata"] = merge_metadata(item.get("metadata"), p.raw("metadata"))
        p.allow("tax_rates", "billing_thresholds", "discounts", "current_trial", "plan")
        p.reject_unknown()
    if not sub["items"]:
        raise invalid_request("A subscription must have at least one item.", param="items")


def update_subscription(ctx: Ctx) -> Obj:
    params = ctx.params
    sub = ctx.object_or_404("subscription", ctx.path["id"])
    old = copy.deepcopy(sub)
    now = ctx.time_for(sub.get("test_clock"))
    if params.has("metadata"):
        sub["metadata"] = merge_metadata(sub.get("metadata"), params.raw("metadata"))
    details = params.mapping("cancellation_details")
    if details is not None:
        current = sub.get("cancellation_details") or {
            "comment": None,
            "feedback": None,
            "reason": None,
        }
        sub["cancellation_details"] = {**current, **{k: details[k] or None for k in details}}
    if sub["status"] == "canceled":
        if set(params.values) - {"metadata", "cancellation_details", "expand"}:
            raise invalid_request(_CANCELED_MESSAGE)
        ctx.engine.save(
            "subscription", sub, "customer.subscription.updated", old=old, origin=ctx.origin
        )
        return ctx.respond("subscription", sub)
    if params.has("description"):
        sub["description"] = params.nullable_string("description")
    pm = params.string("default_payment_method")
    if pm is not None:
        sub["default_payment_method"] = (
            _payment_method(ctx, sub["customer"], pm, now) if pm else None
        )
    collection = params.choice("collection_method", ("charge_automatically", "send_invoice"))
    if collection:
        sub["collection_method"] = collection
    days = params.integer("days_until_due", low=0)
    if days is not None:
        sub["days_until_due"] = days
    if params.has("items"):
        _update_items(ctx, sub, params.objects("items"), now)
    if params.has("pause_collection"):
        pause = params.raw("pause_collection")
        if pause == "":
            sub["pause_collection"] = None
        else:
            pp = Params(params.mapping("pause_collection") or {}, prefix="pause_collection")
            behavior = pp.choice("behavior", ("keep_as_draft", "mark_uncollectible", "void"))
            if behavior is None:
                raise parameter_missing("pause_collection[behavior]")
            sub["pause_collection"] = {
                "behavior": behavior,
                "resumes_at": pp.integer("resumes_at", low=now + 1),
            }
            pp.reject_unknown()
    cancel_at_period_end = params.boolean("cancel_at_period_end")
    if cancel_at_period_end is True:
        sub.update(cancel_at_period_end=True, cancel_at=period_end(sub), canceled_at=now)
    elif cancel_at_period_end is False:
        sub.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
    if params.has("cancel_at"):
        sub["cancel_at"] = _cancel_at(sub, params.raw("cancel_at"), now)
        sub["cancel_at_period_end"] = False
        sub["canceled_at"] = now if sub["cancel_at"] else None
    if params.has("discounts"):
        sub["discounts"] = _discounts(ctx, sub, params.raw("discounts"), now)
    end_trial_now = False
    if params.has("trial_end"):
        value = timestamp_or_keyword(params.raw("trial_end"), "trial_end", ("now",))
        if value == "now":
            end_trial_now = sub["status"] == "trialing"
        else:
            assert isinstance(value, int)
            sub["trial_end"] = value
            if sub["status"] == "trialing":
                for item in sub["items"]:
                    item["current_period_end"] = value
    trial_settings = params.mapping("trial_settings")
    if trial_settings is not None:
        sub["trial_settings"] = trial_settings
    params.choice("payment_behavior", PAYMENT_BEHAVIORS)
    params.allow(*_ACCEPTED, "billing_cycle_anchor", "trial_from_plan")
    params.reject_unknown()
    ctx.engine.save(
        "subscription", sub, "customer.subscription.updated", old=old, origin=ctx.origin
    )
    if end_trial_now:
        ctx.engine.lifecycle.apply(sub, "trial_end", now, ctx.origin)
    return ctx.respond("subscription", sub)


def cancel_subscription(ctx: Ctx) -> Obj:
    sub = ctx.object_or_404("subscription", ctx.path["id"])
    details = ctx.params.mapping("cancellation_details") or {}
    ctx.params.allow("invoice_now", "prorate")
    ctx.params.reject_unknown()
    if sub["status"] == "canceled":
        raise StripeApiError(400, _CANCELED_MESSAGE)
    ctx.engine.lifecycle.cancel(
        sub,
        ctx.time_for(sub.get("test_clock")),
        ctx.origin,
        reason="cancellation_requested",
        feedback=details.get("feedback") or None,
        comment=details.get("comment") or None,
    )
    return ctx.respond("subscription", sub)


def pause_subscription(ctx: Ctx) -> Obj:
    sub = ctx.object_or_404("subscription", ctx.path["id"])
    ctx.params.choice("type", ("subscription",))
    ctx.params.allow("bill_for", "invoicing_behavior")
    ctx.params.reject_unknown()
    ctx.engine.lifecycle.pause(sub, ctx.time_for(sub.get("test_clock")), ctx.origin)
    return ctx.respond("subscription", sub)


def resume_subscription(ctx: Ctx) -> Obj:
    sub = ctx.object_or_404("subscription", ctx.path["id"])
    raw_anchor = ctx.params.raw("billing_cycle_anchor")
    anchor = raw_anchor.get("type") if isinstance(raw_anchor, dict) else raw_anchor
    if anchor not in (None, "now", "unchanged"):
        raise parameter_invalid("billing_cycle_anchor", "Must be one of now, unchanged.")
    behavior = (
        ctx.params.choice(
            "payment_behavior", ("resume_on_payment_attempt", "resume_on_payment_success")
        )
        or "resume_on_payment_attempt"
    )
    ctx.params.allow("proration_behavior", "proration_date")
    ctx.params.reject_unknown()
    ctx.engine.lifecycle.resume(
        sub,
        ctx.time_for(sub.get("test_clock")),
        ctx.origin,
        anchor=anchor or "now",
        behavior=behavior,
    )
    return ctx.respond("subscription", sub)


ROUTES = [
    Route("POST", "/v1/subscriptions", create_subscription),
    Route("POST", "/v1/subscriptions/{id}/pause", pause_subscription),
    Route("POST", "/v1/subscriptions/{id}/resume", resume_subscription),
    Route("POST", "/v1/subscriptions/{id}", update_subscription),
    Route("DELETE", "/v1/subscriptions/{id}", cancel_subscription),
]
