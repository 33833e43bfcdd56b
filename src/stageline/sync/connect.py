"""Connecting with an API key: learn which Stripe account it belongs to, check its scopes
with real calls, then register our webhook.

A Stripe account in one mode is one connection: :func:`identify_account` reads its id
(``GET /v1/account``), so connecting the same account again updates that connection.

The restricted key needs read access to customers, subscriptions, invoices, prices, products,
coupons and events (each checked with a one-object list call), and write access to webhook
endpoints when Stageline creates its own endpoint: at ``{public_url}/webhooks/stripe/{id}``,
pinned to the SDK's API version, subscribed to :data:`NEEDED_EVENT_TYPES`. The signing secret
Stripe returns (only once, at creation) is stored encrypted.

Example::

    account = identify_account(gateway)   # StripeAccount(id='acct_...', mode='test', ...)
    check_key_scopes(gateway)
    register_webhook_endpoint(store, box, connection_id="conn_1", gateway=gateway,
                              public_url="https://stageline.example.com")
    # 'we_123'
"""

from __future__ import annotations

from dataclasses import dataclass

from stageline.errors import StripeAuthError, StripeError
from stageline.security import SecretBox
from stageline.store.db import Store
from stageline.store.models import StripeConnection
from stageline.stripe_api.client import StripeGateway
from stageline.sync.events import NEEDED_EVENT_TYPES
from stageline.sync.status import webhook_url

ACCOUNT_PERMISSION = "rak_accounts_kyc_basic_read"


@dataclass(frozen=True)
class StripeAccount:
    """Who a key belongs to: a Stripe account in one mode is one connection, however often
    it is connected."""

    id: str
    mode: str
    display_name: str | None = None


def identify_account(gateway: StripeGateway) -> StripeAccount:
    """Ask Stripe which account the key belongs to; a restricted key needs Account read."""
    try:
        account = gateway.retrieve_account()
    except StripeAuthError as exc:
        if "permission" not in exc.message:
            raise
        raise StripeAuthError(
            f"the key may not read its own Stripe account: {exc.message}",
            hint=f"add the '{ACCOUNT_PERMISSION}' permission (Account: read) to the "
            "restricted key, so Stageline can tell which Stripe account it belongs to",
        ) from exc
    settings = account.get("settings") or {}
    dashboard = settings.get("dashboard") or {} if isinstance(settings, dict) else {}
    name = dashboard.get("display_name") if isinstance(dashboard, dict) else None
    return StripeAccount(
        id=str(account["id"]),
        mode="live" if gateway.livemode else "test",
        display_name=name if isinstance(name, str) else None,
    )


READ_SCOPES = ("customers", "subscriptions", "invoices", "prices", "products", "coupons", "events")


def check_key_scopes(gateway: StripeGateway) -> None:
    """One cheap list call per resource the sync reads; raises ``StripeAuthError`` if refused."""
    for resource in READ_SCOPES:
        gateway.list_page(resource, {"limit": 1})


def register_webhook_endpoint(
    store: Store,
    box: SecretBox,
    *,
    connection_id: str,
    gateway: StripeGateway,
    public_url: str,
) -> str:
    """Create our endpoint on Stripe and keep its signing secret; returns the endpoint id."""
    endpoint = gateway.create_webhook_endpoint(
        url=webhook_url(public_url, connection_id), events=list(NEEDED_EVENT_TYPES)
    )
    secret = endpoint.get("secret")
    if not isinstance(secret, str) or not secret:
        raise StripeError("Stripe created the webhook endpoint but returned no signing secret")
    with store.session() as session:
        connection = session.get_one(StripeConnection, connection_id)
        connection.webhook_endpoint_id = str(endpoint["id"])
        connection.webhook_secret_ciphertext = box.encrypt(secret)
    return str(endpoint["id"])
