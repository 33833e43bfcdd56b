"""``stageline accounts ...``, ``users ...``, ``customers ...``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from stageline import operations
from stageline.cli.context import cli_errors, console, print_json, runtime
from stageline.cli.workspaces import JsonOpt, WorkspaceOpt
from stageline.domain.money import Money
from stageline.errors import InvalidInput
from stageline.facts.users import user_detail
from stageline.facts.views import (
    account_detail,
    list_account_summaries,
    stage_label,
    unmatched_customers,
)
from stageline.importing import decode_csv
from stageline.store.workspaces import find_workspace

accounts_app = typer.Typer(help="Accounts with MRR, renewal date and stage.", no_args_is_help=True)
users_app = typer.Typer(help="Users of our own, members of accounts.", no_args_is_help=True)
customers_app = typer.Typer(help="Stripe customers and how they matched.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="CSV file with a header row.")]
ClearEmptyOpt = Annotated[
    bool,
    typer.Option(
        "--clear-empty",
        help="An empty cell clears the stored value (by default it keeps it).",
    ),
]
NO_STAGE = "no matching stage"


def _read(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    return decode_csv(data, what=what)


def _money(value: dict[str, Any]) -> str:
    return Money(int(value["amount"]), str(value["currency"])).format()


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    days, rest = divmod(seconds, 86400)
    return f"{days} days" if days else f"{rest // 3600} hours"


def _stage(row: dict[str, Any]) -> str:
    stage = stage_label(row["stage"], row.get("unmatched_statuses") or [])
    if row.get("unmatched_statuses"):
        stage += f" (uncovered: {', '.join(row['unmatched_statuses'])})"
    return stage


@accounts_app.command("list")
def accounts_list(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Every account with MRR, renewal date and stage. Example: stageline accounts list --json"""
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            rows = list_account_summaries(
                session, workspace=find_workspace(session, ref=workspace), now=rt.now()
            )
        if as_json:
            print_json(rows)
            return
        table = Table("external id", "name", "MRR", "renewal date", "stage", "customers")
        for row in rows:
            table.add_row(
                row["external_id"],
                row["name"],
                _money(row["mrr"]),
                (row["renewal_date"] or "—")[:10],
                _stage(row),
                ", ".join(row["stripe_customer_ids"]),
            )
        console.print(table)


@accounts_app.command("show")
def accounts_show(
    external_id: str, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """One account: facts, each MRR line, the MRR ledger, stage history and changes.

    Example: stageline accounts show acme-corp --json
    """
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            detail = account_detail(
                session,
                workspace=find_workspace(session, ref=workspace),
                external_id=external_id,
                now=rt.now(),
            )
        if as_json:
            print_json(detail)
            return
        _print_detail(detail)


def _print_detail(detail: dict[str, Any]) -> None:
    console.print(f"[bold]{detail['name']}[/] ({detail['external_id']})")
    by_currency = ", ".join(
        Money(amount, currency).format() for currency, amount in detail["mrr_by_currency"].items()
    )
    console.print(
        f"  MRR {_money(detail['mrr'])} [{detail['mrr_basis']}]  by currency: {by_currency or '—'}"
    )
    if detail["mrr_note"]:
        console.print(f"  {detail['mrr_note']}", highlight=False)
    renews = detail["renews_in_days"]
    console.print(
        f"  renewal {detail['renewal_date'] or '—'}"
        + (f" (in {renews} days)" if renews is not None else "")
        + (f"  ends {detail['ends_at']}" if detail["ends_at"] else "")
    )
    console.print(f"  stage {_stage(detail)}  for {_duration(detail['time_in_stage_seconds'])}")
    lines = Table("subscription", "price", "qty", "discount", "monthly", "counted")
    for line in detail["mrr_lines"]:
        lines.add_row(
            f"{line['subscription_id']} ({line.get('subscription_status') or '?'})",
            line.get("price") or line["price_id"],
            str(line["quantity"]),
            line["discount"] or "",
            line.get("monthly") or line["monthly_amount"],
            "yes" if line["counted"] else line["reason"],
        )
    console.print(lines)
    if detail["movements"]:
        ledger = Table("when", "movement", "amount", "cause")
        for move in detail["movements"]:
            sign = "-" if move["amount"] < 0 else "+"
            ledger.add_row(move["at"][:19], move["kind"], f"{sign}{move['money']}", move["cause"])
        console.print(ledger)
    if detail["stage_history"]:
        stages = Table("when", "from", "to", "cause")
        for step in detail["stage_history"]:
            stages.add_row(
                step["at"][:19], step["from"] or NO_STAGE, step["to"] or NO_STAGE, step["cause"]
            )
        console.print(stages)


@accounts_app.command("import")
def accounts_import(
    path: FileArg,
    clear_empty: ClearEmptyOpt = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or update accounts from CSV (external_id,name,<properties>...).

    Only the columns in the file change; an empty cell keeps the stored value.
    Example: stageline accounts import accounts.csv
    """
    _import("Accounts", operations.import_accounts, path, clear_empty, workspace, as_json)


@users_app.command("import")
def users_import(
    path: FileArg,
    clear_empty: ClearEmptyOpt = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or update users from CSV (external_id,name,email,account_external_ids,...).

    Only the columns in the file change; an empty cell keeps the stored value.
    Example: stageline users import users.csv
    """
    _import("Users", operations.import_users, path, clear_empty, workspace, as_json)


def _import(
    what: str,
    run: Callable[..., operations.Imported],
    path: Path,
    clear_empty: bool,
    workspace: str | None,
    as_json: bool,
) -> None:
    with cli_errors(as_json=as_json):
        rt = runtime()
        text = _read(path, what.lower())
        result = run(
            rt.store, workspace_ref=workspace, csv_text=text, now=rt.now(), clear_empty=clear_empty
        )
        if as_json:
            print_json(result.as_json())
        else:
            console.print(
                f"{what}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged."
            )


@users_app.command("show")
def users_show(external_id: str, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """One user: its accounts' MRR, renewal date and stage, and its matched Stripe customers.

    Example: stageline users show user-42 --json
    """
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            detail = user_detail(
                session,
                workspace=find_workspace(session, ref=workspace),
                external_id=external_id,
                now=rt.now(),
            )
        if as_json:
            print_json(detail)
            return
        console.print(f"[bold]{detail['name'] or detail['external_id']}[/] {detail['email'] or ''}")
        table = Table("account", "MRR", "renewal date", "stage")
        for row in detail["accounts"]:
            table.add_row(
                row["external_id"],
                _money(row["mrr"]),
                (row["renewal_date"] or "—")[:10],
                _stage(row),
            )
        console.print(table)
        for customer in detail["stripe_customers"]:
            console.print(f"  Stripe customer {customer['customer_id']}: {customer['status']}")


@customers_app.command("unmatched")
def customers_unmatched(
    workspace: WorkspaceOpt = None,
    include_skipped: Annotated[
        bool, typer.Option("--include-skipped", help="Also list customers deleted in Stripe.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Stripe customers that matched no account or user, or several, with the reason.

    Example: stageline customers unmatched --json
    """
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            rows = unmatched_customers(
                session,
                workspace=find_workspace(session, ref=workspace),
                include_skipped=include_skipped,
            )
        if as_json:
            print_json(rows)
            return
        table = Table("customer", "email", "status", "reason")
        for row in rows:
            table.add_row(
                row["customer_id"], row["email"] or "", row["status"], row["reason"] or ""
            )
        console.print(table)
        console.print(f"{len(rows)} customers need attention.")
