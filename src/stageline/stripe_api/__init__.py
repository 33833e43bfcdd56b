"""The Stripe adapter: the official SDK behind a small gateway, and the one field mapping."""

from stageline.stripe_api.client import API_VERSION, Page, StripeGateway

__all__ = ["API_VERSION", "Page", "StripeGateway"]
