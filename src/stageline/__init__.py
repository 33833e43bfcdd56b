"""Stageline: Stripe billing data turned into customer lifecycle.

The public surface is small on purpose: the CLI (``stageline``), the web app factory
(:func:`stageline.web.create_app`) and the pure domain core (:mod:`stageline.domain`).
"""

__version__ = "0.1.0"
