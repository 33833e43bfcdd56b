"""Create, update and delete through the SDK: customers, catalog, coupons, idempotency."""

from __future__ import annotations

import pytest
import stripe

from stageline_sandbox import SandboxHandle

from .conftest import make_client, raw_get


@pytest.fixture
def sandbox(sandbox_factory) -> SandboxHandle:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory()
    return handle


@pytest.fixture
def client(sandbox: SandboxHandle) -> stripe.StripeClient:
    return make_client(sandbox.url)


def test_customer_create_update_delete(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        {"email": "ada@acme.test", "name": "Ada", "metadata": {"account_id": "acct-000001"}}
    )
    assert customer.id.startswith("cus_") and customer.email == "ada@acme.test"
    assert customer.metadata.to_dict() == {"account_id": "acct-000001"}
    updated = client.v1.customers.update(
        customer.id, {"metadata": {"plan": "team", "account_id": ""}, "name": "Ada L."}
    )
    assert updated.metadata.to_dict() == {"plan": "team"} and updated.name == "Ada L."
    assert [c.id for c in client.v1.customers.list({"email": "ada@acme.test"}).data] == [
        customer.id
    ]
    deleted = client.v1.customers.delete(customer.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(customer.id).to_dict() == {
        "id": customer.id,
        "object": "customer",
        "deleted": True,
    }
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.update(customer.id, {"name": "x"})
    assert caught.value.http_status == 404


def test_tiered_prices_need_expand_to_show_tiers(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "API"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "billing_scheme": "tiered",
            "tiers_mode": "graduated",
            "tiers": [{"up_to": 10, "unit_amount": 1000}, {"up_to": "inf", "unit_amount": 800}],
            "recurring": {"interval": "month"},
        }
    )
    assert price.billing_scheme == "tiered" and "tiers" not in price
    expanded = client.v1.prices.retrieve(price.id, {"expand": ["tiers"]})
    assert [t.up_to for t in expanded.tiers] == [10, None]
    assert expanded.tiers[1].unit_amount == 800
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            {
                "product": product.id,
                "currency": "usd",
                "billing_scheme": "tiered",
                "tiers_mode": "volume",
                "tiers": [{"up_to": 10, "unit_amount": 1000}],
            }
        )
    assert caught.value.param == "tiers"


def test_price_kinds(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Seats", "unit_label": "seat"})
    packs = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "eur",
            "unit_amount": 500,
            "transform_quantity": {"divide_by": 10, "round": "up"},
            "recurring": {"interval": "month", "interval_count": 3},
        }
    )
    assert packs.transform_quantity.divide_by == 10 and packs.recurring.interval_count == 3
    meter = client.v1.billing.meters.create(
        {
            "display_name": "API calls",
            "event_name": "api_call",
            "default_aggregation": {"formula": "sum"},
        }
    )
    metered = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1,
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
        }
    )
    assert metered.recurring.usage_type == "metered" and metered.recurring.meter == meter.id
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            {
                "product": product.id,
                "currency": "usd",
                "unit_amount": 1,
                "recurring": {"interval": "month", "usage_type": "metered"},
            }
        )
    assert caught.value.param == "recurring[meter]"
    inline = client.v1.prices.create(
        {"product_data": {"name": "Inline"}, "currency": "usd", "unit_amount": 700}
    )
    assert (
        inline.type == "one_time" and client.v1.products.retrieve(inline.product).name == "Inline"
    )
    archived = client.v1.prices.update(packs.id, {"active": False, "nickname": "Packs"})
    assert archived.active is False and archived.nickname == "Packs"
    active_ids = {p.id for p in client.v1.prices.list({"active": True}).data}
    assert packs.id not in active_ids and metered.id in active_ids
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.products.delete(product.id)


