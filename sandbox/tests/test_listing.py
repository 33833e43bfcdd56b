"""Lists through the SDK: cursors, has_more, newest first, status filters, expand."""

from __future__ import annotations

import stripe

from stageline_sandbox import SandboxHandle, SandboxStore, seed
from stageline_sandbox.store import Filter

from .conftest import NOW


def test_auto_paging_over_250_customers_with_limit_100(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    store = SandboxStore()
    seed(store, customers=260, random_seed=5, now=NOW)
    expected = store.count("customer", Filter(status_not_in=("deleted",)))
    assert expected >= 250
    handle: SandboxHandle = sandbox_factory(store=store)
    client = stripe.StripeClient("sk_test_stageline_sandbox", base_addresses={"api": handle.url})

    first = client.v1.customers.list({"limit": 100})
    assert first.object == "list" and first.url == "/v1/customers"
    assert len(first.data) == 100 and first.has_more is True
    seen = [c.id for c in first.auto_paging_iter()]
    assert len(seen) == expected == len(set(seen))
    created = [c.created for c in client.v1.customers.list({"limit": 100}).data]
    assert created == sorted(created, reverse=True)

    last_page = client.v1.customers.list({"limit": 100, "starting_after": seen[199]})
    assert [c.id for c in last_page.data] == seen[200:] and last_page.has_more is False
    before = client.v1.customers.list({"limit": 3, "ending_before": seen[10]})
    assert [c.id for c in before.data] == seen[7:10] and before.has_more is True


def test_default_limit_is_ten(client: stripe.StripeClient) -> None:
    assert len(client.v1.customers.list().data) == 10


def test_subscriptions_default_hides_canceled_and_status_all_shows_them(
    client: stripe.StripeClient,
) -> None:
    default = [s for s in client.v1.subscriptions.list({"limit": 100}).auto_paging_iter()]
    every = [
        s for s in client.v1.subscriptions.list({"limit": 100, "status": "all"}).auto_paging_iter()
    ]
    canceled = [
        s
        for s in client.v1.subscriptions.list(
            {"limit": 100, "status": "canceled"}
        ).auto_paging_iter()
    ]
    assert all(s.status != "canceled" for s in default)
    assert canceled and all(s.status == "canceled" for s in canceled)
    assert len(every) == len(default) + len(canceled)
    statuses = {s.status for s in every}
    assert {"active", "trialing", "past_due", "canceled"} <= statuses
    trialing = client.v1.subscriptions.list({"status": "trialing", "limit": 100}).data
    assert trialing and all(s.trial_end and s.trial_end > NOW for s in trialing)
    ended = client.v1.subscriptions.list({"status": "ended", "limit": 100}).auto_paging_iter()
    assert {s.status for s in ended} <= {"canceled", "incomplete_expired"}


def test_subscriptions_filter_by_customer(client: stripe.StripeClient) -> None:
    sub = client.v1.subscriptions.list({"status": "all", "limit": 1}).data[0]
    customer_id = sub.customer
    assert isinstance(customer_id, str)
    mine = client.v1.subscriptions.list({"customer": customer_id, "status": "all"}).data
    assert sub.id in [s.id for s in mine]
    assert all(s.customer == customer_id for s in mine)


def test_expand_customer_and_discounts_on_a_list(client: stripe.StripeClient) -> None:
    page = client.v1.subscriptions.list(
        {"limit": 100, "status": "all", "expand": ["data.discounts", "data.customer"]}
    )
    assert all(getattr(s.customer, "object", None) == "customer" for s in page.data)
    with_discounts = [s for s in page.auto_paging_iter() if s.discounts]
    assert with_discounts, "the seed puts coupons on some subscriptions"
    discount = with_discounts[0].discounts[0]
    assert discount.object == "discount"
    assert discount.source.type == "coupon" and isinstance(discount.source.coupon, str)
    coupon = (
        client.v1.subscriptions.retrieve(
            with_discounts[0].id, {"expand": ["discounts.source.coupon"]}
        )
        .discounts[0]
        .source.coupon
    )
    assert coupon.object == "coupon" and coupon.duration in ("forever", "repeating")


def test_discounts_are_ids_unless_expanded(client: stripe.StripeClient) -> None:
    subs = client.v1.subscriptions.list({"limit": 100, "status": "all"}).auto_paging_iter()
    discounted = next(s for s in subs if s.discounts)
    assert all(isinstance(d, str) and d.startswith("di_") for d in discounted.discounts)


def test_items_carry_periods_and_full_prices(client: stripe.StripeClient) -> None:
    sub = client.v1.subscriptions.list({"status": "active", "limit": 1}).data[0]
    item = sub["items"].data[0]
    assert item.current_period_start <= NOW < item.current_period_end
    assert item.price.object == "price" and item.plan.object == "plan"
    assert item.plan.id == item.price.id
    assert "current_period_end" not in sub
    listed = client.v1.subscription_items.list({"subscription": sub.id})
    assert [i.id for i in listed.data] == [item.id]
    assert client.v1.subscription_items.retrieve(item.id).subscription == sub.id


def test_invoices_point_at_their_subscription(client: stripe.StripeClient) -> None:
    sub = client.v1.subscriptions.list({"status": "past_due", "limit": 1}).data[0]
    invoices = client.v1.invoices.list({"subscription": sub.id}).data
    assert [i.id for i in invoices] == [sub.latest_invoice]
    invoice = invoices[0]
    assert invoice.parent.type == "subscription_details"
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.status == "open" and invoice.amount_remaining == invoice.amount_due
    assert invoice.lines.data[0].period.end == sub["items"].data[0].current_period_end
    paid = client.v1.invoices.list({"status": "paid", "limit": 5}).data
    assert paid and all(i.status == "paid" and i.amount_paid == i.total for i in paid)


def test_prices_and_products(client: stripe.StripeClient) -> None:
    prices = list(client.v1.prices.list({"limit": 100}).auto_paging_iter())
    intervals = {(p.recurring.interval, p.recurring.interval_count) for p in prices}
    assert {("month", 1), ("year", 1), ("month", 3), ("week", 1), ("day", 1)} <= intervals
    assert {p.currency for p in prices} == {"usd", "eur", "gbp"}
    team = next(p for p in client.v1.products.list().data if p.name == "Team")
    team_prices = client.v1.prices.list({"product": team.id}).data
    assert team_prices and all(p.product == team.id for p in team_prices)
    expanded = client.v1.prices.retrieve(team_prices[0].id, {"expand": ["product"]})
    assert expanded.product.name == "Team"
