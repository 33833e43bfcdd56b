"""Seed a realistic Stripe account into a sandbox store, deterministically and fast.

>>> from stageline.sandbox.store import SandboxStore
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

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from stageline.sandbox.config import SandboxConfig, wall_clock
from stageline.sandbox.ids import IdFactory
from stageline.sandbox.seed_accounts import (
    _FIRST,
    _LAST,
    SeedAccount,
    account_plan,
    billing_contact,
    demo_accounts,
)
from stageline.sandbox.seed_billing import BillingSeeder, Rows
from stageline.sandbox.seed_catalog import build_catalog
from stageline.sandbox.shapes import Obj
from stageline.sandbox.store import Filter, SandboxStore
from stageline.sandbox.timeline import DAY

__all__ = ["SeedSummary", "deleted", "demo_accounts", "seed", "seed_sandbox"]

HISTORY_DAYS = 730
DELETED_RATE = 0.01
BATCH = 20_000


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    subscriptions: int
    invoices: int
    seconds: float


def deleted() -> Filter:
    """The filter for deleted objects (stored as stubs)."""
    return Filter(equals={"status": "deleted"})


def _flush(store: SandboxStore, rows: Rows) -> None:
    store.put_many("customer", rows.customers)
    store.put_many("subscription", rows.subscriptions)
    store.put_many("invoice", rows.invoices)
    store.put_many("discount", rows.discounts)
    store.set_refs(rows.refs)


def _customer(
    index: int,
    ref: int | str | None,
    accounts: list[SeedAccount],
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
) -> SeedSummary:
    """Fill ``store`` with ``customers`` customers and their billing, relative to ``now``.

    ``now`` defaults to the wall clock, read once here. ``progress`` is called with the
    number of customers written so far after each batch.
    """
    started = time.perf_counter()
    now = wall_clock() if now is None else now
    plan = account_plan(customers, random_seed, with_users=False)
    ids = IdFactory(f"stageline-ids:{random_seed}")
    rng = random.Random(f"stageline-billing:{random_seed}")
    catalog = build_catalog(ids, created=now - (HISTORY_DAYS + 30) * DAY)
    billing = BillingSeeder(rng, ids, catalog, now)
    subscriptions = invoices = 0
    with store.bulk_load():
        store.put_many("product", catalog.products)
        store.put_many("price", catalog.prices)
        rows = Rows()
        for index, ref in enumerate(plan.customer_accounts):
            customer, plan_key = _customer(index, ref, plan.accounts, ids, rng, now, random_seed)
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
            if len(rows.customers) >= BATCH:
                subscriptions += len(rows.subscriptions)
                invoices += len(rows.invoices)
                _flush(store, rows)
                rows = Rows()
                if progress is not None:
                    progress(index + 1)
        subscriptions += len(rows.subscriptions)
        invoices += len(rows.invoices)
        _flush(store, rows)
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
