"""``stageline sandbox ...``: serve a local Stripe, or seed one.

Examples::

    stageline sandbox serve --seed 200 --random-seed 1 --db .stageline/sandbox.db
    stageline sandbox serve --api-key sk_test_mine \
        --restricted-key rk_test_ro=rak_customer_read,rak_subscription_read \
        --account "acct_1Beta=sk_test_beta,country=DE,currency=eur,name=Beta GmbH,seed=50"
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

from stageline_sandbox.app import account_db_path, create_sandbox_app
from stageline_sandbox.cli_accounts import AccountOption, parse_accounts, parse_restricted_key
from stageline_sandbox.config import DEFAULT_PROFILE, AccountProfile, SandboxConfig
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


def serve_config(
    *,
    db: Path | None = None,
    rate_limit: float = 25.0,
    api_keys: list[str] | None = None,
    restricted_keys: list[str] | None = None,
    accounts: list[str] | None = None,
    profile: AccountProfile = DEFAULT_PROFILE,
) -> tuple[SandboxConfig, list[AccountOption]]:
    """The configuration ``serve`` runs with (raises ``ValueError`` for bad options).

    >>> config, _ = serve_config(api_keys=["sk_test_a"], accounts=["acct_B=sk_test_b"])
    >>> config.account_of("sk_test_b"), config.accepts("sk_test_other")
    ('acct_B', False)
    """
    parsed_keys = [parse_restricted_key(text) for text in restricted_keys or ()]
    named = [(owner, key, perms) for owner, key, perms in parsed_keys if owner is not None]
    options = parse_accounts(accounts or (), named)
    config = SandboxConfig(
        db_path=str(db) if db else None,
        rate_limit=rate_limit if rate_limit > 0 else None,
        api_keys=tuple(api_keys) if api_keys else None,
        restricted_keys={key: perms for owner, key, perms in parsed_keys if owner is None},
        account=profile,
        accounts=tuple(option.account for option in options),
    )
    return config, options


def _describe(config: SandboxConfig) -> list[str]:
    """One line per account and per restricted key, for the start-up banner."""
    keys = ", ".join(config.api_keys) if config.api_keys else "any sk_test_ key"
    lines = [f"account {config.account.id} (default): {keys}"]
    restricted = [(config.account.id, config.restricted_keys)]
    for account in config.accounts:
        own = ", ".join(account.api_keys) or "no key of its own"
        lines.append(f"account {account.id} (connected): {own}")
        restricted.append((account.id, account.restricted_keys))
    for owner, keys_of in restricted:
        for key, permissions in keys_of.items():
            lines.append(f"restricted key {key} of {owner}: {', '.join(sorted(permissions))}")
    return lines


@sandbox_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 12111,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    seed_customers: Annotated[
        int,
        typer.Option(
            "--seed", help="Seed the default account with this many customers (if it is empty)."
        ),
    ] = 0,
    random_seed: RandomSeedOption = 0,
    db: DbOption = None,
    rate_limit: Annotated[
        float, typer.Option(help="Requests per second per key (0 turns limiting off).")
    ] = 25.0,
    api_key: Annotated[
        list[str] | None,
        typer.Option(
            "--api-key",
            help="A secret key of the default account (repeatable); without it, any sk_test_ key.",
        ),
    ] = None,
    restricted_key: Annotated[
        list[str] | None,
        typer.Option(
            "--restricted-key",
            help="[acct_ID:]rk_test_KEY=rak_customer_read,... : a restricted key (repeatable).",
        ),
    ] = None,
    account: Annotated[
        list[str] | None,
        typer.Option(
            "--account",
            help="acct_ID=KEY[,country=DE][,currency=eur][,name=...][,email=...][,seed=N]: "
            "another account with its own data, connected to the default one (repeatable).",
        ),
    ] = None,
    account_id: Annotated[str, typer.Option(help="The default account's id.")] = DEFAULT_PROFILE.id,
    country: Annotated[
        str, typer.Option(help="The default account's country.")
    ] = DEFAULT_PROFILE.country,
    default_currency: Annotated[
        str, typer.Option(help="The default account's currency.")
    ] = DEFAULT_PROFILE.default_currency,
    display_name: Annotated[
        str, typer.Option(help="The default account's display name.")
    ] = DEFAULT_PROFILE.display_name or "",
    email: Annotated[str, typer.Option(help="The default account's email.")] = DEFAULT_PROFILE.email
    or "",
) -> None:
    """Serve the sandbox until Ctrl-C.

    Example: ``stageline sandbox serve --seed 200 --db .stageline/sandbox.db``, then
    ``stripe.StripeClient("sk_test_anything", base_addresses={"api": URL})``.
    """
    try:
        profile = AccountProfile(
            account_id, country, default_currency, display_name or None, email or None
        )
        config, options = serve_config(
            db=db,
            rate_limit=rate_limit,
            api_keys=api_key,
            restricted_keys=restricted_key,
            accounts=account,
            profile=profile,
        )
    except ValueError as bad:
        typer.echo(f"error: {bad}", err=True)
        raise typer.Exit(2) from None
    store = _open_store(db)
    stores = {
        option.account.id: _open_store(_path(account_db_path(config.db_path, option.account)))
        for option in options
    }
    for name, target, customers in [
        (config.account.id, store, seed_customers),
        *((o.account.id, stores[o.account.id], o.seed) for o in options),
    ]:
        if customers and target.count("customer") == 0:
            summary = _seed_with_progress(target, customers, random_seed)
            _err.print(
                f"seeded {summary.customers:,} customers, {summary.subscriptions:,} "
                f"subscriptions into {name} in {summary.seconds:.1f}s"
            )
    app = create_sandbox_app(config, store=store, stores=stores)
    _err.print(f"Stripe sandbox on http://{host}:{port}")
    for line in _describe(config):
        _err.print(f"  {line}")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


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
