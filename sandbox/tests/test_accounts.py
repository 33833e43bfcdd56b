"""Several accounts, each with its own data; ``Stripe-Account``; ``GET /v1/account``."""

from __future__ import annotations

import json

import httpx
import pytest
import stripe

from stageline_sandbox import SandboxConfig, SandboxHandle
from stageline_sandbox.config import DEFAULT_ACCOUNT_ID, AccountProfile, SandboxAccount

from .conftest import make_client
from .receiver import webhook_receiver

PLATFORM_KEY = "sk_test_platform_key_0001"
BETA, BETA_KEY = "acct_1BetaGmbH0000001", "sk_test_beta_key_0002"
GAMMA, GAMMA_KEY = "acct_1GammaLtd000002", "sk_test_gamma_key_0003"
APP_LINKED = "acct_1AppLinked000003"

ACCOUNT_FIELDS = {
    "business_profile",
    "business_type",
    "capabilities",
    "charges_enabled",
    "controller",
    "country",
    "created",
    "default_currency",
    "details_submitted",
    "email",
    "external_accounts",
    "future_requirements",
    "id",
    "metadata",
    "object",
    "payouts_enabled",
    "requirements",
    "settings",
    "tos_acceptance",
    "type",
}
"""The fields of Stripe's own example account (``fixtures3.json``, resource ``account``)."""


def _config() -> SandboxConfig:
    return SandboxConfig(
        rate_limit=None,
        webhook_retry_delays=(0.05,),
        account=AccountProfile(
            "acct_1PlatformInc00000", "US", "usd", "Platform Inc", "billing@platform.example"
        ),
        accounts=(
            SandboxAccount(
                BETA, "DE", "eur", "Beta GmbH", "ops@beta.example", api_keys=(BETA_KEY,)
            ),
            SandboxAccount(GAMMA, "GB", "gbp", "Gamma Ltd", api_keys=(GAMMA_KEY,)),
            SandboxAccount(APP_LINKED, display_name="Linked through an app"),
        ),
    )


@pytest.fixture
def accounts(sandbox_factory) -> SandboxHandle:  # type: ignore[no-untyped-def]
    handle: SandboxHandle = sandbox_factory(_config())
    return handle


def _as(handle: SandboxHandle, key: str, account: str | None = None) -> stripe.StripeClient:
    return stripe.StripeClient(
        key, base_addresses={"api": handle.url}, stripe_account=account, max_network_retries=0
    )


def test_each_account_has_its_own_data(accounts: SandboxHandle) -> None:
    platform, beta = _as(accounts, PLATFORM_KEY), _as(accounts, BETA_KEY)
    mine = platform.v1.customers.create({"email": "platform@example.com"})
    theirs = beta.v1.customers.create({"email": "beta@example.com"})
    beta.v1.products.create({"name": "Beta product"})
    assert [c.id for c in platform.v1.customers.list().data] == [mine.id]
    assert [c.id for c in beta.v1.customers.list().data] == [theirs.id]
    assert platform.v1.products.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        platform.v1.customers.retrieve(theirs.id)
    assert caught.value.http_status == 404
    assert [e.data.object.id for e in beta.v1.events.list({"type": "customer.*"}).data] == [
        theirs.id
    ]
    assert _as(accounts, GAMMA_KEY).v1.customers.list().data == []
    assert accounts.store_for(BETA).count("customer") == 1
    assert accounts.store.count("customer") == 1


def test_a_platform_key_acts_on_a_connected_account_through_stripe_account(
    accounts: SandboxHandle,
) -> None:
    beta_customer = _as(accounts, BETA_KEY).v1.customers.create({"email": "b@example.com"})
    through_platform = _as(accounts, PLATFORM_KEY, BETA)
    assert [c.id for c in through_platform.v1.customers.list().data] == [beta_customer.id]
    linked = _as(accounts, PLATFORM_KEY, APP_LINKED)
    created = linked.v1.customers.create({"email": "linked@example.com"})
    assert accounts.store_for(APP_LINKED).get("customer", created.id) is not None
    assert accounts.store.get("customer", created.id) is None
    per_request = _as(accounts, PLATFORM_KEY).v1.customers.list(
        options={"stripe_account": APP_LINKED}
    )
    assert [c.id for c in per_request.data] == [created.id]


