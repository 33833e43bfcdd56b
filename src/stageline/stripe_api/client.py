"""A small gateway over the official ``stripe`` SDK: pinned version, paging, pacing, retries
(the only ones Stageline makes, under a :class:`~stageline.stripe_api.retries.RetryBudget`)
and error translation.

>>> budget = RetryBudget(attempts=6, seconds=60.0, first_delay=0.5)
>>> gateway = StripeGateway(api_key="sk_test_...", api_base="http://127.0.0.1:12111",
...                         retry=budget)

Example::

    for page in gateway.iter_pages("customers"):
        print(len(page.objects), page.last_id)
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import stripe

from stageline.errors import (
    StripeAuthError,
    StripeError,
    StripeObjectMissing,
    StripeRateLimited,
    StripeRefused,
    StripeUnavailable,
)
from stageline.stripe_api.retries import RetryBudget, should_retry

log = logging.getLogger("stageline.stripe")

API_VERSION: str = stripe.api_version
PAGE_SIZE = 100
LISTABLE = ("customers", "products", "prices", "coupons", "subscriptions", "invoices", "events")


@dataclass(frozen=True)
class Page:
    objects: list[dict[str, Any]]
    has_more: bool

    @property
    def last_id(self) -> str | None:
        return self.objects[-1]["id"] if self.objects else None


class TokenBucket:
    """Client-side request pacing under Stripe's per-key limit (25/s test mode, 100/s live)."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate_per_second
        self.capacity = max(1.0, rate_per_second)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Take one token, sleeping (outside the lock) until it is due; safe across threads.

        A token taken early is owed: the balance goes negative and later callers wait longer.
        """
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


class StripeGateway:
    """Everything Stageline asks of Stripe, through the official SDK (its retries off: the
    gateway retries each call itself, within ``retry``)."""

    def __init__(
        self,
        *,
        api_key: str,
        retry: RetryBudget,
        api_base: str = "https://api.stripe.com",
        requests_per_second: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.livemode = api_key.startswith(("sk_live_", "rk_live_"))
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": self.api_base}, max_network_retries=0
        )
        self.retry = retry
        self._sleep = sleep
        self._clock = clock
        rps = requests_per_second or (100.0 if self.livemode else 25.0)
        self._bucket = TokenBucket(rps, sleep=sleep)

    # -- reads -------------------------------------------------------------------------------

    def list_page(
        self,
        resource: str,
        params: dict[str, Any] | None = None,
        *,
        starting_after: str | None = None,
    ) -> Page:
        """One page of a list endpoint, newest first, as plain JSON dicts."""
        if resource not in LISTABLE:
            raise ValueError(f"not a listable resource: {resource}")
        query: dict[str, Any] = {"limit": PAGE_SIZE, **(params or {})}
        if starting_after:
            query["starting_after"] = starting_after
        service = getattr(self._client.v1, resource)
        result = self._call(lambda: service.list(query))
        objects = [obj.to_dict(for_json=True) for obj in result.data]
        return Page(objects=objects, has_more=bool(result.has_more))

    def iter_pages(
        self,
        resource: str,
        params: dict[str, Any] | None = None,
        *,
        starting_after: str | None = None,
    ) -> Iterator[Page]:
        """Every page of a list, following ``starting_after`` while ``has_more``."""
        cursor = starting_after
        while True:
            page = self.list_page(resource, params, starting_after=cursor)
            yield page
            if not page.has_more or page.last_id is None:
                return
            cursor = page.last_id

    def retrieve(
        self, resource: str, object_id: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        service = getattr(self._client.v1, resource)
        obj = self._call(lambda: service.retrieve(object_id, params or {}))
        result: dict[str, Any] = obj.to_dict(for_json=True)
        return result

    def retrieve_account(self) -> dict[str, Any]:
        """The Stripe account the key belongs to (``GET /v1/account``): its ``id`` is what
        identifies a connection, with the key's mode."""
        account = self._call(lambda: self._client.v1.accounts.retrieve_current())
        result: dict[str, Any] = account.to_dict(for_json=True)
        return result

    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        """Delete one of our endpoints; one already gone counts as deleted."""
        with contextlib.suppress(StripeObjectMissing):
            self._call(lambda: self._client.v1.webhook_endpoints.delete(endpoint_id))

    def check_access(self) -> None:
        """A real, cheap call proving the key works: raises ``StripeAuthError`` if not."""
        self.list_page("customers", {"limit": 1})

    # -- writes ------------------------------------------------------------------------------

    def create_webhook_endpoint(self, *, url: str, events: list[str]) -> dict[str, Any]:
        """Create our endpoint on Stripe, pinned to the SDK's API version; every retry sends
        the same idempotency key, so a retried request never creates a second endpoint."""
        params: dict[str, Any] = {
            "url": url,
            "enabled_events": events,
            "api_version": API_VERSION,
            "description": "Stageline",
        }
        options: dict[str, Any] = {"idempotency_key": f"stageline-{uuid.uuid4()}"}
        endpoint = self._call(lambda: self._client.v1.webhook_endpoints.create(params, options))
        result: dict[str, Any] = endpoint.to_dict(for_json=True)
        return result

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, request: Callable[[], Any]) -> Any:
        """Run ``request``, retrying what :func:`should_retry` allows within the budget; the
        last failure is translated into Stageline's error tree, saying how often it was tried."""
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            self._bucket.take()
            try:
                return request()
            except stripe.StripeError as exc:
                spent = self._clock() - started
                delay = self.retry.delay(attempt)
                if (
                    attempt >= self.retry.attempts
                    or not should_retry(exc)
                    or spent + delay > self.retry.seconds
                ):
                    tried = f" ({attempt} attempts in {spent:.1f} s)" if attempt > 1 else ""
                    raise translate_stripe_error(exc, self.api_base, tried=tried) from exc
                log.info(
                    "Stripe at %s answered %s; retry %d in %.2f s",
                    self.api_base,
                    getattr(exc, "http_status", None) or type(exc).__name__,
                    attempt,
                    delay,
                )
                self._sleep(delay)


