"""Subscriptions through the SDK: create, payment outcomes, update, cancel, pause/resume."""

from __future__ import annotations

import pytest
import stripe

from stageline_sandbox import SandboxConfig, SandboxHandle

from .billing_helpers import DAY, START, clocked_customer, event_types, monthly_price
from .conftest import make_client


@pytest.fixture
def client(sandbox_factory) -> stripe.StripeClient:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(SandboxConfig(rate_limit=None, clock=lambda: START))
    return make_client(handle.url)


def test_paid_subscription_starts_active_with_a_paid_invoice(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id, "quantity": 3}],
            "expand": ["latest_invoice"],
        }
    )
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert (item.current_period_start, item.quantity) == (START, 3)
    assert item.current_period_end == START + 31 * DAY
    invoice = sub.latest_invoice
    assert invoice.status == "paid" and invoice.amount_paid == 3 * 4_900
    assert invoice.billing_reason == "subscription_create"
    assert invoice.parent.subscription_details.subscription == sub.id
    types = event_types(client, sub.id)
    assert types == ["customer.subscription.created", "customer.subscription.updated"]
    updated = client.v1.events.list({"type": "customer.subscription.updated"}).data[0]
    assert updated.data.previous_attributes.status == "incomplete"


def test_declined_card_leaves_the_subscription_incomplete(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    _, customer = clocked_customer(client, "pm_card_chargeCustomerFail")
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    assert sub.status == "incomplete"
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "open" and invoice.attempt_count == 1
    with pytest.raises(stripe.CardError) as caught:
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price": price.id}],
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert caught.value.http_status == 402 and caught.value.code == "card_declined"
    pending = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": monthly_price(client).id}],
            "payment_behavior": "default_incomplete",
        }
    )
    assert client.v1.invoices.retrieve(pending.latest_invoice).attempt_count == 0


def test_trial_and_forever_coupon(client: stripe.StripeClient) -> None:
    price = monthly_price(client, 10_000)
    coupon = client.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 14,
            "discounts": [{"coupon": coupon.id}],
            "expand": ["discounts"],
        }
    )
    assert sub.status == "trialing" and sub.trial_end == START + 14 * DAY
    assert sub["items"].data[0].current_period_end == sub.trial_end
    assert sub.discounts[0].source.coupon == coupon.id
    assert client.v1.invoices.retrieve(sub.latest_invoice).total == 0
    ended = client.v1.subscriptions.update(sub.id, {"trial_end": "now"})
    assert ended.status == "active"
    invoice = client.v1.invoices.retrieve(ended.latest_invoice)
    assert invoice.status == "paid" and invoice.total == 8_000
    assert invoice.total_discount_amounts[0].amount == 2_000


def test_update_items_schedule_cancel_and_pause_collection(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    item = sub["items"].data[0]
    more = client.v1.subscriptions.update(
        sub.id, {"items": [{"id": item.id, "quantity": 5}], "metadata": {"seats": "5"}}
    )
    assert more["items"].data[0].quantity == 5 and more.metadata.seats == "5"
    scheduled = client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    assert scheduled.cancel_at_period_end is True and scheduled.status == "active"
    assert scheduled.cancel_at == item.current_period_end and scheduled.canceled_at == START
    at = client.v1.subscriptions.update(sub.id, {"cancel_at": START + 10 * DAY})
    assert at.cancel_at == START + 10 * DAY and at.cancel_at_period_end is False
    kept = client.v1.subscriptions.update(sub.id, {"cancel_at": ""})
    assert kept.cancel_at is None
    paused = client.v1.subscriptions.update(
        sub.id, {"pause_collection": {"behavior": "keep_as_draft"}}
    )
    assert paused.pause_collection.behavior == "keep_as_draft" and paused.status == "active"
    assert client.v1.subscriptions.update(sub.id, {"pause_collection": ""}).pause_collection is None
    event = client.v1.events.list({"type": "customer.subscription.updated", "limit": 1}).data[0]
    assert event.data.previous_attributes.pause_collection.behavior == "keep_as_draft"


def test_cancel_now(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    canceled = client.v1.subscriptions.cancel(
        sub.id, {"cancellation_details": {"feedback": "too_expensive"}}
    )
    assert canceled.status == "canceled" and canceled.ended_at == START
    assert canceled.cancellation_details.feedback == "too_expensive"
    assert "customer.subscription.deleted" in event_types(client, sub.id)
    assert sub.id not in [s.id for s in client.v1.subscriptions.list().data]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(sub.id, {"items": [{"price": price.id}]})
    noted = client.v1.subscriptions.update(sub.id, {"metadata": {"note": "gone"}})
    assert noted.metadata.note == "gone"


def test_pause_and_resume(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    paused = client.v1.subscriptions.pause(sub.id)
    assert paused.status == "paused"
    assert paused.status_details.paused.subscription.type == "pause_requested"
    resumed = client.v1.subscriptions.resume(sub.id, {"billing_cycle_anchor": {"type": "now"}})
    assert resumed.status == "active" and resumed.status_details is None
    types = event_types(client, sub.id)
    assert "customer.subscription.paused" in types and "customer.subscription.resumed" in types
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.resume(sub.id)


def test_deleting_a_customer_cancels_its_subscriptions(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.customers.delete(customer.id)
    after = client.v1.subscriptions.retrieve(sub.id, {"expand": ["customer"]})
    assert after.status == "canceled" and after.customer.deleted is True
    canceled = client.v1.subscriptions.list({"status": "canceled"}).data
    assert [s.id for s in canceled] == [sub.id]


def test_proration_behavior_may_only_ask_for_no_prorations(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    _, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "proration_behavior": "none"}
    )
    item = sub["items"].data[0]
    client.v1.subscriptions.update(
        sub.id, {"items": [{"id": item.id, "quantity": 2}], "proration_behavior": "none"}
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.update(
            sub.id,
            {"items": [{"id": item.id, "quantity": 3}], "proration_behavior": "always_invoice"},
        )
    assert (caught.value.code, caught.value.param) == ("parameter_invalid", "proration_behavior")
    assert client.v1.subscription_items.retrieve(item.id).quantity == 2


def test_subscription_items_list_pages_with_cursors(client: stripe.StripeClient) -> None:
    _, customer = clocked_customer(client)
    prices = [monthly_price(client, 1_000 * n).id for n in (1, 2, 3)]
    sub = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price} for price in prices]}
    )
    first = client.v1.subscription_items.list({"subscription": sub.id, "limit": 2})
    assert [i.price.id for i in first.data] == prices[:2] and first.has_more
    rest = client.v1.subscription_items.list(
        {"subscription": sub.id, "limit": 2, "starting_after": first.data[-1].id}
    )
    assert [i.price.id for i in rest.data] == prices[2:] and not rest.has_more
    paged = client.v1.subscription_items.list({"subscription": sub.id, "limit": 1})
    assert [i.price.id for i in paged.auto_paging_iter()] == prices
    assert [s.id for s in client.v1.subscriptions.list({"plan": prices[1]}).data] == [sub.id]
