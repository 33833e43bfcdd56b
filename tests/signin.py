"""A fresh one-time sign-in link for tests that drive the web UI."""

from __future__ import annotations

from datetime import UTC, datetime

from stageline.config import Settings
from stageline.store.db import Store
from stageline.web.ui import login_link


def sign_in_path(store: Store, settings: Settings, workspace_id: str) -> str:
    """``/login?token=...`` for ``workspace_id``: opening it signs a test client in, once."""
    with store.session() as session:
        link = login_link(session, settings, workspace_id, now=datetime.now(UTC))
    return link.removeprefix(settings.public_url)
