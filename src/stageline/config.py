"""Settings: built once at start-up (``Settings.load()``) and passed down; never read at import.

With no configuration at all the embedded defaults work: SQLite in ``./.stageline/`` and a
secret key generated on first use and kept in the data dir (mode 0600).

Example::

    settings = Settings.load(data_dir="/tmp/stageline-doc")
    settings.database_url
    # 'sqlite:////tmp/stageline-doc/stageline.db'
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from stageline.errors import ConfigError

DEFAULT_STRIPE_API_BASE = "https://api.stripe.com"
SECRET_KEY_FILE = "secret.key"


class Settings(BaseSettings):
    """Every knob Stageline reads, from ``STAGELINE_*`` environment variables or arguments."""

    model_config = SettingsConfigDict(env_prefix="STAGELINE_", extra="ignore")

    data_dir: Path = Field(default=Path(".stageline"))
    database_url: str = ""
    secret_key: SecretStr = SecretStr("")
    stripe_api_base: str = DEFAULT_STRIPE_API_BASE
    stripe_retry_attempts: int = Field(default=6, ge=1)
    """Requests one call to Stripe may make, the first included (``docs/sync.md``, Retries)."""
    stripe_retry_seconds: float = Field(default=60.0, ge=0)
    """Time one call may spend: no wait ends later than this after its first request."""
    stripe_retry_first_delay_seconds: float = Field(default=0.5, ge=0)
    """The wait before the first retry; each next one doubles (at most 8 s), with jitter."""
    public_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    webhook_max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    webhook_tolerance_seconds: int = 300
    stripe_app_signing_secret: SecretStr = SecretStr("")
    events_catch_up_seconds: int = 60
    session_lifetime_hours: int = Field(default=14 * 24, ge=1)
    sign_in_link_lifetime_hours: int = Field(default=24, ge=1)
    environment: str = "development"

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build the settings, fill embedded defaults, create the data dir and secret key."""
        settings = cls(**overrides)
        settings.data_dir = settings.data_dir.expanduser().resolve()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not settings.database_url:
            settings.database_url = f"sqlite:///{settings.data_dir / 'stageline.db'}"
        if not settings.secret_key.get_secret_value():
            settings.secret_key = SecretStr(_load_or_create_secret_key(settings.data_dir))
        if settings.environment == "production" and settings.database_url.startswith("sqlite"):
            raise ConfigError(
                "SQLite is the embedded default, not a production store",
                hint="set STAGELINE_DATABASE_URL=postgresql+psycopg://...",
            )
        return settings

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _load_or_create_secret_key(data_dir: Path) -> str:
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) < 32:
            raise ConfigError(f"secret key in {path} is too short", hint="delete it to regenerate")
        return key
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
