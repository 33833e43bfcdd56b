"""``stageline workspace ...``, ``connect ...``, ``connections ...``, ``sync``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from stageline import connecting, operations
from stageline.cli.context import cli_errors, console, error_console, print_json, runtime
from stageline.errors import InvalidInput
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
from stageline.sync.status_text import describe_connection, describe_objects

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


@workspace_app.command("sign-in-link")
def workspace_sign_in_link(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Print a link that signs a browser in to the web UI; it works once, within a day.

    Example: stageline workspace sign-in-link --workspace Acme
    """
    from stageline.web.ui import login_link

    with cli_errors(as_json=as_json):
        rt = runtime()
        with rt.store.session() as session:
            found = find_workspace(session, ref=workspace)
            link = login_link(session, rt.settings, found.id, now=rt.now())
        if as_json:
            print_json({"id": found.id, "url": link})
        else:
            console.print(f"Sign in with: {link}  (works once)", soft_wrap=True, highlight=False)


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
        connected = connecting.connect_stripe(
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
        _print_connected(connected, as_json=as_json)


def _print_connected(connected: connecting.Connected, *, as_json: bool) -> None:
    data = {
        "id": connected.connection_id,
        "workspace_id": connected.workspace_id,
        "mode": connected.mode,
        "api_base": connected.api_base,
        "stripe_account_id": connected.stripe_account_id,
        "updated": connected.updated,
        "webhook_url": connected.webhook_url,
        "webhook_endpoint_id": connected.webhook_endpoint_id,
        "webhook_error": connected.webhook_error,
    }
    if as_json:
        print_json(data)
        return
    where = f"Stripe account {connected.stripe_account_id} ({connected.mode} mode)"
    if connected.updated:
        console.print(
            f"{where} was connected already as {connected.connection_id}: it now uses this key "
            "(same data, nothing counted twice).",
            soft_wrap=True,
            highlight=False,
        )
    else:
        console.print(
            f"Connected to {where} at {connected.api_base}: {connected.connection_id}",
            soft_wrap=True,
            highlight=False,
        )
    console.print(f"Webhook URL: {connected.webhook_url}", soft_wrap=True, highlight=False)
    if connected.webhook_endpoint_id:
        console.print(f"Webhook endpoint on Stripe: {connected.webhook_endpoint_id}")
    if connected.webhook_error:
        console.print(f"[yellow]Warning:[/] {escape(connected.webhook_error)}")


@connections_app.command("set-key")
def connections_set_key(
    connection: Annotated[str, typer.Argument(help="The connection, e.g. conn_26f5...")],
    api_key: Annotated[str, typer.Option("--api-key", help="Restricted key rk_... or sk_...")],
    workspace: WorkspaceOpt = None,
    api_base: Annotated[
        str | None, typer.Option("--api-base", help="Stripe-compatible server, e.g. the sandbox.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a connection a new key of the same Stripe account (a rotated key, or the first
    key of an account linked by the Stripe App); a key of another account is refused.

    Example: stageline connections set-key conn_26f5101283a78009 --api-key rk_test_...
    """
    with cli_errors(as_json=as_json):
        rt = runtime()
        connected = connecting.connect_stripe(
            rt.store,
            rt.settings,
            workspace_ref=workspace,
            api_key=api_key,
            api_base=api_base,
            now=rt.now(),
            connection_id=connection,
        )
        _print_connected(connected, as_json=as_json)


@connections_app.command("remove")
def connections_remove(
    connection: Annotated[str, typer.Argument(help="The connection, e.g. conn_26f5...")],
    workspace: WorkspaceOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a connection with everything synced through it, delete Stageline's webhook
    endpoint on Stripe, and refresh every account's facts.

    Example: stageline connections remove conn_26f5101283a78009 --yes
    """
    with cli_errors(as_json=as_json):
        if not yes and as_json:
            raise InvalidInput("--json needs --yes: a prompt would corrupt the JSON output")
        if not yes and not typer.confirm(
            f"Remove {connection} and all Stripe data synced through it?"
        ):
            raise typer.Exit(1)
        rt = runtime()
        warning = connecting.remove_stripe_connection(
            rt.store, rt.settings, workspace_ref=workspace, connection_id=connection, now=rt.now()
        )
        if as_json:
            print_json({"id": connection, "removed": True, "warning": warning})
            return
        console.print(f"Removed {connection} and the data synced through it.", highlight=False)
        if warning:
            console.print(f"[yellow]Warning:[/] {escape(warning)}", soft_wrap=True)


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
            console.print(f"[bold]{row['id']}[/]", highlight=False)
            held = describe_objects(row["objects"])
            for line in [*describe_connection(row, now=now), f"holds {held}"]:
                console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)


ConnectionOpt = Annotated[
    str | None,
    typer.Option("--connection", help="Sync only this connection (default: every one)."),
]


def _synced_view(synced: operations.ConnectionSynced) -> dict[str, Any]:
    result = synced.result
    view: dict[str, Any] = {
        "id": synced.connection_id,
        "mode": synced.mode,
        "stripe_account_id": synced.stripe_account_id,
        "error": synced.error,
        "skipped": synced.skipped,
    }
    if result is not None:
        view |= {
            "objects": result.counts,
            "total": result.total,
            "seconds": round(result.seconds, 3),
            "objects_per_second": round(result.objects_per_second, 1),
            "unreadable": result.unreadable,
            "resumed": result.resumed,
        }
    return view


def sync(
    workspace: WorkspaceOpt = None, connection: ConnectionOpt = None, as_json: JsonOpt = False
) -> None:
    """Full backfill of every Stripe connection (or one) with a progress bar, then refresh
    every account's facts. Exits 1 if any connection failed, after syncing the others.

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

            def progress_for(connection_id: str) -> Callable[[BackfillProgress], None]:
                task_id = progress.add_task(connection_id, total=None, rate="", eta="")

                def on_progress(update: BackfillProgress) -> None:
                    eta = f"ETA {update.eta_seconds:,.0f} s" if update.eta_seconds else ""
                    progress.update(
                        task_id,
                        completed=update.fetched,
                        total=max(update.estimated_total or 0, update.fetched) or None,
                        description=f"{connection_id} ({update.object_type}s)",
                        rate=f"{update.objects_per_second:,.0f} obj/s",
                        eta=eta,
                    )

                return on_progress

            synced = operations.sync_workspace(
                rt.store,
                rt.settings,
                workspace_ref=workspace,
                connection_id=connection,
                now=rt.now(),
                on_progress=progress_for,
            )
        results = [s.result for s in synced if s.result is not None]
        last = results[-1] if results else None
        data: dict[str, Any] = {
            "connections": [_synced_view(s) for s in synced],
            "objects": _summed([r.counts for r in results]),
            "total": sum(r.total for r in results),
        }
        if last is not None:  # facts are the workspace's, refreshed after each backfill
            data |= {
                "accounts": last.accounts,
                "customers": {
                    "matched": last.matched_customers,
                    "unmatched": last.unmatched_customers,
                    "ambiguous": last.ambiguous_customers,
                },
            }
        failed = [s for s in synced if s.error]
        if as_json:
            print_json(data)
        else:
            _print_synced(synced)
        if failed:
            raise typer.Exit(1)


def _summed(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counts:
        for name, n in one.items():
            total[name] = total.get(name, 0) + n
    return total


def _print_synced(synced: list[operations.ConnectionSynced]) -> None:
    for one in synced:
        account = f", Stripe account {one.stripe_account_id}" if one.stripe_account_id else ""
        where = f"{one.connection_id} ({one.mode} mode{account})"
        if one.skipped:
            console.print(f"{where}: skipped, {one.skipped}", highlight=False, soft_wrap=True)
            continue
        if one.error or one.result is None:
            error_console.print(
                f"[bold red]Error:[/] {escape(where)}: {escape(one.error or '')}",
                highlight=False,
                soft_wrap=True,
            )
            continue
        result = one.result
        objects = ", ".join(f"{n} {t}s" for t, n in result.counts.items())
        console.print(
            f"{where}: synced {result.total} objects ({objects}) in {result.seconds:,.1f} s, "
            f"{result.objects_per_second:,.0f} objects/s.",
            highlight=False,
            soft_wrap=True,
        )
    last = next((s.result for s in reversed(synced) if s.result is not None), None)
    if last is not None:
        console.print(
            f"{last.accounts} accounts; customers matched {last.matched_customers}, "
            f"unmatched {last.unmatched_customers}, ambiguous {last.ambiguous_customers}."
        )
