"""Whatever parameters arrive, the sandbox answers with Stripe's errors, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stageline_sandbox import SandboxConfig, SandboxHandle, run_sandbox_in_thread

from .conftest import make_client

PATHS = [
    ("post", "/v1/customers"),
    ("post", "/v1/products"),
    ("post", "/v1/prices"),
    ("post", "/v1/coupons"),
    ("post", "/v1/subscriptions"),
    ("post", "/v1/webhook_endpoints"),
    ("post", "/v1/invoiceitems"),
    ("post", "/v1/test_helpers/test_clocks"),
    ("get", "/v1/subscriptions"),
    ("get", "/v1/customers"),
    ("get", "/v1/events"),
    ("get", "/v1/customers/search"),
]
NAMES = st.sampled_from(
    [
        "customer",
        "items",
        "price",
        "quantity",
        "currency",
        "unit_amount",
        "recurring",
        "tiers",
        "tiers_mode",
        "billing_scheme",
        "percent_off",
        "duration",
        "limit",
        "status",
        "expand",
        "metadata",
        "query",
        "created",
        "trial_end",
        "cancel_at",
        "enabled_events",
        "url",
        "amount",
        "frozen_time",
        "product",
        "starting_after",
        "discounts",
        "name",
    ]
)
LEAVES = st.one_of(
    st.text(max_size=12), st.integers(-5, 10**6).map(str), st.sampled_from(["", "inf", "now"])
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[stripe.StripeClient]:
    handle: SandboxHandle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0)
    yield make_client(handle.url, retries=0)
    handle.stop()


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(PATHS), st.dictionaries(NAMES, VALUES, max_size=4))
def test_random_parameters_never_cause_a_500(
    fuzz_client: stripe.StripeClient, endpoint: tuple[str, str], params: dict[str, object]
) -> None:
    method, path = endpoint
    try:
        fuzz_client.raw_request(method, path, **params)
    except stripe.APIError as error:
        raise AssertionError(f"{method} {path} {params!r} -> {error.http_status}") from error
    except (stripe.InvalidRequestError, stripe.CardError) as error:
        assert error.http_status is not None and 400 <= error.http_status < 500
        assert error.json_body["error"]["message"]


UPDATE_NAMES = st.sampled_from(
    [
        "items",
        "cancel_at_period_end",
        "cancel_at",
        "pause_collection",
        "trial_end",
        "discounts",
        "metadata",
        "default_payment_method",
        "collection_method",
        "days_until_due",
        "description",
        "trial_settings",
        "cancellation_details",
        "payment_behavior",
        "trial_period_days",
        "billing_cycle_anchor",
        "backdate_start_date",
    ]
)
ITEM = st.fixed_dictionaries(
    {},
    optional={
        "price": st.one_of(st.just("PRICE"), LEAVES),
        "quantity": LEAVES,
        "id": st.one_of(st.just("ITEM"), LEAVES),
        "deleted": st.sampled_from(["true", "false", "x"]),
        "metadata": st.dictionaries(st.text(max_size=5), LEAVES, max_size=2),
        "price_data": st.dictionaries(NAMES, VALUES, max_size=3),
    },
)


@pytest.fixture(scope="module")
def subscription(fuzz_client: stripe.StripeClient) -> dict[str, str]:
    product = fuzz_client.v1.products.create({"name": "Fuzz"})
    price = fuzz_client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
        }
    )
    customer = fuzz_client.v1.customers.create({"payment_method": "pm_card_visa"})
    sub = fuzz_client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": "pm_card_visa",
        }
    )
    return {
        "sub": sub.id,
        "item": sub["items"].data[0].id,
        "price": price.id,
        "customer": customer.id,
    }


def _fill(value: object, ids: dict[str, str]) -> object:
    if value == "PRICE":
        return ids["price"]
    if value == "ITEM":
        return ids["item"]
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.booleans(),
    st.dictionaries(
        UPDATE_NAMES, st.one_of(VALUES, st.lists(ITEM, min_size=1, max_size=2)), max_size=4
    ),
)
def test_random_subscription_changes_never_cause_a_500(
    fuzz_client: stripe.StripeClient,
    subscription: dict[str, str],
    create: bool,
    params: dict[str, object],
) -> None:
    filled = _fill(params, subscription)
    assert isinstance(filled, dict)
    if create:
        filled.setdefault("items", [{"price": subscription["price"]}])
        filled["customer"] = subscription["customer"]
        path = "/v1/subscriptions"
    else:
        path = f"/v1/subscriptions/{subscription['sub']}"
    try:
        fuzz_client.raw_request("post", path, **filled)
    except stripe.APIError as error:
        raise AssertionError(f"POST {path} {filled!r} -> {error.http_status}") from error
    except (stripe.InvalidRequestError, stripe.CardError) as error:
        assert error.http_status is not None and 400 <= error.http_status < 500
