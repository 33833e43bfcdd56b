"""Stripe's error model: statuses, error bodies, Request-Id, never a 500."""

from __future__ import annotations

import httpx
import pytest
import stripe

from stageline_sandbox import SandboxHandle

from .conftest import make_client


def test_wrong_key_is_401(seeded_sandbox: SandboxHandle) -> None:
    # Any well-formed sk_test_ key is the default account's; a restricted key nobody
    # configured is a wrong key.
    with pytest.raises(stripe.AuthenticationError) as caught:
        make_client(seeded_sandbox.url, api_key="rk_test_wrong_key_1234").v1.customers.list()
    error = caught.value
    assert error.http_status == 401
    assert error.request_id and error.request_id.startswith("req_")
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert "Invalid API Key" in error.json_body["error"]["message"]
    assert "wrong_key" not in error.json_body["error"]["message"]


def test_missing_key_is_401_with_request_id(seeded_sandbox: SandboxHandle) -> None:
    # The SDK refuses to send a request without a key, so this one check speaks HTTP.
    response = httpx.get(f"{seeded_sandbox.url}/v1/customers")
    assert response.status_code == 401
    assert response.headers["Request-Id"].startswith("req_")
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "did not provide an API key" in response.json()["error"]["message"]


def test_unknown_object_is_404_resource_missing(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.customers.retrieve("cus_missing"),
        lambda: client.v1.subscriptions.retrieve("sub_missing"),
        lambda: client.v1.prices.retrieve("price_missing"),
        lambda: client.v1.invoices.retrieve("in_missing"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call()
        assert caught.value.http_status == 404
        assert caught.value.code == "resource_missing"
        assert caught.value.param == "id"


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"limit": 0}, "parameter_invalid", "limit"),
        ({"limit": 101}, "parameter_invalid", "limit"),
        ({"limit": "ten"}, "parameter_invalid", "limit"),
        ({"status": "sleeping"}, "parameter_invalid", "status"),
        ({"colour": "red"}, "parameter_unknown", "colour"),
        ({"created": {"since": 1}}, "parameter_unknown", "created[since]"),
        ({"starting_after": "sub_nope"}, "resource_missing", "starting_after"),
        ({"expand": ["data.nothing"]}, None, "expand"),
        ({"expand": ["data.items.data.price.product"]}, None, "expand"),
    ],
)
def test_bad_list_parameters_are_400(
    client: stripe.StripeClient, params: dict[str, object], code: str | None, param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.list(params)  # type: ignore[arg-type]
    assert caught.value.http_status == 400
    assert caught.value.code == code
    assert caught.value.param == param


def test_unknown_url_is_404_in_stripes_words(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.raw_request("get", "/v1/no_such_things")
    assert caught.value.http_status == 404
    assert "Unrecognized request URL" in str(caught.value)
