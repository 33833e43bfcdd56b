"""Re-fetching objects for a batch of events: up front, side by side, once per object.

Objects a batch may have doubts about (see :func:`stageline.sync.apply.doubtful_objects`) are
fetched before the batch takes the workspace lock, so no HTTP call happens while writers
wait. Within a batch an object is fetched at most once; the copy is newer than every event of
the batch (the events were received before it was fetched), so it serves them all.

Stripe's answer decides what a fetch returns: the object (perhaps marked ``deleted``), or
``None`` when it answers 404 ``resource_missing`` (the only "gone"). Any other refusal (a
400, a 404 for an unknown URL...) is kept and raised as ``StripeRefused`` to whoever asks for
that object, without asking Stripe again; :attr:`ObjectFetcher.refusals` lists them.

Example::

    fetcher = ObjectFetcher(gateway)
    fetcher.prefetch({("subscriptions", "sub_1"): ["discounts"]})
    fetcher.holds("subscriptions", "sub_1")
    # True
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stageline.errors import StripeObjectMissing, StripeRefused
from stageline.stripe_api.client import StripeGateway

PREFETCH_THREADS = 4


Fetched = dict[str, Any] | None | StripeRefused


class ObjectFetcher:
    """A gateway with a per-batch memory of what it fetched (``None``: gone from Stripe)."""

    def __init__(self, gateway: StripeGateway) -> None:
        self._gateway = gateway
        self._fetched: dict[tuple[str, str], Fetched] = {}

    @property
    def fetched(self) -> int:
        return len(self._fetched)

    @property
    def refusals(self) -> list[StripeRefused]:
        """Every refusal Stripe answered, in the order asked."""
        return [found for found in self._fetched.values() if isinstance(found, StripeRefused)]

    def holds(self, endpoint: str, object_id: str) -> bool:
        """Whether the object was fetched, or found gone, for this batch (not refused)."""
        key = (endpoint, object_id)
        return key in self._fetched and not isinstance(self._fetched[key], StripeRefused)

    def fetch(self, endpoint: str, object_id: str, expand: list[str]) -> dict[str, Any] | None:
        """The object, ``None`` when Stripe has no such object; ``StripeRefused`` otherwise."""
        key = (endpoint, object_id)
        if key not in self._fetched:
            self._fetched[key] = self._retrieve(endpoint, object_id, expand)
        found = self._fetched[key]
        if isinstance(found, StripeRefused):
            raise found
        return found

    def prefetch(self, wanted: Mapping[tuple[str, str], list[str]]) -> None:
        """Fetch every ``(endpoint, id) -> expand`` not asked yet, a few at a time."""
        missing = [key for key in wanted if key not in self._fetched]
        if not missing:
            return
        with ThreadPoolExecutor(max_workers=min(PREFETCH_THREADS, len(missing))) as pool:
            found = pool.map(lambda key: self._retrieve(key[0], key[1], wanted[key]), missing)
            for key, obj in zip(missing, found, strict=True):
                self._fetched[key] = obj

    def _retrieve(self, endpoint: str, object_id: str, expand: list[str]) -> Fetched:
        try:
            return self._gateway.retrieve(
                endpoint, object_id, {"expand": expand} if expand else None
            )
        except StripeObjectMissing:
            return None  # gone from Stripe: the events' own payloads will do
        except StripeRefused as exc:
            return StripeRefused(f"re-fetch of {object_id}: {exc.one_line()}")
