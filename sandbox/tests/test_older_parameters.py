"""Requests pinned to an older ``Stripe-Version`` may use the parameters that version took,
with the same meaning; at the SDK's pinned version Stripe refuses them, and so does the
sandbox (``coupon`` and ``promotion_code`` on customers and subscriptions, and ``price`` and
``unit_amount`` on invoice items, until ``2025-03-31.basil``; a promotion code's ``coupon``
until ``2025-09-30.clover``)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from stageline_sandbox import SandboxConfig, SandboxHandle

from .billing_helpers import DAY, START, advance, clocked_customer, monthly_price
from .conftest import make_client

BEFORE_BASIL: Any = {"stripe_version": "2024-06-20"}
BEFORE_CLOVER: Any = {"stripe_version": "2025-08-27.basil"}


@pytest.fixture
def client(sandbox_factory) -> stripe.StripeClient:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(SandboxConfig(rate_limit=None, clock=lambda: START))
    return make_client(handle.url)


def _refused_as_unknown(call: Any, name: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    assert (caught.value.http_status, caught.value.code, caught.value.param) == (
        400,
        "parameter_unknown",
        name,
    )


def test_customer_coupon_before_basil_discounts_its_subscriptions(
    client: stripe.StripeClient,
) -> None:
    price = monthly_price(client, 10_000)
    half = client.v1.coupons.create({"percent_off": 50, "duration": "forever"})
    clock, customer = clocked_customer(client)
    _refused_as_unknown(
        lambda: client.v1.customers.update(customer.id, {"coupon": half.id}), "coupon"
    )

    old = client.v1.customers.update(customer.id, {"coupon": half.id}, BEFORE_BASIL)
    assert old.discount.coupon.id == half.id  # the older shape embeds the coupon
    current = client.v1.customers.retrieve(customer.id)
    assert current.discount.source.coupon == half.id and current.discount.customer == customer.id
    assert client.v1.events.list({"type": "customer.discount.created"}).data

    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    first = client.v1.invoices.retrieve(sub.latest_invoice)
    assert (first.total, first.discounts) == (5_000, [current.discount.id])
    advance(client, clock, sub["items"].data[0].current_period_end + DAY)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert renewal.total == 5_000


def test_customer_create_takes_a_promotion_code_before_basil(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    code = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}})
    _refused_as_unknown(
        lambda: client.v1.customers.create({"promotion_code": code.id}), "promotion_code"
    )
    customer = client.v1.customers.create({"promotion_code": code.id}, BEFORE_BASIL)
    assert customer.discount.promotion_code == code.id
    assert client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1


def test_subscription_coupon_and_promotion_code_before_basil(
    client: stripe.StripeClient,
) -> None:
    price = monthly_price(client, 10_000)
    fifth = client.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    half = client.v1.coupons.create({"percent_off": 50, "duration": "forever"})
    code = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": half.id}})
    clock, customer = clocked_customer(client)
    params: dict[str, Any] = {
        "customer": customer.id,
        "items": [{"price": price.id}],
        "coupon": fifth.id,
    }
    _refused_as_unknown(lambda: client.v1.subscriptions.create(params), "coupon")

    sub = client.v1.subscriptions.create(params, BEFORE_BASIL)
    assert sub.discount.coupon.id == fifth.id  # the older, singular shape
    assert client.v1.invoices.retrieve(sub.latest_invoice, options=BEFORE_BASIL).total == 8_000
    current = client.v1.subscriptions.retrieve(sub.id, {"expand": ["discounts"]})
    assert [d.source.coupon for d in current.discounts] == [fifth.id]

    _refused_as_unknown(
        lambda: client.v1.subscriptions.update(sub.id, {"promotion_code": code.id}),
        "promotion_code",
    )
    client.v1.subscriptions.update(sub.id, {"promotion_code": code.id}, BEFORE_BASIL)
    advance(client, clock, sub.current_period_end + DAY)  # periods on the subscription then
    renewed = client.v1.subscriptions.retrieve(sub.id, {"expand": ["discounts", "latest_invoice"]})
    assert [d.promotion_code for d in renewed.discounts] == [code.id]
    assert renewed.latest_invoice.total == 5_000

    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.subscriptions.update(
            sub.id, {"coupon": fifth.id, "discounts": [{"coupon": half.id}]}, BEFORE_BASIL
        )
    assert both.value.param == "coupon"


def test_invoice_item_price_and_unit_amount_before_basil(client: stripe.StripeClient) -> None:
    price = monthly_price(client, 1_250)
    customer = client.v1.customers.create({"email": "a@b.test"})
    _refused_as_unknown(
        lambda: client.v1.invoice_items.create({"customer": customer.id, "price": price.id}),
        "price",
    )
    by_price = client.v1.invoice_items.create(
        {"customer": customer.id, "price": price.id, "quantity": 2}, BEFORE_BASIL
    )
    assert by_price.amount == 2_500
    by_unit = client.v1.invoice_items.create(
        {"customer": customer.id, "currency": "usd", "unit_amount": 300, "quantity": 3},
        BEFORE_BASIL,
    )
    now = client.v1.invoice_items.create(
        {"customer": customer.id, "currency": "usd", "unit_amount_decimal": "300", "quantity": 3}
    )
    assert by_unit.amount == now.amount == 900
    assert by_unit.pricing.unit_amount_decimal == now.pricing.unit_amount_decimal


def test_promotion_code_coupon_before_clover(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    _refused_as_unknown(lambda: client.v1.promotion_codes.create({"coupon": coupon.id}), "coupon")
    code = client.v1.promotion_codes.create({"coupon": coupon.id}, BEFORE_CLOVER)
    assert code.promotion.coupon == coupon.id
    old_shape = client.v1.promotion_codes.retrieve(code.id, options=BEFORE_BASIL)
    assert old_shape.coupon.id == coupon.id and "promotion" not in old_shape
