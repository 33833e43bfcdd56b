"""Creating and changing subscriptions: create, update, cancel, pause, resume.

The sandbox does not prorate: changes take effect from the next invoice, as with
``proration_behavior=none``.

>>> [route.method + " " + route.path for route in ROUTES][0]
'POST /v1/subscriptions'
"""

from __future__ import annotations

import copy

from stageline_sandbox.context import Ctx, Route
from stageline_sandbox.errors import (
    StripeApiError,
    invalid_request,
    parameter_invalid,
    parameter_missing,
    resource_missing,
)
from stageline_sandbox.ids import new_id
from stageline_sandbox.lifecycle import period_end
from stageline_sandbox.mutations import merge_metadata, timestamp_or_keyword
from stageline_sandbox.params import Params
from stageline_sandbox.resources.redemptions import Owner
from stageline_sandbox.resources.subscription_params import (
    CANCELED_MESSAGE,
    PAYMENT_BEHAVIORS,
    cancellation_details_from,
    check_proration_behavior,
    new_item,
    payment_method_id,
    price_for_item,
    resolve_cancel_at,
    subscription_discounts,
    trial_end_from,
    trial_settings_from,
    update_items,
)
from stageline_sandbox.shapes import Obj


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
    check_proration_behavior(params)
    sub_id = new_id("sub")
    prices: list[Obj] = []
    items: list[Obj] = []
    for n, raw in enumerate(raw_items):
        p = Params(raw, prefix=f"items[{n}]")
        price = price_for_item(ctx, p, prices[0]["currency"] if prices else None)
        if price["id"] in {x["id"] for x in prices}:
            raise invalid_request(
                "Cannot add multiple subscription items with the same price.", param="items"
            )
        prices.append(price)
        items.append(new_item(ctx, p, price, Owner(customer_id, sub_id), now))
    sub: Obj = {
        "id": sub_id,
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
    sub["trial_end"] = trial_end_from(params, prices, now)
    if sub["trial_end"]:
        sub["trial_start"] = now
    sub["billing_cycle_anchor"] = anchor or sub["trial_end"] or now
    pm = params.string("default_payment_method")
    if pm:
        sub["default_payment_method"] = payment_method_id(ctx, customer_id, pm, now)
    trial_settings = trial_settings_from(params)
    if trial_settings is not None:
        sub["trial_settings"] = trial_settings
    ctx.engine.lifecycle.first_periods(sub, now)
    if params.boolean("cancel_at_period_end"):
        sub.update(cancel_at_period_end=True, cancel_at=period_end(sub), canceled_at=now)
    elif params.has("cancel_at"):
        sub["cancel_at"] = resolve_cancel_at(sub, params.raw("cancel_at"), now)
    sub["discounts"] = subscription_discounts(ctx, sub, now) or []
    behavior = params.choice("payment_behavior", PAYMENT_BEHAVIORS) or "allow_incomplete"
    ctx.store.set_refs((item["id"], sub["id"]) for item in items)
    if not customer.get("currency"):
        old_customer = copy.deepcopy(customer)
        customer["currency"] = sub["currency"]
        ctx.engine.save(
            "customer", customer, "customer.updated", old=old_customer, origin=ctx.origin
        )
    ctx.engine.lifecycle.start(sub, customer, now, ctx.origin, behavior)
    return ctx.respond("subscription", sub)


def update_subscription(ctx: Ctx) -> Obj:
    params = ctx.params
    sub = ctx.object_or_404("subscription", ctx.path["id"])
    old = copy.deepcopy(sub)
    now = ctx.time_for(sub.get("test_clock"))
    if params.has("metadata"):
        sub["metadata"] = merge_metadata(sub.get("metadata"), params.raw("metadata"))
    details = cancellation_details_from(params)
    if details is not None:
        current = sub.get("cancellation_details") or {
            "comment": None,
            "feedback": None,
            "reason": None,
        }
        sub["cancellation_details"] = {**current, **details}
    if sub["status"] == "canceled":
        if set(params.values) - {"metadata", "cancellation_details", "expand"}:
            raise invalid_request(CANCELED_MESSAGE)
        ctx.engine.save(
            "subscription", sub, "customer.subscription.updated", old=old, origin=ctx.origin
        )
        return ctx.respond("subscription", sub)
    if params.has("description"):
        sub["description"] = params.nullable_string("description")
    pm = params.string("default_payment_method")
    if pm is not None:
        sub["default_payment_method"] = (
            payment_method_id(ctx, sub["customer"], pm, now) if pm else None
        )
    collection = params.choice("collection_method", ("charge_automatically", "send_invoice"))
    if collection:
        sub["collection_method"] = collection
    days = params.integer("days_until_due", low=0)
    if days is not None:
        sub["days_until_due"] = days
    if params.has("items"):
        update_items(ctx, sub, params.objects("items"), now)
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
    cancel_at_period_end = params.boolean("cancel_at_period_end")
    if cancel_at_period_end is True:
        sub.update(cancel_at_period_end=True, cancel_at=period_end(sub), canceled_at=now)
    elif cancel_at_period_end is False:
        sub.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
    if params.has("cancel_at"):
        sub["cancel_at"] = resolve_cancel_at(sub, params.raw("cancel_at"), now)
        sub["cancel_at_period_end"] = False
        sub["canceled_at"] = now if sub["cancel_at"] else None
    discounts = subscription_discounts(ctx, sub, now)
    if discounts is not None:
        sub["discounts"] = discounts
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
    trial_settings = trial_settings_from(params)
    if trial_settings is not None:
        sub["trial_settings"] = trial_settings
    params.choice("payment_behavior", PAYMENT_BEHAVIORS)
    check_proration_behavior(params)
    ctx.engine.save(
        "subscription", sub, "customer.subscription.updated", old=old, origin=ctx.origin
    )
    if end_trial_now:
        ctx.engine.lifecycle.apply(sub, "trial_end", now, ctx.origin)
    return ctx.respond("subscription", sub)


def cancel_subscription(ctx: Ctx) -> Obj:
    sub = ctx.object_or_404("subscription", ctx.path["id"])
    details = cancellation_details_from(ctx.params) or {}
    if sub["status"] == "canceled":
        raise StripeApiError(400, CANCELED_MESSAGE)
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
    check_proration_behavior(ctx.params)
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
