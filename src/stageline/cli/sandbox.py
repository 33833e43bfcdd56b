"""``stageline sandbox ...``: the local Stripe, when the optional ``sandbox`` extra is installed.

The sandbox is its own distribution (``stageline-sandbox``); without it, ``stageline sandbox``
and ``stageline demo`` say in one line what to install instead of failing on an import.
"""

from __future__ import annotations

import importlib.util

import typer

from stageline.errors import ConfigError

SANDBOX_MISSING = (
    "the local Stripe sandbox is not installed: pip install 'stageline[sandbox]' "
    "(from a checkout: pip install -e ./sandbox)"
)


def sandbox_installed() -> bool:
    return importlib.util.find_spec("stageline_sandbox") is not None


def require_sandbox() -> None:
    """Raise a one-line :class:`ConfigError` naming the extra when the sandbox is missing."""
    if not sandbox_installed():
        raise ConfigError(SANDBOX_MISSING)


def mount_sandbox(app: typer.Typer) -> None:
    """Add ``stageline sandbox``: the sandbox's own commands, or a stand-in that says what to
    install."""
    if sandbox_installed():
        from stageline_sandbox.cli import sandbox_app

        app.add_typer(sandbox_app, name="sandbox", help="A local Stripe-compatible API server.")
        return

    @app.command(
        "sandbox",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        help="A local Stripe-compatible API server (needs the 'sandbox' extra).",
    )
    def sandbox_missing() -> None:
        typer.echo(f"Error: {SANDBOX_MISSING}", err=True)
        raise typer.Exit(1)
