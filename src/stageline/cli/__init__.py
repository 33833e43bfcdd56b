"""The ``stageline`` command: a thin Typer layer over the library.

Every command that prints data takes ``--json``; commands that act on a workspace take
``--workspace`` (optional when there is only one).
"""

from __future__ import annotations

import typer

from stageline.cli import accounts, runtime, settings, workspaces
from stageline.cli.demo import demo
from stageline.cli.sandbox import mount_sandbox

app = typer.Typer(
    name="stageline",
    help="Stripe billing data turned into customer lifecycle: MRR, renewal dates, stages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(workspaces.workspace_app, name="workspace")
app.add_typer(workspaces.connect_app, name="connect")
app.add_typer(workspaces.connections_app, name="connections")
app.add_typer(accounts.accounts_app, name="accounts")
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.customers_app, name="customers")
app.add_typer(settings.settings_app, name="settings")
mount_sandbox(app)
app.command("sync")(workspaces.sync)
app.command("migrate")(runtime.migrate)
app.command("serve")(runtime.serve)
app.command("worker")(runtime.worker)
app.command("demo")(demo)


def main() -> None:
    app()
