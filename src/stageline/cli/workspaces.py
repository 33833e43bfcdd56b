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
from stageline.store.workspaces import (
    create_workspace,
    find_workspace,
    list_workspaces,
    rotate_connection_secret,
)
from stageline.sync.progress import BackfillProgress
from stageline.sync.status import connection_status

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
    with cli_errors(as_json=as_json):
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


@workspace_app.command("rotate-secret")
def workspace_rotate_secret(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Issue a new Stripe connection secret; the old one stops working at once.

    Example: stageline workspace rotate-secret --workspace Acme
    """
    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            found = find_workspace(session, ref=workspace)
            data = {
                "id": found.id,
                "connection_secret": rotate_connection_secret(session, workspace=found),
            }
        if as_json:
            print_json(data)
        else:
            console.print(
                f"New connection secret (shown once): {data['connection_secret']}", soft_wrap=True
            )


@workspace_app.command("list")
def workspace_list(as_json: JsonOpt = False) -> None:
    """List workspaces. Example: stageline workspace list --json"""
    with cli_errors(as_json=as_json):
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
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook/--no-webhook",
            help="Create Stageline's webhook endpoint on Stripe (ignored with --webhook-secret).",
        ),
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Check a Stripe key's scopes with real calls, store the connection (key encrypted) and
    create Stageline's webhook endpoint on Stripe (its signing secret stored encrypted).

    Example: stageline connect stripe --api-key rk_test_... --api-base http://127.0.0.1:12111
    """
    with cli_errors(as_json=as_json):
        rt = runtime()
        connected = operations.connect_stripe(
            rt.store,
            rt.settings,
            workspace_ref=workspace,
            api_key=api_key,
            api_base=api_base,
            metadata_key=metadata_key,
            webhook_secret=webhook_secret,
            register_webhook=webhook,
            now=rt.now(),
        )
        data = {
            "id": connected.connection_id,
            "workspace_id": connected.workspace_id,
            "mode": connected.mode,
            "api_base": connected.api_base,
            "webhook_url": connected.webhook_url,
            "webhook_endpoint_id": connected.webhook_endpoint_id,
            "webhook_error": connected.webhook_error,
        }
        if as_json:
            print_json(data)
            return
        console.print(
            f"Connected to Stripe ({connected.mode} mode) at {connected.api_base}: "
            f"{connected.connection_id}"
        )
        console.print(f"Webhook URL: {connected.webhook_url}")
        if connected.webhook_endpoint_id:
            console.print(f"Webhook endpoint created on Stripe: {connected.webhook_endpoint_id}")
        if connected.webhook_error:
            console.print(f"[yellow]Warning:[/] {connected.webhook_error}")


@connections_app.command("show")
def connections_show(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Each connection: id, webhook URL, status and last error, last backfill, webhook health
    (last delivery, refusals), events lag, drift found by the last sweep, objects held.

    Example: stageline connections show --json
    """
    with cli_errors(as_json=as_json):
        rt = runtime()
        now = rt.now()
        with rt.store.session() as session:
            ws = find_workspace(session, ref=workspace)
            rows = []
            for c in list_connections(session, workspace_id=ws.id):
                status = connection_status(
                    session, connection=c, now=now, public_url=rt.settings.public_url
                )
                rows.append(
                    {
                        **status,
                        "last_backfill_at": status["backfill"]["last_at"],
                        "last_event_at": status["events"]["last_event_at"],
                        "webhook_url": status["webhook"]["url"],
                        "objects": count_objects(session, connection_id=c.id),
                    }
                )
        if as_json:
            print_json(rows)
            return
        for row in rows:
            console.print(f"[bold]{row['id']}[/] {row['mode']} {row['status']} {row['api_base']}")
            for key in (
                "api_key",
                "last_error",
                "webhook_url",
                "backfill",
                "webhook",
                "events",
                "drift",
                "objects",
            ):
                console.print(f"  {key}: {row[key]}")


def sync(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Full backfill from Stripe with a progress bar, then refresh every account's facts.

    Example: stageline sync --workspace Acme
    """
    with cli_errors(as_json=as_json):
        rt = runtime()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[eta]}"),
            console=console,
            disable=as_json,
            transient=False,
        ) as progress:
            task_id = progress.add_task("Stripe objects", total=None, rate="", eta="")

            def on_progress(update: BackfillProgress) -> None:
                eta = f"ETA {update.eta_seconds:,.0f} s" if update.eta_seconds is not None else ""
                progress.update(
                    task_id,
                    completed=update.fetched,
                    total=max(update.estimated_total or 0, update.fetched) or None,
                    description=f"Stripe objects ({update.object_type}s)",
                    rate=f"{update.objects_per_second:,.0f} obj/s",
                    eta=eta,
                )

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
            "seconds": round(result.seconds, 3),
            "objects_per_second": round(result.objects_per_second, 1),
            "unreadable": result.unreadable,
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
        console.print(
            f"Synced {result.total} objects ({synced}) in {result.seconds:,.1f} s, "
            f"{result.objects_per_second:,.0f} objects/s."
        )
        console.print(
            f"{result.accounts} accounts; customers matched {result.matched_customers}, "
            f"unmatched {result.unmatched_customers}, ambiguous {result.ambiguous_customers}."
        )
