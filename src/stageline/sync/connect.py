"""Connecting with an API key: check its scopes with real calls, then register our webhook.

The restricted key needs read access to customers, subscriptions, invoices, prices, products,
coupons and events (each checked with a one-object list call), and write access to webhook
endpoints when Stageline creates its own endpoint: at ``{public_url}/webhooks/stripe/{id}``,
pinned to the SDK's API version, subscribed to :data:`NEEDED_EVENT_TYPES`. The signing secret
Stripe returns (only once, at creation) is stored encrypted.

>>> check_key_scopes(gateway)  # doctest: +SKIP
>>> register_webhook_endpoint(store, box, connection_id="conn_1", gateway=gateway,
...                           public_url="https://stageline.example.com")  # doctest: +SKIP
'we_123'
"""

from __future__ import annotations

from stageline.errors import StripeError
from stageline.security import SecretBox
from stageline.store.db import Store
from stageline.store.models import StripeConnection
from stageline.stripe_api.client import StripeGateway
from stageline.sync.events import NEEDED_EVENT_TYPES
from stageline.sync.status import webhook_url

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
