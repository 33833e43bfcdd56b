"""Secrets at rest: API keys hashed, Stripe credentials encrypted.

Stageline's own API keys and connection secrets are 256-bit random tokens, so a single
SHA-256 is a sound one-way hash for them (no password stretching needed). Stripe keys and
webhook signing secrets must be read back, so they are encrypted with Fernet (AES-128-CBC
+ HMAC-SHA256) under a key derived from ``STAGELINE_SECRET_KEY``.

>>> token = new_token("sl")
>>> token.startswith("sl_") and verify_token(token, hash_token(token))
True
>>> box = SecretBox("x" * 48)
>>> box.decrypt(box.encrypt("rk_test_123"))
'rk_test_123'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

from stageline.errors import ConfigError


def new_token(prefix: str) -> str:
    """A fresh random token, e.g. ``new_token("sl") == "sl_Xk2..."`` (43 random chars)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def new_id(prefix: str) -> str:
    """A short public identifier such as ``ws_3f9a1c2b7d4e``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def verify_token(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_hash)


class SecretBox:
    """Encrypts and decrypts short secrets with a key derived from the settings' secret key."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"stageline-secretbox-v1:" + secret_key.encode("utf-8")).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigError(
                "a stored secret cannot be decrypted with the current secret key",
                hint="restore the STAGELINE_SECRET_KEY (or data dir secret.key) it was stored with",
            ) from exc


def last4(secret: str) -> str:
    """What we show of a secret: ``last4("rk_test_abcdef") == "…cdef"``."""
    return "…" + secret[-4:]
