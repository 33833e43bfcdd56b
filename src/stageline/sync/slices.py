"""Splitting a Stripe list into ``created`` ranges that can be fetched side by side.

Stripe pages one list strictly one page after the other (``starting_after``), but lists
filtered on disjoint ``created`` ranges are independent. A short list stays one slice; for a
longer one, a few ``limit=1`` probes find how far back it reaches (looking 30 days, then four
times further each time, behind its hundredth-newest object), and the span is cut into equal
time slices, newest first.
Each slice keeps its own cursor, so a resumed backfill continues every slice where it stopped.

>>> from stageline.stripe_api.client import Page
>>> created = list(range(1000, 0, -1))  # one object a second, newest first
>>> def probe(params):
...     lt = params["created"].get("lt", 10**9)
...     lte = params["created"].get("lte", 10**9)
...     found = [{"id": str(c), "created": c} for c in created if c < lt and c <= lte]
...     return Page(objects=found[: params["limit"]], has_more=len(found) > params["limit"])
>>> [(s.lo, s.hi) for s in plan_slices(probe, upper=1000, parts=2, step=100)]
[(500, 1000), (0, 499)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from stageline.stripe_api.client import PAGE_SIZE, Page

DAY = 86_400
FIRST_LOOK_BACK = 30 * DAY
LOOK_BACK_GROWTH = 4
MAX_LOOK_BACKS = 12

Probe = Callable[[dict[str, Any]], Page]
"""``params -> page`` of the list being planned (the list's own filters already applied)."""


@dataclass
class Slice:
    """``created`` in ``[lo, hi]``; ``after`` is the last id written, ``done`` once exhausted."""

    lo: int
    hi: int
    after: str | None = None
    done: bool = False
    fetched: int = 0

    def params(self) -> dict[str, Any]:
        return {"created": {"gte": self.lo, "lte": self.hi}}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slice:
        return cls(
            lo=int(data["lo"]),
            hi=int(data["hi"]),
            after=data.get("after"),
            done=bool(data.get("done", False)),
            fetched=int(data.get("fetched", 0)),
        )


def plan_slices(
    probe: Probe, *, upper: int, parts: int, step: int = FIRST_LOOK_BACK
) -> list[Slice]:
    """Slices covering every object created up to ``upper``, newest first."""
    if parts <= 1:
        return [Slice(lo=0, hi=upper)]
    first = probe({"created": {"lte": upper}, "limit": PAGE_SIZE})
    if not first.has_more or not first.objects:
        return [Slice(lo=0, hi=upper)]
    boundary = int(first.objects[-1]["created"])
    lo = _oldest_bound(probe, boundary, step)
    return split_range(lo, upper, parts)


def _oldest_bound(probe: Probe, boundary: int, step: int) -> int:
    """A time before which the list holds nothing: a few probes, each looking four times
    further back (so at most four times as far back as needed; empty slices cost a call)."""
    look_back = step
    for _ in range(MAX_LOOK_BACKS):
        candidate = boundary - look_back
        if candidate <= 0:
            return 0
        if not probe({"created": {"lt": candidate}, "limit": 1}).objects:
            return candidate
        look_back *= LOOK_BACK_GROWTH
    return 0


def split_range(lo: int, hi: int, parts: int) -> list[Slice]:
    """``[lo, hi]`` cut into ``parts`` contiguous slices of equal length, newest first."""
    parts = max(1, min(parts, hi - lo + 1))
    width = (hi - lo + 1) / parts
    edges = [lo + round(width * i) for i in range(parts)] + [hi + 1]
    pieces = [Slice(lo=edges[i], hi=edges[i + 1] - 1) for i in range(parts)]
    return list(reversed(pieces))
