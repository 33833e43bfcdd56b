"""Every object carries the fields of Stripe's own example, with the same JSON types."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .conftest import raw_get
from .shape_check import load_fixtures, shape_problems

FIXTURES = load_fixtures()


def _first(client: stripe.StripeClient, path: str, **params: Any) -> dict[str, Any]:
    data = raw_get(client, path, **params)["data"]
    assert data, f"nothing listed at {path}"
    first: dict[str, Any] = data[0]
    return first


def _discounted_subscription(client: stripe.StripeClient) -> dict[str, Any]:
    for sub in raw_get(client, "/v1/subscriptions", limit=100, status="all")["data"]:
        if sub["discounts"]:
            return sub
    raise AssertionError("no discounted subscription in the seed")


def test_customer(client: stripe.StripeClient) -> None:
    ours = _first(client, "/v1/customers")
    assert shape_problems(ours, FIXTURES["customer"], stripe.Customer) == []


def test_product_price_coupon(client: stripe.StripeClient) -> None:
    for path, name, cls in (
        ("/v1/products", "product", stripe.Product),
        ("/v1/prices", "price", stripe.Price),
        ("/v1/coupons", "coupon", stripe.Coupon),
    ):
        assert shape_problems(_first(client, path), FIXTURES[name], cls) == [], name


def test_subscription_and_items(client: stripe.StripeClient) -> None:
    ours = _first(client, "/v1/subscriptions", status="active")
    assert shape_problems(ours, FIXTURES["subscription"], stripe.Subscription) == []
    item = ours["items"]["data"][0]
    assert shape_problems(item, FIXTURES["subscription_item"], stripe.SubscriptionItem) == []
    assert "current_period_end" not in ours and "discount" not in ours
    assert isinstance(item["price"]["unit_amount_decimal"], str)
    listed = raw_get(client, "/v1/subscription_items", subscription=ours["id"])["data"][0]
    assert shape_problems(listed, FIXTURES["subscription_item"], stripe.SubscriptionItem) == []


def test_discount(client: stripe.StripeClient) -> None:
    sub = _discounted_subscription(client)
    expanded = raw_get(client, f"/v1/subscriptions/{sub['id']}", expand=["discounts"])
    discount = expanded["discounts"][0]
    assert shape_problems(discount, FIXTURES["discount"], stripe.Discount) == []
    assert discount["subscription"] == sub["id"]


def test_invoice_and_lines(client: stripe.StripeClient) -> None:
    ours = _first(client, "/v1/invoices")
    assert shape_problems(ours, FIXTURES["invoice"], stripe.Invoice) == []
    line = ours["lines"]["data"][0]
    assert shape_problems(line, FIXTURES["line_item"], stripe.InvoiceLineItem) == []
    assert ours["parent"]["subscription_details"]["subscription"].startswith("sub_")
    assert "paid" not in ours and "payment_intent" not in ours


def test_deleted_customer_stub(client: stripe.StripeClient) -> None:
    canceled = raw_get(
        client, "/v1/subscriptions", limit=100, status="canceled", expand=["data.customer"]
    )["data"]
    stubs = [s["customer"] for s in canceled if s["customer"].get("deleted")]
    assert stubs, "the seed deletes some customers"
    stub = stubs[0]
    assert stub == {"id": stub["id"], "object": "customer", "deleted": True}
    assert stub == FIXTURES["deleted_customer"] | {"id": stub["id"]}
    retrieved = client.v1.customers.retrieve(stub["id"])
    assert retrieved.to_dict() == stub
    listed = {c.id for c in client.v1.customers.list({"limit": 100}).auto_paging_iter()}
    assert stub["id"] not in listed


@pytest.mark.parametrize("resource", ["customer", "subscription", "invoice", "price"])
def test_sdk_builds_its_typed_classes(client: stripe.StripeClient, resource: str) -> None:
    classes = {
        "customer": (client.v1.customers, stripe.Customer),
        "subscription": (client.v1.subscriptions, stripe.Subscription),
        "invoice": (client.v1.invoices, stripe.Invoice),
        "price": (client.v1.prices, stripe.Price),
    }
    service, cls = classes[resource]
    first = service.list({"limit": 1}).data[0]
    assert isinstance(first, cls)
    assert isinstance(service.retrieve(first.id), cls)


def _required_sdk_fields(cls: type) -> set[str]:
    import typing

    return {
        name
        for name, annotation in cls.__annotations__.items()
        if name not in ("OBJECT_NAME", "deleted") and type(None) not in typing.get_args(annotation)
    }


def test_every_field_the_sdk_types_as_always_present(client: stripe.StripeClient) -> None:
    sub = _first(client, "/v1/subscriptions", status="active")
    invoice = _first(client, "/v1/invoices")
    discounted = _discounted_subscription(client)
    discount = raw_get(client, f"/v1/subscriptions/{discounted['id']}", expand=["discounts"])[
        "discounts"
    ][0]
    for obj, cls in (
        (_first(client, "/v1/customers"), stripe.Customer),
        (_first(client, "/v1/products"), stripe.Product),
        (_first(client, "/v1/prices"), stripe.Price),
        (_first(client, "/v1/coupons"), stripe.Coupon),
        (sub, stripe.Subscription),
        (sub["items"]["data"][0], stripe.SubscriptionItem),
        (invoice, stripe.Invoice),
        (invoice["lines"]["data"][0], stripe.InvoiceLineItem),
        (discount, stripe.Discount),
    ):
        assert _required_sdk_fields(cls) - obj.keys() == set(), cls.__name__
