"""Parameters the sandbox does not honour are refused, at any depth, as Stripe refuses
parameters it does not know: 400 ``parameter_unknown`` naming the bracketed path.

The walk covers every endpoint the sandbox serves and every parameter the pinned SDK's
``stripe.params`` types can send to it: each one is in the sandbox's honoured list
(:mod:`stageline_sandbox.honoured`) or refused when sent.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from stageline_sandbox import SANDBOX_API_KEY, SandboxConfig, SandboxHandle
from stageline_sandbox.honoured import HONOURED, OLDER
from stageline_sandbox.parameter_check import honours
from stageline_sandbox.resources import all_routes

from .conftest import make_client
from .sdk_params import Leaf, bracketed, normalize, parameter_leaves, sdk_params_by_endpoint

ROUTES = [(route.method, route.path) for route in all_routes()]
RAW_REQUEST_OPTIONS = {"base", "usage"}
"""Names ``StripeClient.raw_request`` keeps for itself; no endpoint here takes them."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    from stageline_sandbox import run_sandbox_in_thread

    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def client(sandbox: SandboxHandle) -> stripe.StripeClient:
    return make_client(sandbox.url, retries=0)


def _concrete(path: str) -> str:
    return path.replace("{id}", "obj_missing")


def _first_refused(method: str, path: str, leaf: Leaf) -> str:
    """The name the sandbox should refuse: the leaf's shortest prefix it does not honour."""
    for end in range(1, len(leaf.path) + 1):
        if not honours(method, path, leaf.path[:end], None):
            return bracketed(leaf.path[:end])
    raise AssertionError(f"{leaf.name} is honoured")


def _send(client: stripe.StripeClient, method: str, path: str, params: dict[str, Any]) -> Any:
    """Send through the SDK; the error the SDK raised, or None when the sandbox said 200."""
    try:
        client.raw_request(method.lower(), _concrete(path), **params)
    except stripe.StripeError as error:
        return error
    return None


def _sdk_params(method: str, path: str) -> type:
    params = sdk_params_by_endpoint().get((method, normalize(path)))
    assert params is not None, f"the SDK has no {method} {path}"
    return params


def test_every_served_endpoint_has_an_honoured_list_and_every_list_an_endpoint() -> None:
    assert sorted(HONOURED) == sorted(ROUTES)
    assert set(OLDER) <= set(HONOURED)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_sdk_parameter_is_honoured_or_refused_as_unknown(
    client: stripe.StripeClient, method: str, path: str
) -> None:
    wrong: list[str] = []
    leaves = parameter_leaves(_sdk_params(method, path))
    assert not {str(leaf.path[0]) for leaf in leaves} & RAW_REQUEST_OPTIONS
    for leaf in leaves:
        if honours(method, path, leaf.path, None):
            continue
        expected = _first_refused(method, path, leaf)
        error = _send(client, method, path, leaf.as_params())
        if not (
            isinstance(error, stripe.InvalidRequestError)
            and error.http_status == 400
            and error.code == "parameter_unknown"
            and error.param == expected
            and error.user_message == f"Received unknown parameter: {expected}"
        ):
            wrong.append(f"{leaf.name}: {error!r}")
    assert wrong == []


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_honoured_parameter_is_one_the_sdk_sends_and_is_never_refused_as_unknown(
    client: stripe.StripeClient, method: str, path: str
) -> None:
    sdk_leaves = parameter_leaves(_sdk_params(method, path))
    honoured = [leaf for leaf in sdk_leaves if honours(method, path, leaf.path, None)]
    named = {leaf.path for leaf in honoured}
    for name in HONOURED[(method, path)]:
        assert any(leaf[0] == name for leaf in named), f"{name} is not a parameter of the SDK"
    for leaf in honoured:
        error = _send(client, method, path, leaf.as_params())
        assert error is None or (error.http_status or 500) < 500, leaf.name
        assert error is None or error.code != "parameter_unknown", leaf.name


ILL_TYPED: tuple[Any, ...] = ("x", {"a": "b"}, "99999999999999999999", "²")


