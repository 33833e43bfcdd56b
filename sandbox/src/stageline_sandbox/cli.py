"""``stageline sandbox ...``: serve a local Stripe, or seed one.

Examples::

    stageline sandbox serve --seed 200 --random-seed 1 --db .stageline/sandbox.db
    stageline sandbox seed --customers 1000000 --db /tmp/big.db --json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from stageline_sandbox.app import create_sandbox_app
from stageline_sandbox.config import SANDBOX_API_KEY, SandboxConfig
from stageline_sandbox.seed import SeedSummary, seed
from stageline_sandbox.store import SandboxStore

sandbox_app = typer.Typer(
    name="sandbox",
    help="A local Stripe-compatible API server with state (for tests and demos).",
    no_args_is_help=True,
)
_err = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite file keeping the sandbox's state (default: in memory)."),
]
RandomSeedOption = Annotated[
    int, typer.Option("--random-seed", help="Seed of the generator: same seed, same data.")
]


def _open_store(db: Path | None) -> SandboxStore:
    if db is None:
        return SandboxStore()
    db.parent.mkdir(parents=True, exist_ok=True)
    return SandboxStore(str(db))


def _seed_with_progress(
    store: SandboxStore, customers: int, random_seed: int, workers: int | None = None
) -> SeedSummary:
    with Progress(
        TextColumn("seeding"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} customers"),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
    ) as progress:
        task = progress.add_task("seed", total=customers)
        return seed(
            store,
            customers=customers,
            random_seed=random_seed,
            workers=workers,
            progress=lambda done: progress.update(task, completed=done),
        )


@sandbox_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 12111,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    seed_customers: Annotated[
        int, typer.Option("--seed", help="Seed this many customers first (if the store is empty).")
    ] = 0,
    random_seed: RandomSeedOption = 0,
    db: DbOption = None,
    rate_limit: Annotated[
        float, typer.Option(help="Requests per second per key (0 turns limiting off).")
    ] = 25.0,
) -> None:
    """Serve the sandbox until Ctrl-C.

    Example: ``stageline sandbox serve --seed 200 --db .stageline/sandbox.db``, then
    ``stripe.StripeClient("sk_test_stageline_sandbox", base_addresses={"api": URL})``.
    """
    store = _open_store(db)
    if seed_customers and store.count("customer") == 0:
        summary = _seed_with_progress(store, seed_customers, random_seed)
        _err.print(
            f"seeded {summary.customers:,} customers, {summary.subscriptions:,} subscriptions "
            f"in {summary.seconds:.1f}s"
        )
    config = SandboxConfig(
        db_path=str(db) if db else None, rate_limit=rate_limit if rate_limit > 0 else None
    )
    app = create_sandbox_app(config, store=store)
    _err.print(f"Stripe sandbox on http://{host}:{port}  (API key: {SANDBOX_API_KEY})")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@sandbox_app.command("seed")
def seed_command(
    customers: Annotated[int, typer.Option(help="How many customers to create.")] = 200,
    random_seed: RandomSeedOption = 0,
    db: Annotated[Path, typer.Option("--db", help="SQLite file to fill.")] = Path(
        ".stageline/sandbox.db"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes generating customers (default: one per CPU, up to 4)."),
    ] = None,
) -> None:
    """Seed a realistic Stripe account into a sandbox database file.

    Example: ``stageline sandbox seed --customers 1000000 --db /tmp/big.db``.
    """
    if customers < 0:
        _err.print("error: --customers must be 0 or more")
        raise typer.Exit(2)
    store = _open_store(db)
    existing = store.count("customer")
    if existing:
        store.close()
        _err.print(
            f"error: {db} already holds {existing:,} customers; "
            "use a new --db file (or delete this one) to seed again"
        )
        raise typer.Exit(1)
    summary = _seed_with_progress(store, customers, random_seed, workers)
    store.close()
    result = {
        "db": str(db),
        "customers": summary.customers,
        "subscriptions": summary.subscriptions,
        "invoices": summary.invoices,
        "seconds": round(summary.seconds, 2),
    }
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(
            f"Seeded {summary.customers:,} customers, {summary.subscriptions:,} subscriptions "
            f"and {summary.invoices:,} invoices into {db} in {summary.seconds:.1f}s"
        )


def main() -> None:
    """The ``stageline-sandbox`` command (also mounted as ``stageline sandbox``)."""
    sandbox_app()
