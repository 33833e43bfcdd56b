"""``stageline demo``: the whole flow on the embedded default, in one process.

SQLite in the data dir, the local Stripe sandbox seeded with realistic customers, our own
accounts and users imported, a full backfill through the official SDK, then the web UI and the
worker served until Ctrl-C. A second run reuses everything and starts in seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from stageline.cli.context import cli_errors, console, runtime
from stageline.cli.sandbox import require_sandbox
from stageline.cli.workspaces import sync


def demo(
    port: Annotated[int, typer.Option("--port", help="Web UI port.")] = 8000,
    sandbox_port: Annotated[int, typer.Option("--sandbox-port", help="Sandbox port.")] = 12111,
    customers: Annotated[int, typer.Option("--customers", help="Customers to seed.")] = 200,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Keep serving the UI.")] = True,
) -> None:
    """Seed the sandbox, sync it and serve the accounts page on http://127.0.0.1:8000.

    Example: stageline demo
    """
    import uvicorn

    from stageline.web import create_app
    from stageline.web.ui import login_link

    with cli_errors():
        require_sandbox()
        from stageline.demo import DemoSetup, prepare_demo, start_demo_sandbox

        rt = runtime()
        if "public_url" not in rt.settings.model_fields_set:
            rt.settings.public_url = f"http://127.0.0.1:{port}"
        now = datetime.now(UTC)
        sandbox = start_demo_sandbox(rt.settings, port=sandbox_port, customers=customers, now=now)
        try:
            setup: DemoSetup = prepare_demo(
                rt.store, rt.settings, sandbox_url=sandbox.url, customers=customers, now=now
            )
            if setup.api_key:
                console.print(
                    f"Workspace [bold]{setup.workspace_name}[/] created. "
                    f"API key (shown once): [bold]{setup.api_key}[/]",
                    soft_wrap=True,
                )
            if setup.needs_backfill:
                sync(workspace=setup.workspace_id, connection=None, as_json=False)
            else:
                console.print("Reusing the synced demo data (delete .stageline/ to start over).")
            if not serve:
                return
            app = create_app(rt.settings, store=rt.store, run_worker=True)
            console.print()
            console.print(f"Stripe sandbox:  {sandbox.url}", soft_wrap=True)
            console.print(
                f"Open:            [bold]http://127.0.0.1:{port}/accounts[/]", soft_wrap=True
            )
            with rt.store.session() as session:
                link = login_link(session, rt.settings, setup.workspace_id, now=now)
            console.print(f"Sign in with:    {link}  (works once)", soft_wrap=True)
            console.print("Ctrl-C to stop.")
            uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        finally:
            sandbox.stop()