def _with(base: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """``base`` with ``value`` set at ``path`` (lists and hashes made on the way)."""
    root: Any = copy.deepcopy(base)
    node = root
    for part, after in itertools.pairwise(path):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append(copy.copy(empty))
            if not isinstance(node[part], type(empty)):
                node[part] = empty
        elif not isinstance(node.get(part), type(empty)):
            node[part] = empty
        node = node[part]
    if isinstance(path[-1], int):
        node.extend([None] * (path[-1] + 1 - len(node)))
    node[path[-1]] = value
    result: dict[str, Any] = root
    return result


def test_honoured_parameters_with_ill_typed_values_are_refused_never_a_500(
    client: stripe.StripeClient,
) -> None:
    product = client.v1.products.create({"name": "Team"})
    monthly = {"interval": "month"}
    price = client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 900, "recurring": monthly}
    )
    card = "pm_card_visa"
    customer = client.v1.customers.create(
        {"payment_method": card, "invoice_settings": {"default_payment_method": card}}
    )
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    ids = {"customers": customer.id, "products": product.id, "prices": price.id}
    ids["coupons"] = coupon.id
    bases: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/v1/subscriptions"): {"customer": customer.id, "items": [{"price": price.id}]},
        ("POST", "/v1/prices"): {"product": product.id, "currency": "usd", "unit_amount": 100},
        ("POST", "/v1/coupons"): {"percent_off": 10},
        ("POST", "/v1/invoiceitems"): {"customer": customer.id, "currency": "usd", "amount": 100},
        ("POST", "/v1/promotion_codes"): {"promotion": {"coupon": coupon.id}},
        ("POST", "/v1/webhook_endpoints"): {"url": "https://hooks.test", "enabled_events": ["*"]},
        ("POST", "/v1/products"): {"name": "Add-on"},
        ("POST", "/v1/billing/meters"): {"display_name": "Calls", "event_name": "calls"},
    }
    server_errors: list[str] = []
    for method, path in ROUTES:
        prefixes = {
            leaf.path[:end]
            for leaf in parameter_leaves(_sdk_params(method, path))
            if honours(method, path, leaf.path, None)
            for end in range(1, len(leaf.path) + 1)
            if not isinstance(leaf.path[end - 1], int)
        }
        for prefix in sorted(prefixes, key=str):
            for value in ILL_TYPED:
                base = dict(bases.get((method, path), {}))
                if path.startswith(("/v1/subscriptions/{id}", "/v1/subscription_items")):
                    # a fresh one each time: some requests change or cancel it
                    sub = client.v1.subscriptions.create(bases[("POST", "/v1/subscriptions")])
                    ids["subscriptions"] = sub.id
                    if path == "/v1/subscription_items":
                        base["subscription"] = sub.id
                target = path.replace("{id}", ids.get(path.split("/")[2], "obj_missing"))
                try:
                    client.raw_request(method.lower(), target, **_with(base, prefix, value))
                except stripe.StripeError as error:
                    if (error.http_status or 500) >= 500:
                        server_errors.append(f"{method} {path} {bracketed(prefix)}={value!r}")
    assert server_errors == []


def test_older_parameters_are_the_ones_the_pinned_version_no_longer_has() -> None:
    for (method, path), changes in OLDER.items():
        current = {str(leaf.path[0]) for leaf in parameter_leaves(_sdk_params(method, path))}
        for _, older in changes:
            assert not set(older) & current, (method, path)


def test_an_unknown_nested_parameter_is_named_by_its_full_path(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create({"email": "a@b.test"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": "price_x", "foo": "1"}]}
        )
    error = caught.value
    assert error.http_status == 400
    assert (error.code, error.param) == ("parameter_unknown", "items[0][foo]")
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert error.json_body["error"]["message"] == "Received unknown parameter: items[0][foo]"
    assert client.v1.subscriptions.list({"customer": customer.id}).data == []


def test_a_parameter_the_sandbox_does_not_implement_is_refused_not_ignored(
    client: stripe.StripeClient,
) -> None:
    for params, name in (
        ({"email": "a@b.test", "tax": {"ip_address": "127.0.0.1"}}, "tax"),
        ({"email": "a@b.test", "address": {"line1": "1 Main St", "floor": "3"}}, "address[floor]"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.customers.create(params)
        assert (caught.value.code, caught.value.param) == ("parameter_unknown", name)
    accepted = client.v1.customers.create(
        {"email": "a@b.test", "metadata": {"any_key": "v"}, "address": {"line1": "1 Main St"}}
    )
    assert accepted.metadata["any_key"] == "v" and accepted.address.line1 == "1 Main St"


def test_unknown_query_and_form_parameters_are_refused_over_plain_http(
    sandbox: SandboxHandle,
) -> None:
    # Names the SDK's types cannot spell, sent as any HTTP client sends them.
    auth = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
    listed = httpx.get(f"{sandbox.url}/v1/invoices?created[since]=1", headers=auth)
    created = httpx.post(
        f"{sandbox.url}/v1/subscriptions",
        headers=auth,
        content="customer=cus_x&items[0][price]=p&items[0][discounts][0][colour]=red",
    )
    for response, name in ((listed, "created[since]"), (created, "items[0][discounts][0][colour]")):
        body = json.loads(response.text)["error"]
        assert response.status_code == 400
        assert (body["code"], body["param"]) == ("parameter_unknown", name)
