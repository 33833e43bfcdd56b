"""``stageline workspace ...``, ``connect ...``, ``connections ...``, ``sync``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from stageline import operations
from stageline.cli.context import cli_errors, console, print_json, runtime
from stageline.store.connections import list_connections
from stageline.store.mirror import count_objects
from stageline.store.workspaces import create_workspace, find_workspace, list_workspaces

workspace_app = typer.Typer(help="Create and list workspaces (tenants).", no_args_is_help=True)
connect_app = typer.Typer(help="Connect a workspace to Stripe.", no_args_is_help=True)
connections_app = typer.Typer(help="Inspect Stripe connections.", no_args_is_help=True)

WorkspaceOpt = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Workspace id or name (optional if only one)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@workspace_app.command("create")
def workspace_create(name: str, as_json: JsonOpt = False) -> None:
    """Create a workspace; prints its API key and connection secret once.

    Example: stageline workspace create Acme --json
    """
    with cli_errors():
        rt = runtime()
        with rt.store.session() as session:
            created = create_workspace(session, name=name)
            data = {
                "id": created.workspace.id,
                "name": created.workspace.name,
                "api_key": created.api_key,
                "connection_secret": created.connection_secret,
            }
        if as_json:
            print_json(data)
            return
        console.print(f"Workspace [bold]{data['name']}[/] created: {data['id']}")
        console.print(f"API key (shown once, stored hashed): [bold]{data['api_key']}[/]")
        console.print(
            f"Stripe connection secret (shown once): [bold]{data['connection_secret']}[/]"
        )


@workspace_app.command("list")
def workspace_list(as_json: JsonOpt = False) -> None:
    """List workspaces. Example: stageline workspace list --json"""
    with cli_errors():
        rt = runtime()
        with rt.store.session() as session:
            rows = [
                {"id": w.id, "name": w.name, "created_at": w.created_at.isoformat()}
                for w in list_workspaces(session)
            ]
        if as_json:
            print_json(rows)
            return
        table = Table("id", "name", "created")
        for row in rows:
            table.add_row(row["id"], row["name"], row["created_at"])
        console.print(table)


@connect_app.command("stripe")
def connect_stripe(
    api_key: Annotated[str, typer.Option("--api-key", help="Restricted key rk_... or sk_...")],
    workspace: WorkspaceOpt = None,
    api_base: Annotated[
        str | None, typer.Option("--api-base", help="Stripe-compatible server, e.g. the sandbox.")
    ] = None,
    metadata_key: Annotated[
        str, typer.Option("--metadata-key", help="Customer metadata key holding our account id.")
    ] = "account_id",
    webhook_secret: Annotated[
        str | None, typer.Option("--webhook-secret", help="Signing secret of your own endpoint.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a Stripe key with a real call and store the connection (key encrypted).

    Example: stageline connect stripe --api-key rk_test_... --api-base http://127.0.0.1:12111
    """
    with cli_errors():
        rt = runtime()
        connected = operations.connect_stripe(
            rt.store,
            rt.settings,
            workspace_ref=workspace,
            api_key=api_key,
            api_base=api_base,
            metadata_key=metadata_key,
            webhook_secret=webhook_secret,
        )
        data = {
            "id": connected.connection_id,
            "workspace_id": connected.workspace_id,
            "mode": connected.mode,
            "api_base": connected.api_base,
        }
        if as_json:
            print_json(data)
        else:
            console.print(
                f"Connected to Stripe ({connected.mode} mode) at {connected.api_base}: "
                f"{connected.connection_id}"
            )


@connections_app.command("show")
def connections_show(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Each connection: id, status, last error, last backfill, objects held, webhook URL."""
    with cli_errors():
        rt = runtime()
        with rt.store.session() as session:
            ws = find_workspace(session, ref=workspace)
            rows = [
                {
                    "id": c.id,
                    "mode": c.mode,
                    "api_base": c.api_base,
                    "api_key": c.api_key_hint,
                    "status": c.status,
                    "last_error": c.last_error,
                    "last_backfill_at": c.last_backfill_at.isoformat()
                    if c.last_backfill_at
                    else None,
                    "last_event_at": c.last_event_at.isoformat() if c.last_event_at else None,
                    "webhook_url": f"{rt.settings.public_url}/webhooks/stripe/{c.id}",
                    "objects": count_objects(session, connection_id=c.id),
                }
                for c in list_connections(session, workspace_id=ws.id)
            ]
        if as_json:
            print_json(rows)
            return
        for row in rows:
            console.print(f"[bold]{row['id']}[/] {row['mode']} {row['status']} {row['api_base']}")
            for key in (
                "api_key",
                "last_error",
                "last_backfill_at",
                "last_event_at",
                "webhook_url",
                "objects",
            ):
                console.print(f"  {key}: {row[key]}")


def sync(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Full backfill from Stripe with a progress bar, then refresh every account's facts.

    Example: stageline sync --workspace Acme
    """
    with cli_errors():
        rt = runtime()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
            disable=as_json,
            transient=False,
        ) as progress:
            tasks: dict[str, int] = {}

            def on_progress(object_type: str, count: int) -> None:
                if object_type not in tasks:
                    tasks[object_type] = progress.add_task(f"{object_type}s", total=None, rate="")
                task_id = tasks[object_type]
                progress.advance(task_id, count)
                task = progress.tasks[task_id]
                speed = task.completed / task.elapsed if task.elapsed else 0
                progress.update(task_id, rate=f"{speed:,.0f} obj/s")

            result = operations.sync_workspace(
                rt.store,
                rt.settings,
                workspace_ref=workspace,
                now=rt.now(),
                on_progress=on_progress,
            )
        data = {
            "objects": result.counts,
            "total": result.total,
            "resumed": result.resumed,
            "accounts": result.accounts,
            "customers": {
                "matched": result.matched_customers,
                "unmatched": result.unmatched_customers,
                "ambiguous": result.ambiguous_customers,
            },
        }
        if as_json:
            print_json(data)
            return
        synced = ", ".join(f"{n} {t}s" for t, n in result.counts.items())
        console.print(f"Synced {result.total} objects ({synced}).")
        console.print(
            f"{result.accounts} accounts; customers matched {result.matched_customers}, "
            f"unmatched {result.unmatched_customers}, ambiguous {result.ambiguous_customers}."
        )
