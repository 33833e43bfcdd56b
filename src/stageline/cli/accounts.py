"""``stageline accounts ...``, ``users ...``, ``customers ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stageline import operations
from stageline.cli.context import cli_errors, console, print_json, runtime
from stageline.cli.workspaces import JsonOpt, WorkspaceOpt
from stageline.domain.money import Money
from stageline.errors import InvalidInput
from stageline.facts.views import account_detail, list_account_summaries, unmatched_customers
from stageline.store.workspaces import find_workspace

accounts_app = typer.Typer(help="Accounts with MRR, renewal date and stage.", no_args_is_help=True)
users_app = typer.Typer(help="Users of our own, members of accounts.", no_args_is_help=True)
customers_app = typer.Typer(help="Stripe customers and how they matched.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="CSV file with a header row.")]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text", hint="save the CSV as UTF-8") from exc


@accounts_app.command("list")
def accounts_list(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Every account with MRR, renewal date and stage. Example: stageline accounts list --json"""
    with cli_errors():
        rt = runtime()
        with rt.store.session() as session:
            rows = list_account_summaries(session, workspace=find_workspace(session, ref=workspace))
        if as_json:
            print_json(rows)
            return
        table = Table("external id", "name", "MRR", "renewal date", "stage", "customers")
        for row in rows:
            mrr = Money(row["mrr"]["amount"], row["mrr"]["currency"]).format()
            table.add_row(
                row["external_id"],
                row["name"],
                mrr,
                (row["renewal_date"] or "—")[:10],
                row["stage"] or "—",
                ", ".join(row["stripe_customer_ids"]),
            )
        console.print(table)


@accounts_app.command("show")
def accounts_show(
    external_id: str, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """One account: facts, subscriptions, each MRR line and its history.

    Example: stageline accounts show acme-corp --json
    """
    with cli_errors():
        rt = runtime()
        with rt.store.session() as session:
            detail = account_detail(
                session, workspace=find_workspace(session, ref=workspace), external_id=external_id
            )
        if as_json:
            print_json(detail)
            return
        mrr = Money(detail["mrr"]["amount"], detail["mrr"]["currency"]).format()
        console.print(f"[bold]{detail['name']}[/] ({detail['external_id']})")
        console.print(
            f"  MRR {mrr}  renewal {detail['renewal_date'] or '—'}  "
            f"stage {detail['stage'] or 'no matching stage'}"
        )
        lines = Table("subscription", "price", "qty", "interval", "discount", "monthly", "counted")
        for line in detail["mrr_lines"]:
            interval = f"{line['interval_count']} {line['interval']}"
            lines.add_row(
                line["subscription_id"],
                line["price_id"],
                str(line["quantity"]),
                interval,
                line["discount"] or "",
                line["monthly_amount"],
                line["reason"],
            )
        console.print(lines)


@accounts_app.command("import")
def accounts_import(
    path: FileArg, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """Create or update accounts from CSV (external_id,name,<properties>...).

    Example: stageline accounts import accounts.csv
    """
    with cli_errors():
        rt = runtime()
        result = operations.import_accounts(
            rt.store, workspace_ref=workspace, csv_text=_read(path), now=rt.now()
        )
        data = {"created": result.created, "updated": result.updated}
        if as_json:
            print_json(data)
        else:
            console.print(f"Accounts: {result.created} created, {result.updated} updated.")


@users_app.command("import")
def users_import(path: FileArg, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Create or update users from CSV (external_id,name,email,account_external_ids,...).

    Example: stageline users import users.csv
    """
    with cli_errors():
        rt = runtime()
        result = operations.import_users(
            rt.store, workspace_ref=workspace, csv_text=_read(path), now=rt.now()
        )
        data = {"created": result.created, "updated": result.updated}
        if as_json:
            print_json(data)
        else:
            console.print(f"Users: {result.created} created, {result.updated} updated.")


@customers_app.command("unmatched")
def customers_unmatched(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Stripe customers that matched no account, or several, with the reason."""
    with cli_errors():
        rt = runtime()
        with rt.store.session() as session:
            rows = unmatched_customers(session, workspace=find_workspace(session, ref=workspace))
        if as_json:
            print_json(rows)
            return
        table = Table("customer", "status", "reason")
        for row in rows:
            table.add_row(row["customer_id"], row["status"], row["reason"] or "")
        console.print(table)
        console.print(f"{len(rows)} customers need attention.")
