"""Discounts on subscription items, and promotion codes: applied per invoice line, as Stripe
applies them (an item's own discounts first, then the subscription's), and shown on the
item (``items.data[].discounts``, ids unless expanded)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from stageline_sandbox import SandboxConfig, SandboxHandle

from .billing_helpers import DAY, START, advance, clocked_customer, monthly_price
from .conftest import make_client


@pytest.fixture
def client(sandbox_factory) -> stripe.StripeClient:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(SandboxConfig(rate_limit=None, clock=lambda: START))
    return make_client(handle.url)


def _invoice(client: stripe.StripeClient, invoice_id: str) -> dict[str, Any]:
    invoice: dict[str, Any] = client.v1.invoices.retrieve(invoice_id).to_dict()
    return invoice


def test_half_off_forever_on_the_second_of_two_100_dollar_items_bills_150(
    client: stripe.StripeClient,
) -> None:
    first, second = monthly_price(client, 10_000), monthly_price(client, 10_000)
    half = client.v1.coupons.create({"percent_off": 50, "duration": "forever"})
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [
                {"price": first.id},
                {"price": second.id, "discounts": [{"coupon": half.id}]},
            ],
        }
    )
    invoice = _invoice(client, sub.latest_invoice)
    assert (invoice["subtotal"], invoice["total"], invoice["amount_paid"]) == (
        20_000,
        15_000,
        15_000,
    )

    plain, discounted = sub["items"].data
    assert plain.discounts == []
    [discount_id] = discounted.discounts
    assert isinstance(discount_id, str) and discount_id.startswith("di_")
    plain_line, discounted_line = invoice["lines"]["data"]
    assert plain_line["discount_amounts"] == [] and plain_line["discounts"] == []
    assert discounted_line["discount_amounts"] == [{"amount": 5_000, "discount": discount_id}]
    assert discounted_line["discounts"] == [discount_id]
    assert discounted_line["amount"] == discounted_line["subtotal"] == 10_000
    assert discounted_line["pretax_credit_amounts"] == [
        {
            "amount": 5_000,
            "credit_balance_transaction": None,
            "discount": discount_id,
            "type": "discount",
        }
    ]
    assert invoice["discounts"] == []  # invoice-level discounts only
    assert invoice["total_discount_amounts"] == [{"amount": 5_000, "discount": discount_id}]

    expanded = client.v1.subscriptions.retrieve(sub.id, {"expand": ["items.data.discounts"]})
    discount = expanded["items"].data[1].discounts[0]
    assert (discount.object, discount.id, discount.subscription) == (
        "discount",
        discount_id,
        sub.id,
    )
    assert discount.subscription_item == discounted.id
    assert discount.source.coupon == half.id and discount.end is None
    item = client.v1.subscription_items.retrieve(discounted.id, {"expand": ["discounts"]})
    assert item.discounts[0].id == discount_id


def test_item_discounts_come_before_the_subscription_discount(
    client: stripe.StripeClient,
) -> None:
    first, second = monthly_price(client, 10_000), monthly_price(client, 10_000)
    half = client.v1.coupons.create({"percent_off": 50, "duration": "forever"})
    tenth = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [
                {"price": first.id},
                {"price": second.id, "discounts": [{"coupon": half.id}]},
            ],
            "discounts": [{"coupon": tenth.id}],
        }
    )
    invoice = _invoice(client, sub.latest_invoice)
    # 10,000 + (10,000 - 5,000) = 15,000, then 10% of it shared 10,000 : 5,000.
    assert invoice["total"] == 13_500
    [sub_discount] = sub.discounts
    item_discount = sub["items"].data[1].discounts[0]
    first_line, second_line = invoice["lines"]["data"]
    assert first_line["discount_amounts"] == [{"amount": 1_000, "discount": sub_discount}]
    assert second_line["discount_amounts"] == [
        {"amount": 5_000, "discount": item_discount},
        {"amount": 500, "discount": sub_discount},
    ]
    assert invoice["discounts"] == [sub_discount]
    assert invoice["total_discount_amounts"] == [
        {"amount": 5_000, "discount": item_discount},
        {"amount": 1_500, "discount": sub_discount},
    ]


def test_item_discounts_set_and_cleared_on_update_apply_from_the_next_invoice(
    client: stripe.StripeClient,
) -> None:
    first, second = monthly_price(client, 10_000), monthly_price(client, 10_000)
    quarter = client.v1.coupons.create(
        {"amount_off": 2_500, "currency": "usd", "duration": "forever"}
    )
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": first.id}, {"price": second.id}]}
    )
    second_item = sub["items"].data[1]
    updated = client.v1.subscriptions.update(
        sub.id, {"items": [{"id": second_item.id, "discounts": [{"coupon": quarter.id}]}]}
    )
    assert updated["items"].data[1].discounts and updated["items"].data[0].discounts == []
    renewal = second_item.current_period_end
    advance(client, clock, renewal + DAY)
    renewed = client.v1.subscriptions.retrieve(sub.id)
    assert _invoice(client, renewed.latest_invoice)["total"] == 17_500

    [kept] = updated["items"].data[1].discounts
    again = client.v1.subscriptions.update(
        sub.id, {"items": [{"id": second_item.id, "discounts": [{"discount": kept}]}]}
    )
    assert again["items"].data[1].discounts == [kept]  # an existing discount is kept, not redeemed
    assert client.v1.coupons.retrieve(quarter.id).times_redeemed == 1

    client.v1.subscriptions.update(sub.id, {"items": [{"id": second_item.id, "discounts": ""}]})
    assert client.v1.subscription_items.retrieve(second_item.id).discounts == []
    advance(client, clock, renewal + 32 * DAY)
    assert (
        _invoice(client, client.v1.subscriptions.retrieve(sub.id).latest_invoice)["total"] == 20_000
    )


def test_a_repeating_item_discount_ends_after_its_months(client: stripe.StripeClient) -> None:
    price = monthly_price(client, 10_000)
    two_months = client.v1.coupons.create(
        {"percent_off": 50, "duration": "repeating", "duration_in_months": 2}
    )
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id, "discounts": [{"coupon": two_months.id}]}],
        }
    )
    totals = [_invoice(client, sub.latest_invoice)["total"]]
    moment = sub["items"].data[0].current_period_end
    for _ in range(3):
        advance(client, clock, moment + DAY)
        current = client.v1.subscriptions.retrieve(sub.id)
        totals.append(_invoice(client, current.latest_invoice)["total"])
        moment = current["items"].data[0].current_period_end
    assert totals == [5_000, 5_000, 10_000, 10_000]
    assert client.v1.subscriptions.retrieve(sub.id)["items"].data[0].discounts == []
    assert client.v1.events.list({"type": "customer.discount.deleted"}).data


def test_a_coupon_for_some_products_only_discounts_their_lines(
    client: stripe.StripeClient,
) -> None:
    first, second = monthly_price(client, 10_000), monthly_price(client, 6_000)
    only_second = client.v1.coupons.create(
        {"percent_off": 50, "duration": "forever", "applies_to": {"products": [second.product]}}
    )
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": first.id}, {"price": second.id}],
            "discounts": [{"coupon": only_second.id}],
        }
    )
    invoice = _invoice(client, sub.latest_invoice)
    assert invoice["total"] == 13_000
    assert invoice["lines"]["data"][0]["discount_amounts"] == []


def test_promotion_codes_redeem_their_coupon_and_keep_their_limits(
    client: stripe.StripeClient,
) -> None:
    price = monthly_price(client, 10_000)
    coupon = client.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    code = client.v1.promotion_codes.create(
        {
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "code": "SPRING",
            "max_redemptions": 1,
        }
    )
    assert (code.code, code.active, code.promotion.coupon, code.times_redeemed) == (
        "SPRING",
        True,
        coupon.id,
        0,
    )
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "discounts": [{"promotion_code": code.id}],
            "expand": ["discounts", "latest_invoice"],
        }
    )
    assert sub.latest_invoice.total == 8_000
    assert sub.discounts[0].promotion_code == code.id
    assert client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    assert [c.id for c in client.v1.promotion_codes.list({"code": "SPRING"}).data] == [code.id]

    with pytest.raises(stripe.InvalidRequestError) as used_up:
        client.v1.subscriptions.update(sub.id, {"discounts": [{"promotion_code": code.id}]})
    assert (used_up.value.code, used_up.value.param) == (
        "coupon_expired",
        "discounts[0][promotion_code]",
    )
    off = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}})
    client.v1.promotion_codes.update(off.id, {"active": False})
    with pytest.raises(stripe.InvalidRequestError) as inactive:
        client.v1.subscriptions.update(
            sub.id,
            {"items": [{"id": sub["items"].data[0].id, "discounts": [{"promotion_code": off.id}]}]},
        )
    assert inactive.value.param == "items[0][discounts][0][promotion_code]"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.subscriptions.update(sub.id, {"discounts": [{"coupon": "NOPE"}]})
    assert (missing.value.code, missing.value.param) == ("resource_missing", "discounts[0][coupon]")
