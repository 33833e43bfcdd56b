"""Stripe-style object ids (``cus_`` + 14 base-62 characters).

Seeded data takes its ids from a seeded generator, so the same seed gives the same ids;
objects created through the API take fresh random ones.

>>> ids = IdFactory(seed=1)
>>> ids.new("cus") == IdFactory(seed=1).new("cus")
True
>>> len(new_id("sub"))
18
"""

from __future__ import annotations

import random
import secrets
import string

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_LENGTH = 14
_BYTE_TO_CHAR = bytes(ord(ALPHABET[b % 62]) for b in range(256))


def _encode(number: int) -> str:
    chars = []
    for _ in range(_LENGTH):
        number, rest = divmod(number, 62)
        chars.append(ALPHABET[rest])
    return "".join(chars)


class IdFactory:
    """Ids from a seeded generator (``seed=None``: from the OS's randomness)."""

    def __init__(self, seed: int | str | None = None) -> None:
        self._rng = random.Random(seed) if seed is not None else None

    def new(self, prefix: str) -> str:
        if self._rng is None:
            return new_id(prefix)
        chars = self._rng.randbytes(_LENGTH).translate(_BYTE_TO_CHAR).decode("ascii")
        return f"{prefix}_{chars}"


def new_id(prefix: str) -> str:
    """A fresh random id with Stripe's ``prefix_`` form."""
    return f"{prefix}_{_encode(secrets.randbits(84))}"


def secret_token(prefix: str, length: int = 32) -> str:
    """A random secret such as a webhook endpoint's ``whsec_`` signing secret."""
    return prefix + "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(length)
    )
