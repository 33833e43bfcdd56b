"""Reading subscription parameters: items and their prices, trials, discounts, cancel_at.

>>> PAYMENT_BEHAVIORS[0]
'allow_incomplete'
"""

from __future__ import annotations

from decimal import Decimal
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
from stageline_sandbox.resources.redemptions import Owner, redeem, redeem_all
from stageline_sandbox.shapes import Obj
from stageline_sandbox.timeline import DAY

PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)
PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
CANCELED_MESSAGE = "A canceled subscription can only update its cancellation_details and metadata."


def price_for_item(ctx: Ctx, p: Params, currency: str | None) -> Obj:
    price_id = p.string("price") or p.string("plan")
    data = p.mapping("price_data")
    if data is not None:
        dp = Params(data, prefix=f"{p.prefix}[price_data]")
        product = dp.required_string("product")
        ctx.object_or_404("product", product)
        recurring = Params(dp.mapping("recurring") or {}, prefix=f"{dp.prefix}[recurring]")
        interval = recurring.choice("interval", ("day", "week", "month", "year"))
        if interval is None:
            raise parameter_missing(f"{dp.prefix}[recurring][interval]")
        decimal = dp.decimal("unit_amount_decimal")
        unit = dp.integer("unit_amount", low=0)
        if unit is None:
            unit = int(Decimal(decimal)) if decimal is not None else 0
        price: Obj = {
            "id": new_id("price"),
            "object": "price",
            "created": ctx.now,
            "active": False,
            "currency": dp.required_string("currency").lower(),
            "product": product,
            "type": "recurring",
            "unit_amount": unit,
            "unit_amount_decimal": decimal or str(unit),
            "tax_behavior": dp.choice("tax_behavior", ("exclusive", "inclusive", "unspecified"))
            or "unspecified",
            "recurring": {
                "interval": interval,
                "interval_count": recurring.integer("interval_count", low=1, high=365) or 1,
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            },
        }
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


def new_item(ctx: Ctx, p: Params, price: Obj, owner: Owner, now: int) -> Obj:
    """A subscription item for ``price``, with the discounts ``p`` names for it."""
    metered = (price.get("recurring") or {}).get("usage_type") == "metered"
    quantity = p.integer("quantity", low=0)
    if metered and quantity is not None:
        raise parameter_invalid(
            f"{p.prefix}[quantity]", "You cannot set the quantity for metered plans."
        )
    item: Obj = {
        "id": new_id("si"),
        "object": "subscription_item",
        "created": now,
        "price": price["id"],
        "metadata": merge_metadata({}, p.raw("metadata") or {}),
    }
    if not metered:
        item["quantity"] = 1 if quantity is None else quantity
    discounts = item_discounts(ctx, p, Owner(owner.customer, owner.subscription, item["id"]), now)
    if discounts:
        item["discounts"] = discounts
    return item


def item_discounts(ctx: Ctx, p: Params, owner: Owner, now: int) -> list[str]:
    """The discounts ``items[n][discounts]`` gives one item (applied before the subscription's)."""
    return redeem_all(ctx.store, owner, p.raw("discounts"), now=now, param=f"{p.prefix}[discounts]")


def payment_method_id(ctx: Ctx, customer_id: str, value: str, now: int) -> str:
    if value in TEST_CARDS:
        return str(attach_payment_method(ctx.store, value, customer_id, now=now)["id"])
    pm = ctx.store.get("payment_method", value)
    if pm is None or pm.get("customer") != customer_id:
        raise resource_missing("PaymentMethod", value, param="default_payment_method")
    return value


def subscription_discounts(ctx: Ctx, sub: Obj, now: int) -> list[str] | None:
    """The discounts a request gives ``sub`` (``None``: it names none).

    ``discounts`` at the pinned API version; ``coupon`` or ``promotion_code`` for requests
    pinned before ``2025-03-31.basil``, which took one discount that way.
    """
    params = ctx.params
    singular = [name for name in ("coupon", "promotion_code") if params.has(name)]
    if params.has("discounts") and singular:
        raise invalid_request(
            f"You may only specify one of these parameters: {singular[0]}, discounts.",
            param=singular[0],
        )
    if len(singular) > 1:
        raise invalid_request(
            "You may only specify one of these parameters: coupon, promotion_code.",
            param="promotion_code",
        )
    owner = Owner(str(sub["customer"]), str(sub["id"]))
    if singular:
        name = singular[0]
        discount = redeem(ctx.store, owner, {name: params.raw(name)}, now=now, param="")
        return [discount["id"]]
    if params.has("discounts"):
        return redeem_all(ctx.store, owner, params.raw("discounts"), now=now)
    return None


def trial_settings_from(params: Params) -> Obj | None:
    """``trial_settings[end_behavior][missing_payment_method]``, checked (``None``: not sent)."""
    if not params.has("trial_settings"):
        return None
    settings = Params(params.mapping("trial_settings") or {}, prefix="trial_settings")
    end = Params(settings.mapping("end_behavior") or {}, prefix="trial_settings[end_behavior]")
    behavior = end.choice("missing_payment_method", ("cancel", "create_invoice", "pause"))
    if behavior is None:
        raise parameter_missing("trial_settings[end_behavior][missing_payment_method]")
    return {"end_behavior": {"missing_payment_method": behavior}}


FEEDBACK = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)


def cancellation_details_from(params: Params) -> dict[str, str | None] | None:
    """``cancellation_details[comment|feedback]`` as given (``""`` clears; ``None``: not sent)."""
    if not params.has("cancellation_details"):
        return None
    given = params.mapping("cancellation_details") or {}
    details = Params(given, prefix="cancellation_details")
    found: dict[str, str | None] = {}
    if details.has("comment"):
        found["comment"] = details.nullable_string("comment")
    if details.has("feedback"):
        found["feedback"] = details.choice("feedback", (*FEEDBACK, "")) or None
    return found


def check_proration_behavior(params: Params) -> None:
    """The sandbox never prorates, so ``proration_behavior`` may only ask for that."""
    behavior = params.choice("proration_behavior", PRORATION_BEHAVIORS)
    if behavior not in (None, "none"):
        raise parameter_invalid(
            "proration_behavior",
            "The sandbox does not prorate: proration_behavior must be none.",
        )


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
            item = new_item(ctx, p, price, Owner(sub["customer"], sub["id"]), now)
            item["current_period_start"] = sub["items"][0]["current_period_start"]
            item["current_period_end"] = sub["items"][0]["current_period_end"]
            sub["items"].append(item)
            ctx.store.set_refs([(item["id"], sub["id"])])
            continue
        if item_id not in by_id:
            raise resource_missing("subscription_item", item_id, param=f"items[{n}][id]")
        item = by_id[item_id]
        if p.boolean("deleted"):
            sub["items"] = [i for i in sub["items"] if i["id"] != item_id]
            continue
        if p.has("price") or p.has("price_data"):
            item["price"] = price_for_item(ctx, p, sub["currency"])["id"]
        quantity = p.integer("quantity", low=0)
        if quantity is not None:
            item["quantity"] = quantity
        if p.has("metadata"):
            item["metadata"] = merge_metadata(item.get("metadata"), p.raw("metadata"))
        if p.has("discounts"):
            owner = Owner(sub["customer"], sub["id"], item_id)
            item["discounts"] = item_discounts(ctx, p, owner, now)
    if not sub["items"]:
        raise invalid_request("A subscription must have at least one item.", param="items")
