"""``lacompare serve``: start the web app over a store.

:func:`serve` is the command; :func:`register` adds it to the app. Shiny,
Starlette and uvicorn load only when the command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of
# serve(), which must be real objects, not strings.
from pathlib import Path
from typing import Annotated

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console

HostOption = Annotated[
    str,
    typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only)."),
]
PortOption = Annotated[int, typer.Option("--port", help="Port to listen on.")]
DemoOption = Annotated[
    bool,
    typer.Option(
        "--demo",
        help="Serve the packaged demo data (SENDIAS 2021 returns), "
        "loaded into a temporary folder; --db is ignored.",
    ),
]


def require_web_extra() -> None:
    """Raise a friendly error naming the extra when Shiny or uvicorn is missing."""
    from lacompare.errors import LacompareError

    try:
        import shiny  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as exc:
        raise LacompareError(
            f"the web app needs {exc.name}: pip install 'lacompare[dashboard]'"
        ) from None


@friendly
def serve(
    db: DbOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    demo: DemoOption = False,
) -> None:
    """Start the web app: profiles, the measure explorer, relationships and data.

    Open the address it prints in a browser. The core tables also work without
    JavaScript at /table/profile and /table/measure. Stop it with Ctrl+C.

    Example: [bold]lacompare serve --db my.duckdb --port 8000[/]
    """
    import tempfile

    require_web_extra()
    import uvicorn

    from lacompare.dashboard import create_app
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


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    app.command("serve")(serve)
