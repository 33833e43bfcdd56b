"""Test clock scenarios: trial → active, renewals paid and failed, scheduled cancels."""

from __future__ import annotations

import pytest
import stripe

from stageline_sandbox import SandboxConfig, SandboxHandle

from .billing_helpers import DAY, START, advance, clocked_customer, event_types, monthly_price
from .conftest import make_client


@pytest.fixture
def client(sandbox_factory) -> stripe.StripeClient:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(SandboxConfig(rate_limit=None, clock=lambda: START))
    return make_client(handle.url)


def _invoices(client: stripe.StripeClient, sub_id: str) -> list[stripe.Invoice]:
    return list(reversed(client.v1.invoices.list({"subscription": sub_id}).data))


def test_trial_ends_into_active_with_a_paid_invoice(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 14}
    )
    advance(client, clock, START + 12 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "trialing"
    assert "customer.subscription.trial_will_end" in event_types(client, sub.id)
    advance(client, clock, START + 15 * DAY)
    active = client.v1.subscriptions.retrieve(sub.id)
    assert active.status == "active"
    item = active["items"].data[0]
    assert item.current_period_start == START + 14 * DAY
    invoices = _invoices(client, sub.id)
    assert [i.status for i in invoices] == ["paid", "paid"]
    assert invoices[-1].amount_paid == 4_900 and invoices[-1].billing_reason == "subscription_cycle"
    updated = client.v1.events.list({"type": "customer.subscription.updated", "limit": 1}).data[0]
    assert updated.data.previous_attributes.status == "trialing"


def test_trial_without_payment_method_pauses(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    clock, customer = clocked_customer(client, payment_method=None)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 7,
            "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
        }
    )
    advance(client, clock, START + 8 * DAY)
    paused = client.v1.subscriptions.retrieve(sub.id)
    assert paused.status == "paused"
    assert paused.status_details.paused.subscription.type == "trial_end_without_payment_method"
    assert "customer.subscription.paused" in event_types(client, sub.id)


def test_renewals_are_invoiced_and_paid_each_month(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    advance(client, clock, START + 95 * DAY)
    renewed = client.v1.subscriptions.retrieve(sub.id)
    item = renewed["items"].data[0]
    assert renewed.status == "active"
    assert item.current_period_start <= START + 95 * DAY < item.current_period_end
    invoices = _invoices(client, sub.id)
    assert len(invoices) == 4 and all(i.status == "paid" for i in invoices)
    periods = [i.lines.data[0].period.start for i in invoices]
    assert periods == sorted(periods) and len(set(periods)) == 4


def test_failed_renewal_goes_past_due_then_canceled(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
    )
    period_end = sub["items"].data[0].current_period_end
    advance(client, clock, period_end + DAY)
    late = client.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    assert late.status == "past_due"
    assert late.latest_invoice.status == "open" and late.latest_invoice.attempt_count == 1
    assert late.latest_invoice.next_payment_attempt == period_end + 3 * DAY
    advance(client, clock, period_end + 20 * DAY)
    ended = client.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    assert ended.status == "canceled"
    assert ended.cancellation_details.reason == "payment_failed"
    assert ended.latest_invoice.attempt_count == 4
    types = event_types(client, sub.id)
    assert types[-1] == "customer.subscription.deleted"
    failed = client.v1.events.list({"type": "invoice.payment_failed"}).data
    assert len(failed) == 4


def test_past_due_recovers_when_the_card_is_fixed(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": "pm_card_chargeDeclined"}}
    )
    period_end = sub["items"].data[0].current_period_end
    advance(client, clock, period_end + DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )
    advance(client, clock, period_end + 4 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_cancel_at_period_end_cancels_when_the_period_ends(client: stripe.StripeClient) -> None:
    price = monthly_price(client)
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    period_end = sub["items"].data[0].current_period_end
    advance(client, clock, period_end - DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    advance(client, clock, period_end + DAY)
    ended = client.v1.subscriptions.retrieve(sub.id)
    assert ended.status == "canceled" and ended.ended_at == period_end
    assert ended.canceled_at == START
    assert len(_invoices(client, sub.id)) == 1


def test_repeating_coupon_expires(client: stripe.StripeClient) -> None:
    price = monthly_price(client, 10_000)
    coupon = client.v1.coupons.create(
        {"percent_off": 50, "duration": "repeating", "duration_in_months": 1}
    )
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "discounts": [{"coupon": coupon.id}],
        }
    )
    advance(client, clock, START + 65 * DAY)
    totals = [i.total for i in _invoices(client, sub.id)]
    assert totals == [5_000, 10_000, 10_000]
    assert client.v1.subscriptions.retrieve(sub.id).discounts == []
    assert client.v1.events.list({"type": "customer.discount.deleted"}).data


def test_clock_errors(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": START})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START - 1})
    assert caught.value.param == "frozen_time"
    client.v1.test_helpers.test_clocks.delete(clock.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.test_helpers.test_clocks.retrieve(clock.id)


def test_pending_invoice_items_join_the_next_renewal(client: stripe.StripeClient) -> None:
    from .conftest import raw_get
    from .shape_check import load_fixtures, shape_problems

    price = monthly_price(client)
    clock, customer = clocked_customer(client)
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    item = client.v1.invoice_items.create(
        {"customer": customer.id, "amount": 500, "currency": "usd", "description": "Setup"}
    )
    assert item.invoice is None
    pending = raw_get(client, f"/v1/invoiceitems/{item.id}")
    assert shape_problems(pending, load_fixtures()["invoiceitem"], stripe.InvoiceItem) == []
    advance(client, clock, sub["items"].data[0].current_period_end + DAY)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert renewal.total == 4_900 + 500 and renewal.status == "paid"
    kinds = sorted(line.parent.type for line in renewal.lines.data)
    assert kinds == ["invoice_item_details", "subscription_item_details"]
    assert client.v1.invoice_items.retrieve(item.id).invoice == renewal.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoice_items.delete(item.id)


def test_dunning_can_end_in_unpaid_and_trials_can_end_canceled(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(
        SandboxConfig(
            rate_limit=None,
            clock=lambda: START,
            dunning_final_action="unpaid",
            dunning_retry_days=(1, 1),
        )
    )
    client = make_client(handle.url)
    price = monthly_price(client)
    clock, customer = clocked_customer(client, "pm_card_visa")
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": "pm_card_chargeDeclined"}}
    )
    period_end = sub["items"].data[0].current_period_end
    advance(client, clock, period_end + 3 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "unpaid"
    trial = client.v1.subscriptions.create(
        {
            "customer": client.v1.customers.create({"test_clock": clock.id}).id,
            "items": [{"price": price.id}],
            "trial_period_days": 3,
            "trial_settings": {"end_behavior": {"missing_payment_method": "cancel"}},
        }
    )
    advance(client, clock, period_end + 7 * DAY)
    ended = client.v1.subscriptions.retrieve(trial.id)
    assert ended.status == "canceled" and ended.ended_at == trial.trial_end