def test_stripe_account_naming_the_keys_own_account_is_accepted(accounts: SandboxHandle) -> None:
    beta_customer = _as(accounts, BETA_KEY).v1.customers.create({"email": "b@example.com"})
    assert [c.id for c in _as(accounts, BETA_KEY, BETA).v1.customers.list().data] == [
        beta_customer.id
    ]
    own = _as(accounts, PLATFORM_KEY, "acct_1PlatformInc00000").v1.accounts.retrieve_current()
    assert own.id == "acct_1PlatformInc00000"


@pytest.mark.parametrize(
    ("key", "target"),
    [
        (BETA_KEY, "acct_1PlatformInc00000"),  # a connected account may not act on its platform
        (BETA_KEY, GAMMA),  # nor on another connected account
        (PLATFORM_KEY, "acct_1NoSuchAccount000"),  # an account that does not exist
        (PLATFORM_KEY, "not-an-account"),
    ],
)
def test_stripe_account_the_key_may_not_reach_is_stripes_403(
    accounts: SandboxHandle, key: str, target: str
) -> None:
    with pytest.raises(stripe.PermissionError) as caught:
        _as(accounts, key, target).v1.customers.list()
    error = caught.value
    assert error.http_status == 403
    assert error.json_body["error"]["code"] == "account_invalid"
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert error.json_body["error"]["message"] == (
        f"The provided key '{key[:8]}{'*' * (len(key) - 12)}{key[-4:]}' does not have access "
        f"to account '{target}' (or that account does not exist). Application access may have "
        "been revoked."
    )
    assert accounts.store.count("customer") == 0


def test_get_account_answers_the_accounts_fields(accounts: SandboxHandle) -> None:
    account = _as(accounts, BETA_KEY).v1.accounts.retrieve_current()
    raw = json.loads(
        httpx.get(
            f"{accounts.url}/v1/account", headers={"Authorization": f"Bearer {BETA_KEY}"}
        ).text
    )
    assert set(raw) >= ACCOUNT_FIELDS
    assert account.id == BETA and account.object == "account"
    assert (account.country, account.default_currency, account.email) == (
        "DE",
        "eur",
        "ops@beta.example",
    )
    assert account.settings.dashboard.display_name == "Beta GmbH"
    assert account.business_profile.name == "Beta GmbH"
    assert account.charges_enabled and account.details_submitted and account.payouts_enabled
    assert account.type == "standard" and isinstance(account.created, int)
    assert raw["requirements"]["currently_due"] == [] and raw["metadata"] == {}


def test_get_account_by_id_for_the_own_and_the_connected_accounts(accounts: SandboxHandle) -> None:
    platform = _as(accounts, PLATFORM_KEY)
    assert platform.v1.accounts.retrieve("acct_1PlatformInc00000").country == "US"
    assert platform.v1.accounts.retrieve(GAMMA).default_currency == "gbp"
    assert _as(accounts, PLATFORM_KEY, GAMMA).v1.accounts.retrieve_current().id == GAMMA
    listed = platform.v1.accounts.list({"limit": 2})
    assert len(listed.data) == 2 and listed.has_more
    rest = platform.v1.accounts.list({"starting_after": listed.data[-1].id})
    assert {a.id for a in [*listed.data, *rest.data]} == {BETA, GAMMA, APP_LINKED}
    assert _as(accounts, BETA_KEY).v1.accounts.list().data == []
    with pytest.raises(stripe.PermissionError) as caught:
        _as(accounts, BETA_KEY).v1.accounts.retrieve(GAMMA)
    assert caught.value.json_body["error"]["code"] == "account_invalid"


def test_the_default_account_answers_a_default_profile(seeded_sandbox: SandboxHandle) -> None:
    account = make_client(seeded_sandbox.url).v1.accounts.retrieve_current()
    assert account.id == DEFAULT_ACCOUNT_ID
    assert (account.country, account.default_currency) == ("US", "usd")
    assert account.settings.dashboard.display_name == "Stageline Sandbox"


