"""Pure pieces of the sync: event plans, slices of ``created`` time, progress estimates, and
what a batch must re-fetch before it takes the lock."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from stageline.stripe_api.client import Page
from stageline.sync.apply import doubtful_objects, is_legacy_version
from stageline.sync.events import normalize, plan_for
from stageline.sync.progress import ProgressTracker
from stageline.sync.slices import plan_slices, split_range


@pytest.mark.parametrize(
    ("event_type", "object_type", "deleted", "refetch_only"),
    [
        ("customer.created", "customer", False, False),
        ("customer.deleted", "customer", True, False),
        ("customer.subscription.deleted", "subscription", False, False),
        ("customer.subscription.paused", "subscription", False, False),
        ("customer.discount.deleted", "customer", False, True),
        ("invoice.paid", "invoice", False, False),
        ("invoice.upcoming", None, False, False),
        ("price.deleted", "price", True, False),
        ("coupon.updated", "coupon", False, False),
        ("charge.succeeded", None, False, False),
        ("v1.customer.subscription.active", None, False, False),
    ],
)
def test_event_plans(
    event_type: str, object_type: str | None, deleted: bool, refetch_only: bool
) -> None:
    plan = plan_for(event_type)
    assert (plan.object_type, plan.deleted, plan.refetch_only) == (
        object_type,
        deleted,
        refetch_only,
    )


def test_legacy_periods_move_onto_items_and_current_shapes_stay() -> None:
    legacy = {
        "id": "sub",
        "current_period_end": 9,
        "current_period_start": 1,
        "items": {"data": [{"id": "si"}, {"id": "si2", "current_period_end": 7}]},
    }
    items = normalize("subscription", legacy)["items"]["data"]
    assert [(i.get("current_period_start"), i["current_period_end"]) for i in items] == [
        (1, 9),
        (None, 7),
    ]
    current = {"id": "sub", "items": {"data": [{"id": "si", "current_period_end": 5}]}}
    assert normalize("subscription", current) == current
    assert is_legacy_version("2024-06-20") and not is_legacy_version("2026-10-28.endive")
    assert not is_legacy_version(None)


@pytest.mark.parametrize(
    ("lo", "hi", "parts", "expected"),
    [
        (0, 9, 2, [(5, 9), (0, 4)]),
        (0, 9, 3, [(7, 9), (3, 6), (0, 2)]),
        (5, 5, 4, [(5, 5)]),
        (0, 2, 10, [(2, 2), (1, 1), (0, 0)]),
    ],
)
def test_split_range_covers_every_second_once(
    lo: int, hi: int, parts: int, expected: list[tuple[int, int]]
) -> None:
    pieces = split_range(lo, hi, parts)
    assert [(p.lo, p.hi) for p in pieces] == expected


def _probe_over(created: list[int]) -> Any:
    def probe(params: dict[str, Any]) -> Page:
        bounds = params["created"]
        found = [
            {"id": str(c), "created": c}
            for c in sorted(created, reverse=True)
            if c < bounds.get("lt", 10**12) and c <= bounds.get("lte", 10**12)
        ]
        return Page(objects=found[: params["limit"]], has_more=len(found) > params["limit"])

    return probe


def test_short_lists_and_single_workers_get_one_slice_without_probing() -> None:
    calls: list[Any] = []

    def never(params: dict[str, Any]) -> Page:
        calls.append(params)
        return Page(objects=[], has_more=False)

    assert [(s.lo, s.hi) for s in plan_slices(never, upper=100, parts=1)] == [(0, 100)]
    assert calls == []
    assert len(plan_slices(_probe_over(list(range(50))), upper=100, parts=8)) == 1


def test_long_lists_are_cut_between_their_oldest_object_and_the_start() -> None:
    created = list(range(1_000_000, 1_000_000 + 86_400 * 10, 600))  # ten days, every 10 min
    pieces = plan_slices(_probe_over(created), upper=created[-1], parts=4)
    assert len(pieces) == 4
    assert pieces[0].hi == created[-1] and pieces[-1].lo <= created[0]
    assert all(a.lo == b.hi + 1 for a, b in itertools.pairwise(pieces))


def test_progress_counts_resumed_slices_and_estimates_the_rest() -> None:
    ticks = iter([0.0, 2.0, 4.0])
    tracker = ProgressTracker(clock=lambda: next(ticks))
    tracker.plan("customer", 0, lo=0, hi=99, fetched=50, done=True)
    tracker.plan("customer", 1, lo=100, hi=199)
    first = tracker.advance("customer", 1, count=25, oldest_created=150, done=False)
    assert (first.fetched, first.objects_per_second) == (75, 12.5)
    assert first.estimated_total == 100 and first.eta_seconds == 2.0
    last = tracker.advance("customer", 1, count=25, oldest_created=100, done=True)
    assert (last.fetched, last.estimated_total, last.eta_seconds, last.fraction) == (
        100,
        100,
        0.0,
        1.0,
    )


def _event(
    event_id: str,
    event_type: str,
    created: int,
    obj: dict[str, Any],
    version: str = "2026-10-28.endive",
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event_type,
        "created": created,
        "api_version": version,
        "data": {"object": obj},
    }


def test_a_batch_prefetches_only_what_it_may_doubt() -> None:
    sub = {"id": "sub_1", "object": "subscription", "discounts": []}
    events = [
        _event("e1", "customer.subscription.updated", 100, sub),  # tie with what is held
        _event("e2", "customer.updated", 50, {"id": "cus_old"}),  # stale
        _event("e3", "customer.updated", 70, {"id": "cus_a"}),
        _event("e4", "customer.updated", 70, {"id": "cus_a"}),  # same-second burst
        _event("e5", "customer.discount.created", 80, {"id": "di", "customer": "cus_b"}),
        _event("e6", "invoice.paid", 90, {"id": "in_1"}, version="2024-06-20"),
        _event(
            "e7", "customer.subscription.updated", 90, {"id": "sub_2", "discounts": ["di_x"]}
        ),  # unexpanded
        _event("e8", "product.deleted", 100, {"id": "prod_1"}),
        _event("e9", "charge.succeeded", 100, {"id": "ch_1"}),
        _event("e10", "customer.updated", 110, {"id": "cus_new"}),
    ]
    held = {("subscription", "sub_1"): 100, ("customer", "cus_old"): 60, ("product", "prod_1"): 100}
    assert doubtful_objects(events, held) == {
        ("subscriptions", "sub_1"): ["discounts"],
        ("customers", "cus_a"): [],
        ("customers", "cus_b"): [],
        ("invoices", "in_1"): [],
        ("subscriptions", "sub_2"): ["discounts"],
    }
