"""``lacompare serve``: start the web app over a store.

Registered by :func:`register`; Shiny, Starlette and uvicorn load only when the
command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of the
# command defined inside register(), which must be real objects, not strings.
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    from lacompare.cli._common import DbOption, friendly
    from lacompare.cli._common import console as _console

    @app.command("serve")
    @friendly
    def serve(
        db: DbOption = None,
        host: Annotated[
            str,
            typer.Option(
                "--host", help="Address to listen on (127.0.0.1: this machine only)."
            ),
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
        demo: Annotated[
            bool,
            typer.Option(
                "--demo",
                help="Serve the packaged demo data (SENDIAS 2021 returns), "
                "loaded into a temporary folder; --db is ignored.",
            ),
        ] = False,
    ) -> None:
        """Start the web app: profiles, the measure explorer, relationships and data.

        Open the address it prints in a browser. The core tables also work without
        JavaScript at /table/profile and /table/measure. Stop it with Ctrl+C.

        Example: [bold]lacompare serve --db my.duckdb --port 8000[/]
        """
        import tempfile

        from lacompare.errors import LacompareError

        try:
            import shiny  # noqa: F401
            import uvicorn
        except ModuleNotFoundError as exc:
            raise LacompareError(
                f"the web app needs {exc.name}: pip install 'lacompare[dashboard]'"
            ) from None
        from lacompare.dashboard.app import create_app
        from lacompare.store import default_db_path

        console = _console()
        folder = None
        if demo:
            from lacompare.demo import run_demo

            folder = tempfile.TemporaryDirectory(prefix="lacompare-serve-")
            path = run_demo(Path(folder.name) / "demo").db
        else:
            path = db or default_db_path()
        try:
            web = create_app(path)
            console.print(
                f"lacompare: serving {path} at http://{host}:{port}/ "
                "(Ctrl+C to stop); read-only between uploads, so "
                "lacompare commands can use the store meanwhile",
                markup=False,
                soft_wrap=True,
            )
            uvicorn.run(web, host=host, port=port, log_level="warning")
        finally:
            if folder is not None:
                folder.cleanup()
