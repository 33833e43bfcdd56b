"""Benchmark the sync: backfill objects/s and inbox events applied/s, against the sandbox.

    .venv/bin/python bench/bench_sync.py                       # 30,000 objects, 5,000 events
    .venv/bin/python bench/bench_sync.py --objects 100000      # the full size (a few minutes)
    .venv/bin/python bench/bench_sync.py --quick                # 5,000 objects, 1,000 events
    .venv/bin/python bench/bench_sync.py --database-url postgresql+psycopg://...

The sandbox runs in its own process on a loopback port, seeded into a temporary file. Each
figure comes with a baseline measured in the same run:

- backfill: objects/s of ``run_backfill`` (4 threads, writing the mirror) against the raw SDK
  listing the same lists (``auto_paging_iter``, one thread, no database): ``ratio`` > 1 means
  faster. Measured twice: on loopback (CPU-bound: it shows the cost of writing), and with
  ``--latency`` added to every request (closer to Stripe, where fetching concurrently pays);
- inbox: events/s applied by ``process_inbox`` (re-fetching where in doubt, recomputing the
  facts of the accounts the customers belong to) against events/s merely received
  (signature checked and stored) by the webhook receiver: ``ratio`` >= 1 means the worker
  keeps up with what arrives.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import stripe

from stageline.config import Settings
from stageline.operations import import_accounts
from stageline.security import SecretBox
from stageline.store.connections import create_connection
from stageline.store.db import Store
from stageline.store.models import StripeEvent
from stageline.store.workspaces import create_workspace
from stageline.stripe_api.client import StripeGateway
from stageline.sync.backfill import BACKFILL_RESOURCES, run_backfill
from stageline.sync.catch_up import catch_up_events, ensure_events_cursor
from stageline.sync.gateway import retry_budget
from stageline.sync.process import process_inbox
from stageline.sync.receive import receive_webhook
from stageline_sandbox import SANDBOX_API_KEY, SandboxStore
from stageline_sandbox import seed as seed_store

OBJECTS_PER_CUSTOMER = 3  # a seeded customer comes with about one subscription and one invoice
BACKFILL_THREADS = 4
SECRET = "whsec_bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(db: str, port: int, latency: float) -> None:
    """The sandbox process: the seeded file, no rate limit, ``latency`` added per request."""
    import uvicorn

    from stageline_sandbox import FaultConfig, SandboxConfig, create_sandbox_app

    config = SandboxConfig(db_path=db, rate_limit=None, faults=FaultConfig(latency_seconds=latency))
    uvicorn.run(create_sandbox_app(config), host="127.0.0.1", port=port, log_level="warning")


@contextmanager
def _sandbox(db: Path, latency: float) -> Iterator[str]:
    port = _free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(str(db), port, latency), daemon=True
    )
    process.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(
                    f"{url}/v1/customers", headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"}
                )
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.join(10)


def _gateway(url: str) -> StripeGateway:
    return StripeGateway(
        api_key=SANDBOX_API_KEY,
        api_base=url,
        retry=retry_budget(Settings()),
        requests_per_second=100_000,
    )


def _sdk_listing(url: str) -> tuple[int, float]:
    client = stripe.StripeClient(
        SANDBOX_API_KEY, base_addresses={"api": url}, max_network_retries=2
    )
    started, count = time.perf_counter(), 0
    for resource in BACKFILL_RESOURCES:
        service = getattr(client.v1, resource.endpoint)
        for _obj in service.list({"limit": 100, **resource.params}).auto_paging_iter():
            count += 1
    return count, time.perf_counter() - started


def _linked(store: Store, settings: Settings, name: str, url: str) -> tuple[str, str]:
    with store.session() as session:
        workspace = create_workspace(session, name=name).workspace
        connection = create_connection(
            session,
            workspace=workspace,
            box=SecretBox(settings.secret_key.get_secret_value()),
            api_key=SANDBOX_API_KEY,
            api_base=url,
            webhook_secret=SECRET,
        )
        return workspace.id, connection.id


def bench_backfill(store: Store, settings: Settings, url: str, name: str) -> dict[str, Any]:
    listed, listing_seconds = _sdk_listing(url)
    workspace_id, connection_id = _linked(store, settings, name, url)
    result = run_backfill(
        store,
        workspace_id=workspace_id,
        connection_id=connection_id,
        gateway=[_gateway(url) for _ in range(BACKFILL_THREADS)],
        now=datetime.now(UTC),
    )
    baseline = listed / listing_seconds
    return {
        "objects": result.total,
        "seconds": round(result.seconds, 1),
        "objects_per_second": round(result.objects_per_second),
        "baseline_sdk_listing_objects_per_second": round(baseline),
        "ratio": round(result.objects_per_second / baseline, 2),
    }


def _make_events(url: str, customers: int) -> None:
    """About eight events per customer (created, card, subscription, invoice), then updates."""
    client = stripe.StripeClient(
        SANDBOX_API_KEY, base_addresses={"api": url}, max_network_retries=2
    )
    product = client.v1.products.create({"name": "Bench"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 2_000,
            "recurring": {"interval": "month"},
        }
    )
    subs = []
    for n in range(customers):
        customer = client.v1.customers.create(
            {
                "email": f"bench{n}@example.test",
                "metadata": {"account_id": f"bench-{n}"},
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        subs.append(
            client.v1.subscriptions.create(
                {"customer": customer.id, "items": [{"price": price.id, "quantity": 1}]}
            )
        )
    for n, sub in enumerate(subs):
        client.v1.subscriptions.update(
            sub.id, {"items": [{"id": sub["items"].data[0].id, "quantity": 2 + n % 5}]}
        )


def bench_inbox(store: Store, settings: Settings, url: str, events: int) -> dict[str, Any]:
    customers = max(1, events // 9)
    workspace_id, connection_id = _linked(store, settings, "Inbox", url)
    csv = "external_id,name\n" + "".join(f"bench-{n},Bench {n}\n" for n in range(customers))
    import_accounts(store, workspace_ref="Inbox", csv_text=csv, now=datetime.now(UTC))
    with store.session() as session:
        ensure_events_cursor(
            session, connection_id=connection_id, now=datetime.now(UTC) - timedelta(seconds=2)
        )
    _make_events(url, customers)
    catch_up_events(
        store,
        workspace_id=workspace_id,
        connection_id=connection_id,
        gateway=_gateway(url),
        now=datetime.now(UTC),
    )
    with store.session() as session:
        payloads = [
            row.payload for row in session.query(StripeEvent).filter_by(connection_id=connection_id)
        ]

    gateway = _gateway(url)
    started = time.perf_counter()
    applied = process_inbox(store, now=datetime.now(UTC), gateway_for=lambda _c: gateway)
    apply_seconds = time.perf_counter() - started

    _receiver_ws, receiver_id = _linked(store, settings, "Receiver", url)
    box = SecretBox(settings.secret_key.get_secret_value())
    signed = [
        (body.encode(), stripe.WebhookSignature.generate_signature_header(body, SECRET))
        for body in payloads
    ]
    started = time.perf_counter()
    for body, header in signed:
        receive_webhook(
            store,
            box,
            connection_id=receiver_id,
            body=body,
            signature=header,
            now=datetime.now(UTC),
            tolerance=settings.webhook_tolerance_seconds,
        )
    receive_seconds = time.perf_counter() - started
    rate, baseline = applied.processed / apply_seconds, len(signed) / receive_seconds
    return {
        "events": applied.processed,
        "accounts": customers,
        "batches": applied.batches,
        "refetched": applied.notes.get("refetched", 0),
        "seconds": round(apply_seconds, 1),
        "events_applied_per_second": round(rate),
        "baseline_events_received_per_second": round(baseline),
        "ratio": round(rate / baseline, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=30_000, help="objects to backfill")
    parser.add_argument("--events", type=int, default=5_000, help="events to apply")
    parser.add_argument("--quick", action="store_true", help="5,000 objects, 1,000 events")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.1,
        help="seconds the sandbox adds to each request in the second backfill "
        "run (Stripe answers a list page in a few hundred ms)",
    )
    args = parser.parse_args()
    objects, events = (5_000, 1_000) if args.quick else (args.objects, args.events)
    with tempfile.TemporaryDirectory() as tmp:
        sandbox_db = Path(tmp) / "sandbox.db"
        seeding = SandboxStore(str(sandbox_db))
        summary = seed_store(
            seeding, customers=max(1, objects // OBJECTS_PER_CUSTOMER), random_seed=1
        )
        seeding.close()
        settings = Settings.load(data_dir=Path(tmp) / "data", database_url=args.database_url or "")
        store = Store.connect(settings.database_url)
        store.migrate()
        report: dict[str, Any] = {"database": store.dialect, "seeded_customers": summary.customers}
        try:
            with _sandbox(sandbox_db, 0.0) as url:
                report["backfill"] = bench_backfill(store, settings, url, "Backfill")
            with _sandbox(sandbox_db, args.latency) as url:
                report[f"backfill_with_{args.latency}s_latency"] = bench_backfill(
                    store, settings, url, "Backfill with latency"
                )
            with _sandbox(sandbox_db, 0.0) as url:
                report["inbox"] = bench_inbox(store, settings, url, events)
        finally:
            store.dispose()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
