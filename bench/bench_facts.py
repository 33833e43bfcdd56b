"""How fast account facts are recomputed from the Stripe mirror, against the pure domain.

    .venv/bin/python bench/bench_facts.py [--customers 5000] [--quick]

Baseline: the pure domain (matching, MRR, renewal date, stage) over the same customers and
subscriptions, already in memory. Measured: ``recompute_facts``, which also loads the mirror
from SQLite, maps Stripe JSON to domain types and writes facts and their change log. The ratio
says what the store round trip costs on top of the domain work.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from stageline.domain.billing import Subscription
from stageline.domain.matching import AccountRecord, MatchStrategy, match_customers
from stageline.domain.mrr import account_mrr
from stageline.domain.renewal import renewal_facts
from stageline.domain.stages import derive_stage
from stageline.facts import recompute_facts
from stageline.security import SecretBox
from stageline.store.accounts import AccountRow, upsert_accounts
from stageline.store.connections import create_connection
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.mirror import upsert_objects
from stageline.store.workspaces import create_workspace
from stageline.stripe_api import mapping
from stageline_sandbox import SandboxStore, demo_accounts, seed
from stageline_sandbox.store import Filter

SEED_NOW = 1_767_225_600


def _sandbox_objects(customers: int) -> dict[str, list[dict[str, object]]]:
    sandbox = SandboxStore()
    seed(sandbox, customers=customers, random_seed=5, now=SEED_NOW)
    result: dict[str, list[dict[str, object]]] = {}
    for object_type in ("customer", "subscription", "price", "coupon"):
        result[object_type] = [dict(o) for o in sandbox.find(object_type, Filter())]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="a small run (500 customers)")
    args = parser.parse_args()
    customers = 500 if args.quick else args.customers
    now = datetime.fromtimestamp(SEED_NOW, tz=UTC)
    objects = _sandbox_objects(customers)
    accounts = demo_accounts(customers=customers, random_seed=5)

    started = time.perf_counter()
    records = [
        AccountRecord(id=i, external_id=a.external_id, name=a.name)
        for i, a in enumerate(accounts, start=1)
    ]
    domain_customers = [mapping.to_customer(c) for c in objects["customer"]]
    subs = [mapping.to_subscription(s) for s in objects["subscription"]]
    report = match_customers(domain_customers, records, [], MatchStrategy.metadata())
    by_customer: dict[str, list[Subscription]] = {}
    for sub in subs:
        by_customer.setdefault(sub.customer_id, []).append(sub)
    for customer_ids in report.customers_by_account().values():
        owned = [s for c in customer_ids for s in by_customer.get(c, [])]
        account_mrr(owned, now=now)
        renewal_facts(owned, now=now)
        derive_stage(owned)
    baseline = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.connect(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        with store.session() as session:
            workspace = create_workspace(session, name="Bench").workspace
            connection = create_connection(
                session,
                workspace=workspace,
                box=SecretBox("b" * 48),
                api_key="sk_test_bench",
                api_base="http://sandbox",
            )
            upsert_accounts(
                session,
                workspace_id=workspace.id,
                rows=[AccountRow(external_id=a.external_id, name=a.name) for a in accounts],
            )
            for object_type, rows in objects.items():
                upsert_objects(
                    session,
                    connection=connection,
                    object_type=object_type,
                    objects=rows,
                    watermark=SEED_NOW,
                )
        started = time.perf_counter()
        with store.session() as session:
            lock_workspace(session, workspace_id=workspace.id)
            summary = recompute_facts(session, workspace=workspace, now=now, cause="bench")
        measured = time.perf_counter() - started
        store.dispose()

    print(
        json.dumps(
            {
                "customers": customers,
                "accounts": summary.accounts,
                "domain_only_seconds": round(baseline, 3),
                "recompute_facts_seconds": round(measured, 3),
                "recompute_accounts_per_second": round(summary.accounts / measured, 1),
                "ratio_recompute_to_domain": round(measured / baseline, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