def translate_stripe_error(
    exc: stripe.StripeError, api_base: str, *, tried: str = ""
) -> StripeError:
    """Map an SDK error onto Stageline's error tree, with a hint the user can act on.

    Only a 404 ``resource_missing`` becomes ``StripeObjectMissing`` (the object is gone);
    any other 4xx is ``StripeRefused``, an error to show, never a sign of deletion.
    ``tried`` (how often the call was tried) ends the message.
    """
    message = getattr(exc, "user_message", None) or str(exc) or exc.__class__.__name__
    message += tried
    status = getattr(exc, "http_status", None) or 0
    if isinstance(exc, stripe.AuthenticationError):
        return StripeAuthError(
            f"Stripe rejected the API key: {message}",
            hint="check the key (a restricted key rk_... or secret key sk_...) and its mode",
        )
    if isinstance(exc, stripe.PermissionError):
        return StripeAuthError(
            f"the Stripe key lacks a permission: {message}",
            hint="grant read on customers, subscriptions, invoices, prices, products, "
            "coupons, events and write on webhook endpoints",
        )
    if isinstance(exc, stripe.APIConnectionError):
        return StripeUnavailable(
            f"cannot reach Stripe at {api_base}: {message}",
            hint="check --api-base and the network, or start `stageline sandbox serve`",
        )
    if isinstance(exc, stripe.RateLimitError):
        return StripeRateLimited(
            f"Stripe rate-limited the request: {message}",
            hint="lower the concurrency or try again in a minute",
        )
    if status == 404 and getattr(exc, "code", None) == "resource_missing":
        return StripeObjectMissing(f"Stripe has no such object: {message}")
    if 400 <= status < 500:
        code = getattr(exc, "code", None)
        detail = f"{status} {code}" if code else str(status)
        return StripeRefused(f"Stripe refused the request ({detail}): {message}")
    if status >= 500:
        return StripeUnavailable(f"Stripe answered {status}: {message}", hint="retry later")
    return StripeError(f"Stripe error: {message}")
