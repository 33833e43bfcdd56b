"""What every command needs: settings and store, built once per invocation, plus output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from stageline.config import Settings
from stageline.errors import StagelineError
from stageline.store.db import Store

console = Console()
error_console = Console(stderr=True)


@dataclass
class Runtime:
    settings: Settings
    store: Store

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The settings and the migrated store, created on first use in this process."""
    global _runtime
    if _runtime is None:
        settings = Settings.load()
        store = Store.connect(settings.database_url)
        store.check_reachable()
        store.migrate()
        _runtime = Runtime(settings=settings, store=store)
    return _runtime


def reset_runtime() -> None:
    global _runtime
    if _runtime is not None:
        _runtime.store.dispose()
    _runtime = None


@contextmanager
def cli_errors(*, as_json: bool = False) -> Iterator[None]:
    """Turn Stageline errors into one line on stderr and exit code 1, nothing half-written.

    With ``as_json`` (a command run with ``--json``) the error envelope the API answers with
    is printed on stdout instead, so a script reads one JSON document whether the command
    worked or not::

        with cli_errors(as_json=as_json):
            ...
    """
    try:
        yield
    except StagelineError as exc:
        if as_json:
            print_json(exc.to_json())
        else:
            error_console.print(
                f"[bold red]Error:[/] {escape(exc.one_line())}", highlight=False, soft_wrap=True
            )
        raise typer.Exit(1) from exc


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