def test_a_tool_using_the_sdks_global_style_reads_the_account_first(
    seeded_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe, "api_key", "sk_test_some_tools_own_key")
    monkeypatch.setattr(stripe, "api_base", seeded_sandbox.url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    account = stripe.Account.retrieve()
    assert account.id == DEFAULT_ACCOUNT_ID
    customers = stripe.Customer.list(limit=5)
    assert len(customers.data) == 5


def test_a_restricted_key_needs_an_account_permission_for_get_account(
    sandbox_factory,  # type: ignore[no-untyped-def]
) -> None:
    handle: SandboxHandle = sandbox_factory(
        SandboxConfig(
            rate_limit=None,
            restricted_keys={
                "rk_test_no_account_0001": ("rak_customer_read",),
                "rk_test_account_0002": ("rak_accounts_kyc_basic_read",),
            },
        )
    )
    with pytest.raises(stripe.PermissionError) as caught:
        make_client(handle.url, api_key="rk_test_no_account_0001").v1.accounts.retrieve_current()
    assert "'rak_accounts_kyc_basic_read' permission" in str(caught.value.user_message)
    allowed = make_client(handle.url, api_key="rk_test_account_0002")
    assert allowed.v1.accounts.retrieve_current().id == DEFAULT_ACCOUNT_ID


def test_a_connected_accounts_events_name_it_and_reach_only_its_endpoints(
    accounts: SandboxHandle,
) -> None:
    platform, beta = _as(accounts, PLATFORM_KEY), _as(accounts, BETA_KEY)
    with webhook_receiver() as own, webhook_receiver() as theirs, webhook_receiver() as connect:
        platform.v1.webhook_endpoints.create({"url": own.url, "enabled_events": ["*"]})
        platform.v1.webhook_endpoints.create(
            {"url": connect.url, "enabled_events": ["customer.created"], "connect": True}
        )
        beta.v1.webhook_endpoints.create({"url": theirs.url, "enabled_events": ["*"]})
        mine = platform.v1.customers.create({"email": "p@example.com"})
        beta_customer = beta.v1.customers.create({"email": "b@example.com"})
        via_platform = _as(accounts, PLATFORM_KEY, BETA).v1.customers.create({"name": "Via"})
        assert accounts.wait_for_webhooks(10.0)
        received = {
            name: [json.loads(r.body) for r in receiver.received]
            for name, receiver in (("own", own), ("theirs", theirs), ("connect", connect))
        }
    assert [e["data"]["object"]["id"] for e in received["own"]] == [mine.id]
    assert "account" not in received["own"][0]
    assert sorted(e["data"]["object"]["id"] for e in received["theirs"]) == sorted(
        [beta_customer.id, via_platform.id]
    )
    assert sorted(e["data"]["object"]["id"] for e in received["connect"]) == sorted(
        [beta_customer.id, via_platform.id]
    )
    assert {e["account"] for e in received["theirs"] + received["connect"]} == {BETA}
    listed = beta.v1.events.list({"type": "customer.created"}).data
    assert {e.account for e in listed} == {BETA}
    assert all(e.pending_webhooks == 0 for e in listed)


def test_a_connected_accounts_test_clock_bills_in_its_own_store(accounts: SandboxHandle) -> None:
    beta = _as(accounts, PLATFORM_KEY, BETA)
    clock = beta.v1.test_helpers.test_clocks.create({"frozen_time": 1_767_225_600})
    customer = beta.v1.customers.create(
        {
            "test_clock": clock.id,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    price = beta.v1.prices.create(
        {
            "currency": "eur",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Beta plan"},
        }
    )
    beta.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}]})
    beta.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": 1_767_225_600 + 40 * 86_400})
    invoices = beta.v1.invoices.list({"customer": customer.id}).data
    assert len(invoices) == 2 and {i.currency for i in invoices} == {"eur"}
    assert accounts.store.count("invoice") == 0
    assert accounts.store_for(BETA).count("invoice") == 2
