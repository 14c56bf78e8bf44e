"""What every command shares: the application, ``--db``, the console and the
one-line error handling."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from lacompare.errors import LacompareError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="lacompare",
    help="Compare English local authorities' children's services, reproducibly.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Store file (default: lacompare.duckdb in your data folder).",
        show_default=False,
    ),
]


@app.callback()
def _options(
    ctx: typer.Context,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            min=0,
            metavar="SECONDS",
            help="How long to wait for a store another process is using before giving "
            "up (default 60, or LACOMPARE_WAIT; 0: do not wait).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Options for every command."""
    if wait is not None:
        from lacompare.store import WAIT_ENV

        # Read by open_store, the one place stores are opened; put back when the
        # command ends (tests run many commands in one process).
        before = os.environ.get(WAIT_ENV)
        os.environ[WAIT_ENV] = repr(wait)

        def restore() -> None:
            if before is None:
                os.environ.pop(WAIT_ENV, None)
            else:
                os.environ[WAIT_ENV] = before

        ctx.call_on_close(restore)


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def friendly(func: F) -> F:
    """Print bad-input errors as one line (no traceback) and exit with status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LacompareError as exc:
            from rich.markup import escape

            # Messages quote user text ('measure[breakdown]', '.[pdf]'): not markup.
            console(stderr=True).print(
                f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True
            )
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # an internal fault: say so in one line
            if os.environ.get("LACOMPARE_DEBUG"):
                raise
            from rich.markup import escape

            console(stderr=True).print(
                f"[bold red]internal error:[/] {type(exc).__name__}: "
                f"{escape(str(exc))} (set LACOMPARE_DEBUG=1 for details)",
                markup=True,
                soft_wrap=True,
            )
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def text_cell(value: Any) -> str:
    """A cell for a terminal table: '' for None, NaN or pandas' NA."""
    # pandas' NA first: comparing it with itself raises.
    return "" if value is None or str(value) == "<NA>" or value != value else str(value)


def count_cell(value: Any) -> str:
    text = text_cell(value)
    return f"{int(float(text)):,}" if text else ""
