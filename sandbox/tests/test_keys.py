"""API keys as Stripe and its mock server take them: any test key, Basic auth, restricted keys."""

from __future__ import annotations

import base64
import secrets

import httpx
import pytest
import stripe

from stageline_sandbox import SANDBOX_API_KEY, SandboxConfig, SandboxHandle
from stageline_sandbox.config import DEFAULT_ACCOUNT_ID, SandboxAccount
from stageline_sandbox.permissions import required_permission
from stageline_sandbox.resources import all_routes

from .conftest import make_client

READ_ONLY = "rk_test_readonly_0123456789abcdef"
CUSTOMER_WRITER = "rk_test_customer_writer_5678"


def test_any_well_formed_test_key_is_the_default_accounts(seeded_sandbox: SandboxHandle) -> None:
    invented = f"sk_test_{secrets.token_hex(12)}"
    first = make_client(seeded_sandbox.url, api_key=invented).v1.customers.list({"limit": 3})
    second = make_client(seeded_sandbox.url).v1.customers.list({"limit": 3})
    assert [c.id for c in first.data] == [c.id for c in second.data]
    assert len(first.data) == 3
    assert make_client(seeded_sandbox.url, api_key=SANDBOX_API_KEY).v1.accounts.retrieve_current()


@pytest.mark.parametrize(
    "key", ["sk_test_", "sk_test_has-a-dash", "sk_live_not_configured", "pk_test_abc", "sk_abc"]
)
def test_a_malformed_or_unconfigured_key_is_401(seeded_sandbox: SandboxHandle, key: str) -> None:
    with pytest.raises(stripe.AuthenticationError) as caught:
        make_client(seeded_sandbox.url, api_key=key).v1.customers.list()
    assert caught.value.http_status == 401
    assert "Invalid API Key provided" in str(caught.value.user_message)


