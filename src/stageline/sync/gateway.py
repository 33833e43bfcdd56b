"""Build the Stripe gateway for a stored connection (decrypting its key only here)."""

from __future__ import annotations

from stageline.config import Settings
from stageline.errors import ConfigError
from stageline.security import SecretBox
from stageline.store.models import StripeConnection
from stageline.stripe_api.client import StripeGateway


def gateway_for(connection: StripeConnection, settings: Settings) -> StripeGateway:
    if connection.api_key_ciphertext is None:
        raise ConfigError(
            f"connection {connection.id} has no API key",
            hint="stageline connect stripe --api-key rk_...",
        )
    box = SecretBox(settings.secret_key.get_secret_value())
    return StripeGateway(
        api_key=box.decrypt(connection.api_key_ciphertext),
        api_base=connection.api_base,
        max_network_retries=settings.stripe_max_network_retries,
    )
