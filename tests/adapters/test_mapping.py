"""Stripe JSON in both API shapes maps onto the domain types."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from stageline.domain.billing import CouponDuration, Interval, TiersMode
from stageline.stripe_api.mapping import to_customer, to_discount, to_price, to_subscription

PERIOD_END = 1767225600  # 2026-01-01T00:00:00Z


def _price(**extra: object) -> dict[str, object]:
    return {
        "id": "price_1", "object": "price", "currency": "usd", "unit_amount": 4900,
        "unit_amount_decimal": "4900", "billing_scheme": "per_unit", "product": "prod_1",
        "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
        **extra,
    }  # fmt: skip


def test_current_shape_reads_item_level_periods() -> None:
    sub = to_subscription({
        "id": "sub_1", "customer": "cus_1", "status": "active", "currency": "usd",
        "created": 1700000000, "cancel_at_period_end": False,
        "items": {"data": [{"id": "si_1", "price": _price(), "quantity": 3,
                            "current_period_end": PERIOD_END}]},
    })  # fmt: skip
    assert sub.items[0].current_period_end == datetime(2026, 1, 1, tzinfo=UTC)
    assert sub.items[0].quantity == 3
    assert sub.items[0].price.unit_amount == Decimal(4900)
    assert sub.current_period_end is None


def test_legacy_shape_reads_subscription_level_period_and_expanded_customer() -> None:
    sub = to_subscription({
        "id": "sub_1", "customer": {"id": "cus_9", "object": "customer"}, "status": "past_due",
        "currency": "eur", "created": 1700000000, "current_period_end": PERIOD_END,
        "items": {"data": [{"id": "si_1", "price": _price(currency="eur"), "quantity": 1}]},
    })  # fmt: skip
    assert sub.customer_id == "cus_9"
    assert sub.current_period_end == datetime(2026, 1, 1, tzinfo=UTC)
    assert sub.items[0].current_period_end is None


def test_tiered_price_with_inf_tier_and_decimal_amounts() -> None:
    price = to_price(_price(
        billing_scheme="tiered", tiers_mode="graduated", unit_amount=None,
        unit_amount_decimal=None,
        tiers=[{"up_to": 10, "unit_amount": 1000, "flat_amount": None},
               {"up_to": None, "unit_amount_decimal": "800.5", "flat_amount": 100}],
        recurring={"interval": "year", "interval_count": 1},
    ))  # fmt: skip
    assert price.interval is Interval.YEAR
    assert price.tiers_mode is TiersMode.GRADUATED
    assert [t.up_to for t in price.tiers] == [10, None]
    assert price.tiers[1].unit_amount == Decimal("800.5")
    assert price.tiers[1].flat_amount == Decimal(100)


def test_tiers_come_from_separately_fetched_prices_when_not_embedded() -> None:
    known = {"price_1": {"tiers": [{"up_to": None, "unit_amount": 500}]}}
    price = to_price(_price(billing_scheme="tiered", tiers_mode="volume"), known)
    assert price.tiers[0].unit_amount == Decimal(500)


def test_discounts_in_new_and_old_shapes() -> None:
    coupon = {"id": "co_1", "duration": "forever", "percent_off": 20.0}
    new_shape = to_discount(
        {"id": "di_1", "source": {"type": "coupon", "coupon": "co_1"}}, {"co_1": coupon}
    )
    old_shape = to_discount({"id": "di_2", "coupon": coupon, "end": None})
    unknown = to_discount({"id": "di_3", "source": {"coupon": "co_missing"}}, {})
    assert new_shape is not None and new_shape.coupon.percent_off == Decimal("20.0")
    assert old_shape is not None and old_shape.coupon.duration is CouponDuration.FOREVER
    assert unknown is None


def test_deleted_customer_stub() -> None:
    customer = to_customer({"id": "cus_1", "object": "customer", "deleted": True})
    assert customer.deleted and customer.email is None and dict(customer.metadata) == {}
