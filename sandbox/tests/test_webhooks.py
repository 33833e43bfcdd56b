"""Signed webhook delivery, retries, faults and older API versions."""

from __future__ import annotations

import json

import stripe

from stageline_sandbox import FaultConfig, SandboxConfig, SandboxHandle

from .billing_helpers import START, clocked_customer, monthly_price
from .conftest import HANG_LIMIT, make_client, raw_get
from .receiver import webhook_receiver
from .spec_check import spec_problems

FAST_RETRIES = (0.05, 0.1, 0.2)


def _start(sandbox_factory, **config: object) -> tuple[SandboxHandle, stripe.StripeClient]:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(
        SandboxConfig(
            rate_limit=None,
            webhook_retry_delays=FAST_RETRIES,
            webhook_timeout=HANG_LIMIT,  # a slow answer is not a failed delivery here
            **config,  # type: ignore[arg-type]
        )
    )
    return handle, make_client(handle.url)


def _idle(handle: SandboxHandle) -> None:
    assert handle.app.state.engine.webhooks.wait_idle(HANG_LIMIT)


def test_signed_events_verify_with_the_sdk(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle, client = _start(sandbox_factory)
    with webhook_receiver() as receiver:
        endpoint = client.v1.webhook_endpoints.create(
            {
                "url": receiver.url,
                "enabled_events": ["customer.created", "customer.updated"],
                "api_version": stripe.api_version,
            }
        )
        customer = client.v1.customers.create({"email": "a@b.c"})
        client.v1.customers.update(customer.id, {"name": "Renamed"})
        client.v1.products.create({"name": "not listened to"})
        _idle(handle)
        received = receiver.wait_for(2)
    assert len(received) == 2
    events = [
        stripe.Webhook.construct_event(r.body, r.signature, endpoint.secret) for r in received
    ]
    assert sorted(e.type for e in events) == ["customer.created", "customer.updated"]
    updated = next(e for e in events if e.type == "customer.updated")
    assert updated.data.object.name == "Renamed"
    assert updated.data.previous_attributes.name is None
    assert updated.api_version == stripe.api_version
    assert all(r.signature.startswith("t=") and ",v1=" in r.signature for r in received)
    try:
        stripe.Webhook.construct_event(received[0].body, received[0].signature, "whsec_wrong")
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("a wrong secret must not verify")
    listed = client.v1.events.retrieve(updated.id)
    assert listed.pending_webhooks == 0


def test_failed_deliveries_are_retried(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle, client = _start(sandbox_factory)
    with webhook_receiver(fail_first=2) as receiver:
        client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
        customer = client.v1.customers.create({"email": "retry@b.c"})
        _idle(handle)
        received = receiver.wait_for(1)
        assert receiver.calls == 3
    assert json.loads(received[0].body)["data"]["object"]["id"] == customer.id
    attempts = [a.attempt for a in handle.app.state.engine.webhooks.attempts]
    assert attempts == [0, 1, 2]
    assert client.v1.events.list({"delivery_success": True}).data[0].pending_webhooks == 0


def test_giving_up_leaves_the_event_pending(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle, client = _start(sandbox_factory)
    with webhook_receiver(fail_first=100) as receiver:
        client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
        client.v1.customers.create({"email": "lost@b.c"})
        _idle(handle)
        assert receiver.calls == 1 + len(FAST_RETRIES)
    pending = client.v1.events.list({"delivery_success": False}).data
    assert [e.type for e in pending] == ["customer.created"]


def test_dropped_and_duplicated_deliveries(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle, client = _start(sandbox_factory, faults=FaultConfig(webhook_duplicate_rate=1.0))
    with webhook_receiver() as receiver:
        client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
        client.v1.customers.create({"email": "twice@b.c"})
        _idle(handle)
        received = receiver.wait_for(2)
    assert len(received) == 2 and received[0].body == received[1].body
    handle, client = _start(sandbox_factory, faults=FaultConfig(webhook_drop_rate=1.0))
    with webhook_receiver() as receiver:
        client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
        client.v1.customers.create({"email": "dropped@b.c"})
        _idle(handle)
        assert receiver.calls == 0
    assert client.v1.events.list().data[0].pending_webhooks == 1


def test_reordered_deliveries_still_arrive(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle, client = _start(
        sandbox_factory, faults=FaultConfig(webhook_reorder=True, random_seed=4)
    )
    with webhook_receiver() as receiver:
        client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
        price = monthly_price(client)
        _, customer = clocked_customer(client)
        client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
        _idle(handle)
        emitted = len(client.v1.events.list({"limit": 100}).data)
        received = receiver.wait_for(emitted)
    ids = [json.loads(r.body)["id"] for r in received]
    assert len(ids) == emitted == len(set(ids))


def test_old_api_version_endpoint_gets_pre_basil_shapes(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle, client = _start(sandbox_factory, clock=lambda: START)
    with webhook_receiver() as receiver:
        endpoint = client.v1.webhook_endpoints.create(
            {
                "url": receiver.url,
                "api_version": "2024-06-20",
                "enabled_events": ["customer.subscription.created", "invoice.paid"],
            }
        )
        price = monthly_price(client)
        coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
        _, customer = clocked_customer(client)
        sub = client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price": price.id}],
                "discounts": [{"coupon": coupon.id}],
            }
        )
        _idle(handle)
        received = receiver.wait_for(2)
    events = {e["type"]: e for e in (json.loads(r.body) for r in received)}
    for r in received:
        stripe.Webhook.construct_event(r.body, r.signature, endpoint.secret)
    created = events["customer.subscription.created"]
    assert created["api_version"] == "2024-06-20"
    old_sub = created["data"]["object"]
    assert old_sub["current_period_end"] == sub["items"].data[0].current_period_end
    assert "current_period_end" not in old_sub["items"]["data"][0]
    assert old_sub["discount"]["coupon"]["id"] == coupon.id
    assert spec_problems(created, "event") == []
    assert spec_problems(old_sub, "subscription") == []
    paid = events["invoice.paid"]["data"]["object"]
    assert paid["subscription"] == sub.id and paid["paid"] is True
    assert spec_problems(paid, "invoice") == []


def test_stripe_version_header_renders_older_shapes(seeded_sandbox: SandboxHandle) -> None:
    old = stripe.StripeClient(
        "sk_test_stageline_sandbox",
        base_addresses={"api": seeded_sandbox.url},
        stripe_version="2024-06-20",
    )
    sub = old.v1.subscriptions.list({"status": "active", "limit": 1}).data[0]
    assert "current_period_end" in sub
    assert "current_period_end" not in sub["items"].data[0]
    raw = raw_get(old, "/v1/subscriptions", status="active", limit=1)["data"][0]
    assert spec_problems(raw, "subscription") == []
    invoice = old.v1.invoices.list({"limit": 1}).data[0]
    assert "subscription" in invoice and "parent" not in invoice


def test_a_rolled_back_write_delivers_nothing(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle, client = _start(sandbox_factory, clock=lambda: START)
    price = monthly_price(client)
    _, customer = clocked_customer(client, "pm_card_chargeCustomerFail")
    with webhook_receiver() as receiver:
        client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
        try:
            client.v1.subscriptions.create(
                {
                    "customer": customer.id,
                    "items": [{"price": price.id}],
                    "payment_behavior": "error_if_incomplete",
                }
            )
        except stripe.CardError:
            pass
        else:
            raise AssertionError("a declined card must fail error_if_incomplete")
        assert handle.app.state.engine.webhooks.wait_idle(HANG_LIMIT)
        assert receiver.calls == 0
    assert client.v1.subscriptions.list({"status": "all"}).data == []
    assert not client.v1.events.list({"type": "customer.subscription.created"}).data
