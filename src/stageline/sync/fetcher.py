"""Re-fetching objects for a batch of events: up front, side by side, once per object.

Objects a batch may have doubts about (see :func:`stageline.sync.apply.doubtful_objects`) are
fetched before the batch takes the workspace lock, so no HTTP call happens while writers
wait. Within a batch an object is fetched at most once; the copy is newer than every event of
the batch (the events were received before it was fetched), so it serves them all.

>>> fetcher = ObjectFetcher(gateway)  # doctest: +SKIP
>>> fetcher.prefetch({("subscriptions", "sub_1"): ["discounts"]})  # doctest: +SKIP
>>> fetcher.holds("subscriptions", "sub_1")  # doctest: +SKIP
True
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stageline.errors import InvalidInput
from stageline.stripe_api.client import StripeGateway
from stageline.sync.locks import with_retries

PREFETCH_THREADS = 4


class ObjectFetcher:
    """A gateway with a per-batch memory of what it fetched (``None``: gone from Stripe)."""

    def __init__(
        self, gateway: StripeGateway, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._gateway = gateway
        self._sleep = sleep
        self._fetched: dict[tuple[str, str], dict[str, Any] | None] = {}

    @property
    def fetched(self) -> int:
        return len(self._fetched)

    def holds(self, endpoint: str, object_id: str) -> bool:
        return (endpoint, object_id) in self._fetched

    def fetch(self, endpoint: str, object_id: str, expand: list[str]) -> dict[str, Any] | None:
        key = (endpoint, object_id)
        if key not in self._fetched:
            self._fetched[key] = self._retrieve(endpoint, object_id, expand)
        return self._fetched[key]

    def prefetch(self, wanted: Mapping[tuple[str, str], list[str]]) -> None:
        """Fetch every ``(endpoint, id) -> expand`` not held yet, a few at a time."""
        missing = [key for key in wanted if key not in self._fetched]
        if not missing:
            return
        with ThreadPoolExecutor(max_workers=min(PREFETCH_THREADS, len(missing))) as pool:
            found = pool.map(lambda key: self._retrieve(key[0], key[1], wanted[key]), missing)
            for key, obj in zip(missing, found, strict=True):
                self._fetched[key] = obj

    def _retrieve(self, endpoint: str, object_id: str, expand: list[str]) -> dict[str, Any] | None:
        call = functools.partial(
            self._gateway.retrieve, endpoint, object_id, {"expand": expand} if expand else None
        )
        try:
            return with_retries(call, sleep=self._sleep, what=f"re-fetch of {object_id}")
        except InvalidInput:
            return None  # gone from Stripe (404): the events' own payloads will do