def test_coupons(client: stripe.StripeClient) -> None:
    forever = client.v1.coupons.create({"percent_off": 25.5, "duration": "forever"})
    assert forever.percent_off == 25.5 and forever.duration == "forever"
    repeating = client.v1.coupons.create(
        {
            "id": "SPRING",
            "amount_off": 1000,
            "currency": "usd",
            "duration": "repeating",
            "duration_in_months": 3,
            "name": "Spring",
        }
    )
    assert repeating.id == "SPRING" and repeating.duration_in_months == 3
    for bad, param in (
        ({"duration": "forever"}, "percent_off"),
        ({"percent_off": 10, "duration": "repeating"}, "duration_in_months"),
        ({"amount_off": 100, "duration": "once"}, "currency"),
        ({"percent_off": 150}, "percent_off"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.coupons.create(bad)  # type: ignore[arg-type]
        assert caught.value.param == param
    client.v1.coupons.delete("SPRING")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.coupons.retrieve("SPRING")
    assert missing.value.http_status == 404


def test_idempotency_key_replays_the_first_response(client: stripe.StripeClient) -> None:
    first = client.v1.customers.create({"email": "x@y.z"}, {"idempotency_key": "key-1"})
    again = client.v1.customers.create({"email": "x@y.z"}, {"idempotency_key": "key-1"})
    assert again.id == first.id
    assert len(client.v1.customers.list().data) == 1
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"email": "other@y.z"}, {"idempotency_key": "key-1"})


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/customers", {"email": ["a", "b"]}),
        ("/v1/customers", {"metadata": "not a hash"}),
        ("/v1/customers", {"balance": "1.5"}),
        ("/v1/customers", {"test_clock": "clock_missing"}),
        ("/v1/customers", {"payment_method": "pm_missing"}),
        ("/v1/products", {}),
        ("/v1/prices", {"currency": "usd", "product": "prod_missing", "unit_amount": 5}),
        (
            "/v1/prices",
            {
                "currency": "usd",
                "product_data": {"name": "x"},
                "recurring": {"interval": "fortnight"},
            },
        ),
        ("/v1/prices", {"currency": "usd", "product_data": {"name": "x"}, "unit_amount": -1}),
        ("/v1/subscriptions", {}),
        ("/v1/subscriptions", {"customer": "cus_missing", "items": [{"price": "p"}]}),
        ("/v1/webhook_endpoints", {"url": "not a url", "enabled_events": ["*"]}),
        ("/v1/webhook_endpoints", {"url": "http://x.test", "enabled_events": ["nope.nope"]}),
        ("/v1/test_helpers/test_clocks", {"frozen_time": "soon"}),
        ("/v1/coupons", {"percent_off": "lots"}),
    ],
)
def test_bad_input_gets_a_4xx_never_a_500(
    client: stripe.StripeClient, path: str, params: dict[str, object]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.raw_request("post", path, **params)
    assert 400 <= caught.value.http_status < 500
    assert caught.value.json_body["error"]["message"]


def test_created_objects_match_their_fixture_shapes(client: stripe.StripeClient) -> None:
    from .shape_check import load_fixtures, shape_problems

    fixtures = load_fixtures()
    product = client.v1.products.create({"name": "Shapes"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
        }
    )
    endpoint = client.v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
    )
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": 1_767_225_600})
    for path, name, cls in (
        (f"/v1/prices/{price.id}", "price", stripe.Price),
        (f"/v1/products/{product.id}", "product", stripe.Product),
        (f"/v1/webhook_endpoints/{endpoint.id}", "webhook_endpoint", stripe.WebhookEndpoint),
        (
            f"/v1/test_helpers/test_clocks/{clock.id}",
            "test_helpers.test_clock",
            stripe.test_helpers.TestClock,
        ),
    ):
        assert shape_problems(raw_get(client, path), fixtures[name], cls) == [], name
    customer = client.v1.customers.create({"payment_method": "pm_card_visa"})
    pm = client.v1.customers.payment_methods.list(customer.id).data[0]
    meter = client.v1.billing.meters.create(
        {"display_name": "Calls", "event_name": "calls", "default_aggregation": {"formula": "sum"}}
    )
    event = client.v1.events.list({"type": "customer.created"}).data[0]
    for path, name, cls in (
        (f"/v1/payment_methods/{pm.id}", "payment_method", stripe.PaymentMethod),
        (f"/v1/billing/meters/{meter.id}", "billing.meter", stripe.billing.Meter),
        (f"/v1/events/{event.id}", "event", stripe.Event),
    ):
        ours = raw_get(client, path)
        reference = dict(fixtures[name])
        if name == "event":
            reference.pop("data")
        assert shape_problems(ours, reference, cls) == [], name
    assert pm.card.last4 == "4242" and pm.customer == customer.id
    assert endpoint.secret.startswith("whsec_")
    assert "secret" not in client.v1.webhook_endpoints.retrieve(endpoint.id)
