"""Backfill progress: objects fetched, objects per second and an ETA.

Stripe lists carry no total count, so the total is estimated: a slice of ``created`` time is
fetched newest first, so the ``created`` of the last object fetched tells how much of the
slice's time span is covered. Objects per covered second, per object type, times the whole
span, estimates the total; the rate so far turns what is left into an ETA.

>>> tracker = ProgressTracker(clock=iter([0.0, 10.0]).__next__)
>>> tracker.plan("customer", 0, lo=0, hi=1000)
>>> update = tracker.advance("customer", 0, count=100, oldest_created=500, done=False)
>>> update.fetched, update.objects_per_second, update.estimated_total, update.eta_seconds
(100, 10.0, 200, 10.0)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BackfillProgress:
    """One progress report, sent after every page written."""

    object_type: str
    page_objects: int
    fetched: int
    objects_per_second: float
    estimated_total: int | None
    eta_seconds: float | None

    @property
    def fraction(self) -> float | None:
        if not self.estimated_total:
            return None
        return min(1.0, self.fetched / self.estimated_total)


@dataclass
class _Slice:
    lo: int
    hi: int
    fetched: int = 0
    covered: int = 0
    done: bool = False

    @property
    def span(self) -> int:
        return max(1, self.hi - self.lo + 1)


class ProgressTracker:
    """Counts what each slice of each object type fetched and estimates what is left."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()
        self._slices: dict[tuple[str, int], _Slice] = {}
        self._fetched_this_run = 0

    def plan(
        self,
        object_type: str,
        index: int,
        *,
        lo: int,
        hi: int,
        fetched: int = 0,
        done: bool = False,
    ) -> None:
        """Register a slice; ``fetched``/``done`` carry what a resumed run already has."""
        piece = _Slice(lo=lo, hi=hi, fetched=fetched, done=done)
        piece.covered = piece.span if done else 0
        self._slices[(object_type, index)] = piece

    def advance(
        self, object_type: str, index: int, *, count: int, oldest_created: int | None, done: bool
    ) -> BackfillProgress:
        piece = self._slices[(object_type, index)]
        piece.fetched += count
        piece.done = piece.done or done
        if piece.done:
            piece.covered = piece.span
        elif oldest_created is not None:
            piece.covered = max(piece.covered, min(piece.span, piece.hi - oldest_created + 1))
        self._fetched_this_run += count
        elapsed = max(1e-9, self._clock() - self._started)
        rate = self._fetched_this_run / elapsed
        total = self.estimated_total()
        fetched = sum(s.fetched for s in self._slices.values())
        eta = None
        if total is not None and rate > 0:
            eta = max(0.0, (total - fetched) / rate)
        return BackfillProgress(object_type, count, fetched, rate, total, eta)

    def estimated_total(self) -> int | None:
        """Estimated objects over every planned slice; ``None`` until each type has a density."""
        total = 0.0
        for object_type in {key[0] for key in self._slices}:
            pieces = [s for (t, _), s in self._slices.items() if t == object_type]
            covered = sum(s.covered for s in pieces)
            if covered == 0:
                return None
            density = sum(s.fetched for s in pieces) / covered
            total += sum(s.fetched + density * (s.span - s.covered) for s in pieces)
        return round(total)
