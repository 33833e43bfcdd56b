"""The web adapter: REST API under /api/v1, the Stripe webhook receiver, the UI pages."""

from stageline.web.app import create_app

__all__ = ["create_app"]
