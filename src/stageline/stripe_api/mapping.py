"""The one module that knows Stripe's field names: Stripe JSON → domain types.

Reads both shapes where Stripe moved fields (``current_period_end`` on the subscription before
API version 2025-03-31, on each item since; ``discount`` vs ``discounts``; ``coupon`` vs
``source.coupon``). Unknown fields are ignored; missing optional fields are ``None``.

>>> to_customer({"id": "cus_1", "object": "customer", "deleted": True}).deleted
True
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from stageline.domain.billing import (
    BillingScheme,
    Coupon,
    CouponDuration,
    Customer,
    Discount,
    Interval,
    Price,
    Subscription,
    SubscriptionItem,
    Tier,
    TiersMode,
    TransformQuantity,
    UsageType,
)

Json = Mapping[str, Any]


def timestamp(value: Any) -> datetime | None:
    """Unix seconds → aware UTC datetime (``None`` stays ``None``)."""
    if value is None or value == "":
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def object_id(value: Any) -> str | None:
    """An expandable field's id, whether it came as an id string or an expanded object."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        found = value.get("id")
        return str(found) if found is not None else None
    return None


def to_customer(data: Json, coupons: Mapping[str, Json] | None = None) -> Customer:
    discount = data.get("discount")
    return Customer(
        id=data["id"],
        email=data.get("email"),
        name=data.get("name"),
        metadata=dict(data.get("metadata") or {}),
        deleted=bool(data.get("deleted", False)),
        discount=to_discount(discount, coupons) if isinstance(discount, Mapping) else None,
    )


def to_price(data: Json, known_tiers: Mapping[str, Json] | None = None) -> Price:
    """A price; tiers come from the object, or from ``known_tiers`` (prices fetched with tiers)."""
    recurring = data.get("recurring") or None
    tiers_source = data.get("tiers")
    if not tiers_source and known_tiers and data.get("id") in known_tiers:
        tiers_source = known_tiers[data["id"]].get("tiers")
    transform = data.get("transform_quantity") or None
    unit = _decimal(data.get("unit_amount_decimal"))
    if unit is None:
        unit = _decimal(data.get("unit_amount"))
    product = data.get("product")
    return Price(
        id=data["id"],
        currency=str(data.get("currency") or "usd").lower(),
        unit_amount=unit,
        interval=Interval(recurring["interval"]) if recurring else None,
        interval_count=int(recurring.get("interval_count") or 1) if recurring else 1,
        usage_type=UsageType(recurring.get("usage_type") or "licensed")
        if recurring
        else UsageType.LICENSED,
        billing_scheme=BillingScheme(data.get("billing_scheme") or "per_unit"),
        tiers_mode=TiersMode(data["tiers_mode"]) if data.get("tiers_mode") else None,
        tiers=tuple(_tier(t) for t in tiers_source or ()),
        transform_quantity=TransformQuantity(
            divide_by=int(transform["divide_by"]), round_up=transform.get("round") == "up"
        )
        if transform
        else None,
        product_id=object_id(product),
        nickname=data.get("nickname"),
        tax_behavior=data.get("tax_behavior"),
    )


def _tier(data: Json) -> Tier:
    unit = _decimal(data.get("unit_amount_decimal"))
    if unit is None:
        unit = _decimal(data.get("unit_amount")) or Decimal(0)
    flat = _decimal(data.get("flat_amount_decimal"))
    if flat is None:
        flat = _decimal(data.get("flat_amount")) or Decimal(0)
    up_to = data.get("up_to")
    return Tier(
        up_to=None if up_to in (None, "inf") else int(up_to), unit_amount=unit, flat_amount=flat
    )


def to_coupon(data: Json) -> Coupon:
    applies_to = data.get("applies_to") or None
    return Coupon(
        id=data["id"],
        duration=CouponDuration(data.get("duration") or "once"),
        percent_off=_decimal(data.get("percent_off")),
        amount_off=data.get("amount_off"),
        currency=(data.get("currency") or None),
        duration_in_months=data.get("duration_in_months"),
        applies_to_products=tuple(applies_to.get("products") or ()) if applies_to else None,
        name=data.get("name"),
    )


def to_discount(data: Json, coupons: Mapping[str, Json] | None = None) -> Discount | None:
    """A discount in either shape (``source.coupon`` since 2025-09-30, ``coupon`` before).

    Returns ``None`` when the coupon is only an id we do not hold.
    """
    coupon_ref: Any = (data.get("source") or {}).get("coupon") or data.get("coupon")
    if isinstance(coupon_ref, str):
        coupon_ref = (coupons or {}).get(coupon_ref)
    if not isinstance(coupon_ref, Mapping):
        return None
    return Discount(
        coupon=to_coupon(coupon_ref),
        start=timestamp(data.get("start")),
        end=timestamp(data.get("end")),
        id=data.get("id"),
    )


def _discounts(values: Any, coupons: Mapping[str, Json] | None) -> tuple[Discount, ...]:
    found: list[Discount] = []
    for value in values or ():
        if isinstance(value, Mapping):
            discount = to_discount(value, coupons)
            if discount is not None:
                found.append(discount)
    return tuple(found)


def to_subscription(
    data: Json,
    *,
    coupons: Mapping[str, Json] | None = None,
    prices: Mapping[str, Json] | None = None,
) -> Subscription:
    """A subscription in the current or the pre-2025-03-31 shape."""
    items_field = data.get("items") or {}
    raw_items = items_field.get("data", []) if isinstance(items_field, Mapping) else []
    legacy_discount = data.get("discount")
    discounts = _discounts(data.get("discounts"), coupons)
    if not discounts and isinstance(legacy_discount, Mapping):
        single = to_discount(legacy_discount, coupons)
        discounts = (single,) if single else ()
    pause = data.get("pause_collection")
    return Subscription(
        id=data["id"],
        customer_id=object_id(data.get("customer")) or "",
        status=str(data.get("status") or "incomplete"),
        currency=str(data.get("currency") or "usd").lower(),
        items=tuple(_item(item, coupons, prices) for item in raw_items),
        created=timestamp(data.get("created")) or datetime.fromtimestamp(0, tz=UTC),
        discounts=discounts,
        trial_start=timestamp(data.get("trial_start")),
        trial_end=timestamp(data.get("trial_end")),
        cancel_at=timestamp(data.get("cancel_at")),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        canceled_at=timestamp(data.get("canceled_at")),
        ended_at=timestamp(data.get("ended_at")),
        collection_paused=bool(pause),
        current_period_end=timestamp(data.get("current_period_end")),
        metadata=dict(data.get("metadata") or {}),
    )


def _item(
    data: Json, coupons: Mapping[str, Json] | None, prices: Mapping[str, Json] | None
) -> SubscriptionItem:
    price = data.get("price") or data.get("plan") or {}
    quantity = data.get("quantity")
    return SubscriptionItem(
        id=data["id"],
        price=to_price(price, prices),
        quantity=None if quantity is None else int(quantity),
        current_period_start=timestamp(data.get("current_period_start")),
        current_period_end=timestamp(data.get("current_period_end")),
        discounts=_discounts(data.get("discounts"), coupons),
    )
