"""``stageline migrate``, ``serve``, ``worker`` and ``demo``."""

from __future__ import annotations

from typing import Annotated

import typer

from stageline.cli.context import cli_errors, console, runtime

PortOpt = Annotated[int, typer.Option("--port", help="TCP port to listen on.")]
HostOpt = Annotated[str, typer.Option("--host", help="Interface to listen on.")]


def migrate() -> None:
    """Create or upgrade the database schema (also done by every command on start).

    Example: STAGELINE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/app stageline migrate
    """
    with cli_errors():
        rt = runtime()
        console.print(f"Schema is up to date on {rt.store.dialect}.")


def serve(
    port: PortOpt = 8000,
    host: HostOpt = "127.0.0.1",
    with_worker: Annotated[
        bool, typer.Option("--with-worker/--no-worker", help="Run background jobs in-process.")
    ] = False,
) -> None:
    """Serve the web UI, the REST API, the webhook receiver and GET /health.

    Example: stageline serve --port 8000
    """
    import uvicorn

    from stageline.web import create_app

    with cli_errors():
        rt = runtime()
        app = create_app(rt.settings, store=rt.store, run_worker=with_worker)
        uvicorn.run(app, host=host, port=port, log_level="warning")


def worker() -> None:
    """Run background work (events catch-up, inbox, scheduled refresh) until Ctrl-C.

    Example: stageline worker
    """
    from stageline.worker import Worker

    with cli_errors():
        rt = runtime()
        console.print("Worker running; Ctrl-C to stop.")
        try:
            Worker(rt.store, rt.settings).run_forever()
        except KeyboardInterrupt:
            console.print("Worker stopped.")
