"""Retrying a flaky Stripe, and the sync's logger."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from stageline.errors import StagelineError

log = logging.getLogger("stageline.sync")

T = TypeVar("T")


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 0.5,
    what: str = "Stripe call",
) -> T:
    """Run ``call``, retrying retryable Stageline errors with exponential backoff and jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except StagelineError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = random.uniform(0.5, 1.0) * min(8.0, base_delay * 2 ** (attempt - 1))
            log.info("%s failed (%s); retry %d in %.1f s", what, exc.one_line(), attempt, delay)
            sleep(delay)
    raise AssertionError("unreachable")
