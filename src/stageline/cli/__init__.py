"""The ``stageline`` command: a thin Typer layer over the library.

Every command that prints data takes ``--json``; commands that act on a workspace take
``--workspace`` (optional when there is only one). With ``--json``, a failure prints the error
envelope on stdout and exits 1, a command-line usage error included.
"""

from __future__ import annotations

import sys

import typer

from stageline.cli import accounts, runtime, settings, workspaces
from stageline.cli.context import print_json
from stageline.cli.demo import demo
from stageline.cli.sandbox import mount_sandbox
from stageline.errors import InvalidInput

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
    if "--json" not in sys.argv[1:]:
        app()
        return
    command = typer.main.get_command(app)
    try:
        code = command.main(sys.argv[1:], prog_name="stageline", standalone_mode=False)
    except typer.TyperException as exc:  # a usage error: unknown option, missing argument...
        print_json(InvalidInput(exc.format_message(), code="usage_error").to_json())
        sys.exit(1)
    except typer.Abort:
        print_json(InvalidInput("interrupted", code="interrupted").to_json())
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
