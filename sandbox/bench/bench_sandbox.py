"""Benchmark the sandbox: seeding speed and request latency on a large account.

    .venv/bin/python bench/bench_sandbox.py --customers 100000
    .venv/bin/python bench/bench_sandbox.py --db /tmp/s1m.db   # reuse a seeded file

Prints one JSON object: seed throughput and p50/p95 latencies (milliseconds) of list,
deep-page, retrieve and search calls made through the official SDK on a loopback port.
All traffic stays on 127.0.0.1 and the loops are bounded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import stripe

from stageline_sandbox import SANDBOX_API_KEY, SandboxConfig, SandboxStore, run_sandbox_in_thread
from stageline_sandbox import seed as seed_store

ROUNDS = 30


def _latency(call: Callable[[], Any], rounds: int = ROUNDS) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None, help="an already seeded file")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        store = SandboxStore(str(db))
        if store.count("customer") == 0:
            summary = seed_store(store, customers=args.customers, random_seed=1)
            result["seed"] = {
                "customers": summary.customers,
                "subscriptions": summary.subscriptions,
                "seconds": round(summary.seconds, 1),
                "customers_per_second": round(summary.customers / summary.seconds),
            }
        result["customers"] = store.count("customer")
        result["db_mb"] = round(db.stat().st_size / 1e6)
        handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=store)
        try:
            client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": handle.url})
            subs = client.v1.subscriptions
            first = subs.list({"status": "all", "limit": 100})
            middle = subs.list({"status": "all", "limit": 100, "starting_after": first.data[-1].id})
            some = first.data[0]
            account = client.v1.customers.retrieve(str(some.customer)).metadata
            query = (
                f"metadata['account_id']:'{account['account_id']}'"
                if "account_id" in (account)
                else "email:'nobody@example.com'"
            )
            result["list_subscriptions_100"] = _latency(
                lambda: subs.list({"status": "all", "limit": 100})
            )
            result["list_next_page_100"] = _latency(
                lambda: subs.list(
                    {"status": "all", "limit": 100, "starting_after": middle.data[-1].id}
                )
            )
            result["list_expanded_100"] = _latency(
                lambda: subs.list(
                    {"status": "all", "limit": 100, "expand": ["data.customer", "data.discounts"]}
                ),
                rounds=10,
            )
            result["retrieve_subscription"] = _latency(lambda: subs.retrieve(some.id))
            result["search_customers_by_metadata"] = _latency(
                lambda: client.v1.customers.search({"query": query}), rounds=5
            )
        finally:
            handle.stop()
            store.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
