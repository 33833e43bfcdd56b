"""What stands between a request and a handler: keys, rate limits and injected faults.

>>> limiter = RateLimiter()
>>> limiter.allow("sk_test_x", rate=2.0, now=0.0), limiter.allow("sk_test_x", rate=2.0, now=0.0)
(True, True)
>>> limiter.allow("sk_test_x", rate=2.0, now=0.0)
False
"""

from __future__ import annotations

import base64
import random
import re
import threading

from stageline_sandbox.config import FaultConfig, SandboxConfig
from stageline_sandbox.errors import StripeApiError, api_error, authentication_error, rate_limited
from stageline_sandbox.permissions import redacted

_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://docs.stripe.com/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


def api_key_from(authorization: str | None, config: SandboxConfig) -> str:
    """The caller's key from ``Authorization`` (Bearer, or Basic with the key as user).

    Raises Stripe's 401 when there is no key or no account of ``config`` has it.
    """
    if not authorization or not authorization.strip():
        raise authentication_error(_NO_KEY)
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() == "basic":
        try:
            credential = base64.b64decode(credential).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            credential = ""
    elif scheme.lower() != "bearer":
        raise authentication_error(
            "Invalid API Key provided: the Authorization header must use Bearer auth."
        )
    if not credential:
        raise authentication_error(_NO_KEY)
    if not config.accepts(credential):
        raise authentication_error(f"Invalid API Key provided: {redacted(credential)}")
    return credential


class RateLimiter:
    """A token bucket per API key: ``rate`` requests per second, bursts up to ``rate``."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, *, rate: float, now: float) -> bool:
        with self._lock:
            tokens, last = self._buckets.get(key, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True


def injected_error(status: int) -> StripeApiError:
    """An error of ``status`` as Stripe words one, for :class:`FaultInjector`.

    >>> injected_error(404).body()["error"]["code"]
    'resource_missing'
    >>> injected_error(503).type
    'api_error'
    """
    if status >= 500:
        error = api_error("An injected fault: the sandbox pretends to fail.")
        error.status = status
        return error
    if status == 404:
        return StripeApiError(
            404, "No such object: an injected fault.", code="resource_missing", param="id"
        )
    return StripeApiError(status, "An injected fault: the sandbox refuses this request.")


class FaultInjector:
    """Draws, from one seeded generator, which requests and deliveries misbehave."""

    def __init__(self, faults: FaultConfig) -> None:
        self.faults = faults
        self._rng = random.Random(faults.random_seed)
        self._lock = threading.Lock()

    def _draw(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def request_fault(self, path: str = "") -> StripeApiError | None:
        """The error to answer a request for ``path`` with instead of running it, if any."""
        pattern = self.faults.path_pattern
        if pattern is not None and re.search(pattern, path) is None:
            return None
        if self._draw(self.faults.error_rate):
            fault = injected_error(self.faults.error_status)
        elif self._draw(self.faults.rate_limit_rate):
            fault = rate_limited("global-rate")
        else:
            return None
        if self.faults.should_retry is not None:
            fault.headers["Stripe-Should-Retry"] = "true" if self.faults.should_retry else "false"
        return fault

    def drop_delivery(self) -> bool:
        return self._draw(self.faults.webhook_drop_rate)

    def duplicate_delivery(self) -> bool:
        return self._draw(self.faults.webhook_duplicate_rate)

    def shuffle(self, items: list[str]) -> None:
        if self.faults.webhook_reorder:
            with self._lock:
                self._rng.shuffle(items)
