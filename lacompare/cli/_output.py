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

#: What ``--format`` takes in the analysis commands (csv and json: data only on
#: standard output; notes go to standard error).
FORMATS = ("table", "csv", "json")


def check_format(fmt: str) -> str:
    """``fmt`` in lower case; InputError unless it is table, csv or json.

    Examples
    --------
    >>> check_format("CSV")
    'csv'
    """
    from lacompare.errors import InputError

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: use table, csv or json")
    return fmt


def json_text(frame: "pd.DataFrame") -> str:
    """The frame as a JSON array of records (missing values are null).

    Examples
    --------
    >>> import pandas as pd
    >>> print(json_text(pd.DataFrame({"la": ["Leeds"], "value": [float("nan")]})))
    [{"la":"Leeds","value":null}]
    """
    # Text stays text in JSON: no formula neutralising (that is for spreadsheets).
    return frame.to_json(orient="records", date_format="iso", force_ascii=False)


def write_csv(frame: "pd.DataFrame", out: Path | None, fmt: str = "csv") -> None:
    """The frame as CSV (or JSON, ``fmt='json'``) on stdout, or in ``out`` (saying
    so on stderr: stdout may be piped into another program). CSV formula text is
    neutralised (:func:`lacompare.cells.write_csv_safe`)."""
    from lacompare.cells import write_csv_safe

    if out is None:
        if fmt == "json":
            typer.echo(json_text(frame))
        else:
            typer.echo(write_csv_safe(frame, lineterminator="\n"), nl=False)
        return
    from lacompare.cli._common import console as _console

    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        out.write_text(json_text(frame) + "\n", encoding="utf-8")
    else:
        write_csv_safe(frame, out)
    _console(stderr=True).print(f"wrote {out}", markup=False)


def print_summary(result: Any, store_path: Any) -> None:
    """A step's ``summary_lines()`` and the store it wrote to."""
    from lacompare.cli._common import console as _console

    console = _console()
    for line in result.summary_lines():
        console.print(line, markup=False)
    console.print(f"store: {store_path}", markup=False)


def wide_console(console: Any) -> Any:
    """A console wide enough for a table when output is not a terminal (rich
    assumes 80 columns there and would wrap the names and cut the numbers)."""
    if not console.is_terminal:
        console.width = max(console.width, 160)
    return console


def _reason(reason: Any) -> Any:
    """A missing reason as :func:`lacompare.formatting.format_missing` reads it: a
    derived value's ``input-`` reason is its input's; a value nobody gave (no row,
    ``no-value``) has none."""
    if reason is None or reason != reason:
        return None
    reason = str(reason).removeprefix("input-")
    return None if reason in ("no-value", "no-row", "") else reason


def cell(value: Any, reason: Any = None, decimals: int = 1) -> str:
    """A figure in a terminal table (:func:`lacompare.formatting.format_number`),
    or the publisher's symbol for why it is missing (``–``: no figure).

    Examples
    --------
    >>> cell(1234.56), cell(None, "suppressed"), cell(float("nan"))
    ('1,234.6', '[c]', '–')
    """
    from lacompare.formatting import format_missing, format_number, is_missing

    if is_missing(value):
        return format_missing(_reason(reason))
    return format_number(value, None, decimals)


def print_key(console: Any, reasons: Any) -> None:
    """The key to the missing-value symbols a table showed (``reasons``: the
    missing reasons of its empty cells), one line each."""
    from lacompare.formatting import missing_key

    for symbol, meaning in missing_key(_reason(r) for r in reasons):
        console.print(f"{symbol} {meaning}", markup=False)