def test_api_keys_restrict_the_default_account_to_the_keys_given(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(
        SandboxConfig(rate_limit=None, api_keys=("sk_test_mine_1", "sk_test_mine_2"))
    )
    for key in ("sk_test_mine_1", "sk_test_mine_2"):
        assert make_client(handle.url, api_key=key).v1.customers.list().data == []
    for key in (SANDBOX_API_KEY, "sk_test_someone_else"):
        with pytest.raises(stripe.AuthenticationError):
            make_client(handle.url, api_key=key).v1.customers.list()


def test_basic_auth_with_the_key_as_user_works_as_bearer(seeded_sandbox: SandboxHandle) -> None:
    key = "sk_test_basic_auth_user"
    basic = base64.b64encode(f"{key}:".encode()).decode()
    by_basic = httpx.get(
        f"{seeded_sandbox.url}/v1/customers?limit=2", headers={"Authorization": f"Basic {basic}"}
    )
    by_curl_u = httpx.get(f"{seeded_sandbox.url}/v1/customers?limit=2", auth=(key, ""))
    by_bearer = httpx.get(
        f"{seeded_sandbox.url}/v1/customers?limit=2", headers={"Authorization": f"Bearer {key}"}
    )
    assert by_basic.status_code == by_curl_u.status_code == by_bearer.status_code == 200
    assert by_basic.json()["data"] == by_curl_u.json()["data"] == by_bearer.json()["data"]
    wrong = base64.b64encode(b"rk_test_nobody:").decode()
    refused = httpx.get(
        f"{seeded_sandbox.url}/v1/customers", headers={"Authorization": f"Basic {wrong}"}
    )
    assert refused.status_code == 401


def _restricted(sandbox_factory) -> SandboxHandle:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(
        SandboxConfig(
            rate_limit=None,
            restricted_keys={
                READ_ONLY: ("rak_customer_read", "rak_subscription_read", "rak_event_read"),
                CUSTOMER_WRITER: ("rak_customer_write",),
            },
        )
    )
    return handle


def test_a_restricted_key_reads_what_its_permissions_allow(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle = _restricted(sandbox_factory)
    make_client(handle.url).v1.customers.create({"email": "seen@example.com"})
    reader = make_client(handle.url, api_key=READ_ONLY)
    assert [c.email for c in reader.v1.customers.list().data] == ["seen@example.com"]
    assert reader.v1.subscriptions.list().data == []
    assert reader.v1.events.list().data[0].type == "customer.created"
    assert reader.v1.customers.search({"query": "email:'seen@example.com'"}).data


def test_a_missing_permission_is_stripes_403_naming_it(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle = _restricted(sandbox_factory)
    reader = make_client(handle.url, api_key=READ_ONLY)
    with pytest.raises(stripe.PermissionError) as caught:
        reader.v1.customers.create({"email": "nope@example.com"})
    error = caught.value
    assert error.http_status == 403
    assert error.json_body["error"]["type"] == "invalid_request_error"
    shown = "rk_test_" + "*" * (len(READ_ONLY) - 12) + "cdef"
    assert error.json_body["error"]["message"] == (
        f"The provided key '{shown}' does not have the required "
        f"permissions for this endpoint on account '{DEFAULT_ACCOUNT_ID}'. Having the "
        "'rak_customer_write' permission would allow this request to continue."
    )
    assert make_client(handle.url).v1.customers.list().data == []
    cases = [
        (lambda: reader.v1.prices.list(), "rak_plan_read"),
        (lambda: reader.v1.products.list(), "rak_product_read"),
        (lambda: reader.v1.coupons.list(), "rak_coupon_read"),
        (lambda: reader.v1.invoices.list(), "rak_invoice_read"),
        (lambda: reader.v1.invoice_items.list(), "rak_invoice_item_read"),
        (lambda: reader.v1.webhook_endpoints.list(), "rak_webhook_read"),
        (lambda: reader.v1.test_helpers.test_clocks.list(), "rak_test_clock_read"),
        (lambda: reader.v1.subscriptions.cancel("sub_x"), "rak_subscription_write"),
        (lambda: reader.v1.accounts.retrieve_current(), "rak_accounts_kyc_basic_read"),
    ]
    for call, permission in cases:
        with pytest.raises(stripe.PermissionError) as refused:
            call()
        assert f"Having the '{permission}' permission" in str(refused.value.user_message)


def test_a_write_permission_grants_reading_too(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle = _restricted(sandbox_factory)
    writer = make_client(handle.url, api_key=CUSTOMER_WRITER)
    created = writer.v1.customers.create({"email": "w@example.com"})
    assert writer.v1.customers.retrieve(created.id).email == "w@example.com"
    with pytest.raises(stripe.PermissionError):
        writer.v1.subscriptions.list()


def test_an_unknown_url_is_404_before_any_permission_check(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    handle = _restricted(sandbox_factory)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        make_client(handle.url, api_key=READ_ONLY).raw_request("get", "/v1/no_such_things")
    assert caught.value.http_status == 404


def test_every_served_endpoint_names_the_permission_it_needs() -> None:
    unnamed = [
        f"{route.method} {route.path}"
        for route in all_routes()
        if required_permission(route.method, route.path.replace("{id}", "x"), own_account="a")
        is None
    ]
    assert unnamed == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (dict(restricted_keys={"sk_test_x": ("rak_customer_read",)}), "restricted key"),
        (dict(restricted_keys={"rk_test_x": ("customer_read",)}), "rak_customer_read"),
        (dict(restricted_keys={"rk_test_x": "rak_customer_read"}), "list of names"),
        (dict(api_keys=("rk_test_x",)), "secret key"),
        (dict(accounts=(SandboxAccount(DEFAULT_ACCOUNT_ID),)), "must differ"),
        (
            dict(
                api_keys=("sk_test_a",),
                accounts=(SandboxAccount("acct_2", api_keys=("sk_test_a",)),),
            ),
            "key of both",
        ),
    ],
)
def test_a_bad_key_configuration_is_refused_clearly(
    config: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SandboxConfig(**config)  # type: ignore[arg-type]
