"""Configuration of one sandbox run.

>>> config = SandboxConfig(db_path=None, rate_limit=None)
>>> config.accepts("sk_test_stageline_sandbox")
True
>>> config.livemode_for("sk_live_other"), config.livemode_for("sk_test_stageline_sandbox")
(True, False)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

SANDBOX_API_KEY = "sk_test_stageline_sandbox"
"""The API key every sandbox accepts unless its configuration says otherwise."""

TEST_MODE_RATE_LIMIT = 25.0
"""Requests per second Stripe allows a test-mode account; the sandbox default."""

LIVE_MODE_RATE_LIMIT = 100.0
"""Requests per second Stripe allows a live-mode account (keys starting ``sk_live_``)."""


def wall_clock() -> int:
    """Seconds since the epoch, the sandbox's notion of "now" outside test clocks."""
    return int(time.time())


@dataclass(frozen=True)
class FaultConfig:
    """Faults injected into a run, to test how a client copes with a flaky Stripe.

    Fractions are probabilities in ``[0, 1]`` drawn per request (or per webhook delivery)
    from a generator seeded with ``random_seed``, so a run with the same seed misbehaves
    the same way.
    """

    error_rate: float = 0.0
    """Fraction of API requests answered with a 500 ``api_error``."""
    rate_limit_rate: float = 0.0
    """Fraction of API requests answered with a 429 ``rate_limit`` error."""
    latency_seconds: float = 0.0
    """Delay added before answering every API request."""
    webhook_drop_rate: float = 0.0
    """Fraction of webhook deliveries never sent (the event stays pending)."""
    webhook_duplicate_rate: float = 0.0
    """Fraction of webhook deliveries sent twice."""
    webhook_reorder: bool = False
    """Deliver each batch of pending webhooks in shuffled order."""
    random_seed: int = 0


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes one sandbox: its store, its keys, its limits and its faults.

    ``db_path=None`` keeps the state in memory (tests); a path keeps it in a SQLite file
    that survives restarts (the demo). ``rate_limit=None`` turns rate limiting off; the
    default follows Stripe's test mode (25 requests per second, 100 for ``sk_live_`` keys).
    """

    db_path: str | None = None
    api_keys: tuple[str, ...] = (SANDBOX_API_KEY,)
    rate_limit: float | None = TEST_MODE_RATE_LIMIT
    live_rate_limit: float | None = LIVE_MODE_RATE_LIMIT
    faults: FaultConfig = field(default_factory=FaultConfig)
    webhook_retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    """Seconds to wait before each retry of a failed webhook delivery (Stripe retries a
    sandbox delivery three times over a few hours; the sandbox compresses that)."""
    webhook_timeout: float = 10.0
    webhook_concurrency: int = 4
    """Deliveries in flight at once (Stripe sends concurrently, in no guaranteed order)."""
    dunning_retry_days: tuple[int, ...] = (3, 5, 7)
    """Days between a failed renewal payment and each retry (Stripe's default schedule
    retries a few times within about two weeks)."""
    dunning_final_action: str = "cancel"
    """What happens when the last retry fails: ``cancel``, ``unpaid`` or ``past_due``."""
    clock: Callable[[], int] = wall_clock
    """Where the sandbox reads the time of day; tests may pass a fixed clock."""
    rate_clock: Callable[[], float] = time.monotonic
    """Where the rate limiter reads elapsed seconds; tests may pass a clock they move."""

    def accepts(self, api_key: str) -> bool:
        """Whether ``api_key`` may call this sandbox."""
        return api_key in self.api_keys

    def livemode_for(self, api_key: str) -> bool:
        """Whether objects created with ``api_key`` are live-mode objects."""
        return api_key.startswith(("sk_live_", "rk_live_"))

    def rate_limit_for(self, api_key: str) -> float | None:
        """Requests per second allowed for ``api_key``, or ``None`` for no limit."""
        if self.livemode_for(api_key):
            return self.live_rate_limit if self.rate_limit is not None else None
        return self.rate_limit
