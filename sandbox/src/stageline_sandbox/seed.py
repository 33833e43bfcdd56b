"""Seed a realistic Stripe account into a sandbox store, deterministically and fast.

>>> from stageline_sandbox.store import SandboxStore
>>> store = SandboxStore()
>>> summary = seed(store, customers=50, random_seed=3, now=1_767_225_600)
>>> summary.customers, store.count("customer")
(50, 50)
>>> store.count("customer", deleted()) > 0 or store.count("subscription") > 40
True

The same ``customers``, ``random_seed`` and ``now`` always give the same objects and ids.
Customers carry ``metadata["account_id"]`` pointing at :func:`demo_accounts` (about 5%
carry none, about 2% an id no account has). Rows go in with bulk inserts, with the store's
indexes built once at the end, so a million customers take about a minute.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stageline_sandbox.config import SandboxConfig, wall_clock
from stageline_sandbox.ids import IdFactory
from stageline_sandbox.seed_accounts import (
    _FIRST,
    _LAST,
    AccountPlan,
    SeedAccount,
    account_plan,
    billing_contact,
    demo_accounts,
)
from stageline_sandbox.seed_billing import BillingSeeder, Rows
from stageline_sandbox.seed_catalog import Catalog, build_catalog
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import Filter, SandboxStore, store_row
from stageline_sandbox.timeline import DAY

__all__ = ["SeedSummary", "deleted", "demo_accounts", "seed", "seed_sandbox"]

HISTORY_DAYS = 730
DELETED_RATE = 0.01
CHUNK = 20_000
PARALLEL_FROM = 100_000


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    subscriptions: int
    invoices: int
    seconds: float


def deleted() -> Filter:
    """The filter for deleted objects (stored as stubs)."""
    return Filter(equals={"status": "deleted"})


@dataclass(frozen=True)
class _Chunk:
    """One slice of customers, generated on its own (possibly in another process)."""

    index: int
    start: int
    refs: list[int | str | None]
    accounts: dict[int, SeedAccount]
    catalog: Catalog
    now: int
    random_seed: int


@dataclass
class _ChunkRows:
    rows: list[tuple[Any, ...]]
    refs: list[tuple[str, str]]
    redemptions: dict[str, int]
    subscriptions: int
    invoices: int


def _generate(chunk: _Chunk) -> _ChunkRows:
    """Customers ``chunk.start...`` with their billing, as store rows (deterministic)."""
    rng = random.Random(f"stageline-billing:{chunk.random_seed}:{chunk.index}")
    ids = IdFactory(f"stageline-ids:{chunk.random_seed}:{chunk.index}")
    billing = BillingSeeder(rng, ids, chunk.catalog, chunk.now)
    rows = Rows()
    for offset, ref in enumerate(chunk.refs):
        customer, plan_key = _customer(
            chunk.start + offset, ref, chunk.accounts, ids, rng, chunk.now, chunk.random_seed
        )
        is_deleted = rng.random() < DELETED_RATE
        billing.customer_billing(customer, plan_key, rows, deleted=is_deleted)
        if is_deleted:
            customer = {
                "id": customer["id"],
                "object": "customer",
                "created": customer["created"],
                "deleted": True,
            }
        rows.customers.append(customer)
    stored = [store_row("customer", obj) for obj in rows.customers]
    stored += [store_row("subscription", obj) for obj in rows.subscriptions]
    stored += [store_row("invoice", obj) for obj in rows.invoices]
    stored += [store_row("discount", obj) for obj in rows.discounts]
    return _ChunkRows(
        stored, rows.refs, billing.redemptions, len(rows.subscriptions), len(rows.invoices)
    )


def _chunks(
    plan: AccountPlan, catalog: Catalog, now: int, random_seed: int, size: int
) -> Iterator[_Chunk]:
    mapping = plan.customer_accounts
    for index, start in enumerate(range(0, len(mapping), size)):
        refs = mapping[start : start + size]
        accounts = {ref: plan.accounts[ref] for ref in refs if isinstance(ref, int)}
        yield _Chunk(index, start, refs, accounts, catalog, now, random_seed)


def _customer(
    index: int,
    ref: int | str | None,
    accounts: dict[int, SeedAccount],
    ids: IdFactory,
    rng: random.Random,
    now: int,
    random_seed: int,
) -> tuple[Obj, str]:
    created = now - int(rng.random() * HISTORY_DAYS * DAY) - DAY
    customer: Obj = {"id": ids.new("cus"), "object": "customer", "created": created}
    plan = "starter"
    if isinstance(ref, int):
        account = accounts[ref]
        contact = billing_contact(account, ref + 1, random_seed)
        customer.update(
            name=account.name,
            email=contact.email,
            description=f"{account.name} ({account.domain})",
            metadata={"account_id": account.external_id},
        )
        plan = account.plan_hint
    else:
        first, last = _FIRST[index % len(_FIRST)], _LAST[(index * 7) % len(_LAST)]
        customer.update(name=f"{first} {last}", email=f"{first}.{last}{index}@example.com".lower())
        if isinstance(ref, str):
            customer["metadata"] = {"account_id": ref}
        plan = "team" if rng.random() < 0.3 else "starter"
    return customer, plan


def seed(
    store: SandboxStore,
    customers: int,
    random_seed: int = 0,
    *,
    now: int | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK,
) -> SeedSummary:
    """Fill ``store`` with ``customers`` customers and their billing, relative to ``now``.

    ``now`` defaults to the wall clock, read once here. ``progress`` is called with the
    number of customers written so far after each batch. Customers are generated in slices
    of 20,000, in ``workers`` processes (default: one per CPU for large seeds); the result
    does not depend on how many workers ran.
    """
    started = time.perf_counter()
    now = wall_clock() if now is None else now
    plan = account_plan(customers, random_seed, with_users=False)
    catalog = build_catalog(
        IdFactory(f"stageline-ids:{random_seed}"), now - (HISTORY_DAYS + 30) * DAY
    )
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if customers >= PARALLEL_FROM else 1
    subscriptions = invoices = done = 0
    redemptions: dict[str, int] = {}
    chunks = _chunks(plan, catalog, now, random_seed, chunk_size)
    with store.bulk_load(), contextlib.ExitStack() as stack:
        store.put_many("product", catalog.products)
        store.put_many("price", catalog.prices)
        if workers > 1:
            context = multiprocessing.get_context("spawn")
            pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=context))
            results: Iterator[_ChunkRows] = pool.map(_generate, chunks)
        else:
            results = map(_generate, chunks)
        for result in results:
            store.put_rows(result.rows)
            store.set_refs(result.refs)
            for coupon_id, count in result.redemptions.items():
                redemptions[coupon_id] = redemptions.get(coupon_id, 0) + count
            subscriptions += result.subscriptions
            invoices += result.invoices
            done = min(done + chunk_size, customers)
            if progress is not None:
                progress(done)
        for coupon in catalog.coupons:
            coupon["times_redeemed"] = redemptions.get(coupon["id"], 0)
        store.put_many("coupon", catalog.coupons)
    if progress is not None:
        progress(customers)
    return SeedSummary(
        customers=customers,
        subscriptions=subscriptions,
        invoices=invoices,
        seconds=time.perf_counter() - started,
    )


def seed_sandbox(
    config: SandboxConfig,
    *,
    customers: int,
    random_seed: int = 0,
    now: datetime | int | None = None,
    only_if_empty: bool = True,
) -> SeedSummary | None:
    """Seed the store ``config`` names (its ``db_path``); ``None`` if it already had data.

    >>> seed_sandbox(SandboxConfig(), customers=5, random_seed=1, now=1_767_225_600).customers
    5
    """
    moment = int(now.timestamp()) if isinstance(now, datetime) else now
    store = SandboxStore(config.db_path)
    try:
        if only_if_empty and store.count("customer"):
            return None
        return seed(store, customers=customers, random_seed=random_seed, now=moment)
    finally:
        store.close()
