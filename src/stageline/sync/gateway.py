"""Build Stripe gateways for a stored connection (decrypting its key only here).

A key has one rate limit (25 requests/s in test mode, 100 live); ``gateways_for`` splits it
between the gateways of a concurrent backfill so that together they stay under it.

Example::

    gateways = gateways_for(connection, settings, count=4)
    [g.livemode for g in gateways]
    # [False, False, False, False]
"""

from __future__ import annotations

from stageline.config import Settings
from stageline.errors import ConfigError
from stageline.security import SecretBox
from stageline.store.models import StripeConnection
from stageline.stripe_api.client import StripeGateway
from stageline.stripe_api.retries import RetryBudget

TEST_MODE_RATE = 25.0
LIVE_MODE_RATE = 100.0
RATE_SHARE = 0.8
"""The share of Stripe's limit Stageline allows itself, leaving room for the merchant."""


def gateway_for(
    connection: StripeConnection, settings: Settings, *, requests_per_second: float | None = None
) -> StripeGateway:
    if connection.api_key_ciphertext is None:
        raise ConfigError(
            f"connection {connection.id} is waiting for an API key",
            hint=f"stageline connections set-key {connection.id} --api-key rk_...",
        )
    box = SecretBox(settings.secret_key.get_secret_value())
    return StripeGateway(
        api_key=box.decrypt(connection.api_key_ciphertext),
        api_base=connection.api_base,
        retry=retry_budget(settings),
        requests_per_second=requests_per_second,
    )


def retry_budget(settings: Settings) -> RetryBudget:
    """The retry budget of every call to Stripe, from the ``stripe_retry_*`` settings."""
    return RetryBudget(
        attempts=settings.stripe_retry_attempts,
        seconds=settings.stripe_retry_seconds,
        first_delay=settings.stripe_retry_first_delay_seconds,
    )


def gateways_for(
    connection: StripeConnection, settings: Settings, *, count: int
) -> list[StripeGateway]:
    """``count`` gateways sharing the key's rate limit (each paces itself on its share)."""
    limit = LIVE_MODE_RATE if connection.mode == "live" else TEST_MODE_RATE
    share = limit * RATE_SHARE / max(1, count)
    return [
        gateway_for(connection, settings, requests_per_second=share) for _ in range(max(1, count))
    ]


def maybe_gateway_for(connection: StripeConnection, settings: Settings) -> StripeGateway | None:
    """The gateway, or ``None`` for a connection without an API key (linked by the app)."""
    if connection.api_key_ciphertext is None:
        return None
    return gateway_for(connection, settings)
