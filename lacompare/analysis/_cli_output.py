"""How the analysis commands (summary, compare, derive, neighbours, correlate,
test, model) write their results: one ``--format`` check, one CSV writer, one way
to print a step's summary lines.

Imported by the command modules at start-up: stdlib and typer only here; rich and
pandas are imported by the functions that use them.
"""

# No ``from __future__ import annotations`` needed: nothing here is read by Typer.
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

#: What ``--format`` takes in the analysis commands.
FORMATS = ("table", "csv")


def check_format(fmt: str) -> str:
    """``fmt`` in lower case; InputError unless it is table or csv.

    Examples
    --------
    >>> check_format("CSV")
    'csv'
    """
    from lacompare.errors import InputError

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: use table or csv")
    return fmt


def write_csv(frame: "pd.DataFrame", out: Path | None) -> None:
    """The frame as CSV on stdout, or in ``out`` (saying so on stderr: stdout may
    be piped into another program). Formula text is neutralised
    (:func:`lacompare.cells.write_csv_safe`)."""
    from lacompare.cells import write_csv_safe

    if out is None:
        typer.echo(write_csv_safe(frame, lineterminator="\n"), nl=False)
        return
    from lacompare.cli import _console

    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv_safe(frame, out)
    _console(stderr=True).print(f"wrote {out}", markup=False)


def print_summary(result: Any, store_path: Any) -> None:
    """A step's ``summary_lines()`` and the store it wrote to."""
    from lacompare.cli import _console

    console = _console()
    for line in result.summary_lines():
        console.print(line, markup=False)
    console.print(f"store: {store_path}", markup=False)
