"""When to ask Stripe again, and how long to wait: the only retrying Stageline does.

Every call to Stripe goes through ``StripeGateway``, which retries in one place under a
:class:`RetryBudget` (built from ``Settings``: ``stripe_retry_attempts``,
``stripe_retry_seconds``, ``stripe_retry_first_delay_seconds``); the SDK's own retries are
off, and nothing above the gateway retries a failed call.

What is retried (:func:`should_retry`), in this order:

1. ``Stripe-Should-Retry: true`` or ``false`` decides, whatever the status (Stripe's own hint,
   which the SDK obeys first too);
2. a connection error the SDK marks retryable (timeouts, refused connections);
3. 409 (a conflicting concurrent request), 429 (rate limits and lock timeouts) and 5xx.

Nothing else: a 400, 401, 402, 403 or 404 gets the same answer when asked again.

>>> budget = RetryBudget(attempts=4, seconds=30.0, first_delay=0.5)
>>> [budget.delay_bound(n) for n in (1, 2, 3)]
[0.5, 1.0, 2.0]
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe

MAX_DELAY = 8.0
"""No wait between two attempts is longer than this, in seconds."""


@dataclass(frozen=True)
class RetryBudget:
    """How hard one call may try: at most ``attempts`` requests (the first included), and no
    wait that would end more than ``seconds`` after the first request began.

    The wait before retry ``n`` is drawn from ``[bound / 2, bound]`` with ``bound =
    first_delay * 2 ** (n - 1)``, at most :data:`MAX_DELAY` (exponential backoff with
    jitter, as Stripe advises: it sends no ``Retry-After``).
    """

    attempts: int
    seconds: float
    first_delay: float

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.seconds < 0 or self.first_delay < 0:
            raise ValueError(f"not a usable retry budget: {self}")

    def delay_bound(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1 for the first retry)."""
        return min(MAX_DELAY, self.first_delay * 2.0 ** (retry - 1))

    def delay(self, retry: int) -> float:
        bound = self.delay_bound(retry)
        return random.uniform(bound / 2, bound)


def should_retry(exc: stripe.StripeError) -> bool:
    """Whether asking again may get another answer; see the module doc for the rules."""
    hint = _header(exc.headers, "stripe-should-retry")
    if hint in ("true", "false"):
        return hint == "true"
    if isinstance(exc, stripe.APIConnectionError):
        return bool(exc.should_retry)
    status = exc.http_status or 0
    return isinstance(exc, stripe.RateLimitError) or status in (409, 429) or status >= 500


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).lower() == name:
            return str(value).strip().lower()
    return None
