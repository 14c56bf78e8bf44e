"""Open workbooks safely: measure a workbook before python-calamine reads it.

python-calamine holds a sheet as one dense grid from A1 to the last cell it finds,
so a 5 KB XLSX with a cell at A1 and one at XFD1048576 asks for 17 billion cells
(512 GiB) and the Rust allocator aborts the whole process. A zip whose sheet
expands to hundreds of megabytes takes minutes and gigabytes before any error.
Neither can be caught as an exception, so every workbook lacompare reads goes
through :func:`check_workbook_size` first, which streams the zip's parts (never
holding a whole part in memory) and measures, per sheet:

* the declared dimension (``<dimension ref="A1:XFD1048576"/>``; reported only:
  calamine 0.9 sizes the grid from the cells it finds, not from this hint);
* the actual extent: the last row and column holding a cell (with ODS's
  ``number-rows-repeated`` and ``number-columns-repeated`` multiplied out);
* the number of cells present;

and, per file, the expanded (uncompressed) size of every part and each part's
compression ratio. Anything over :class:`WorkbookLimits` is an
:class:`~lacompare.errors.InputError` naming the file and the sheet.

:func:`open_workbook` (check, then open) and :func:`read_sheets` (check, open and
read cells) are the only ways lacompare opens a workbook. Inside
:func:`isolated_reading` (the web app's and the hub's uploads) the cells are read
in a child process with a memory ceiling, so that whatever the reader does to
itself (an abort, running out of memory, a hang) becomes an error message and the
server keeps serving.

XLSB (binary records in a zip) is measured the same way, and XLS (BIFF records
in an OLE2 file, :mod:`lacompare.sources._workbooks_xls`), where the declared
dimension and the shared-string count are held to the limits too: the reader
reserves memory for them before reading a cell.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lacompare.errors import InputError
from lacompare.sources._workbook_check import _digest, check_workbook_size
from lacompare.sources._workbook_limits import (
    MiB,
    SheetSize,
    WorkbookLimits,
    WorkbookSize,
    _limits,
)
from lacompare.sources._workbook_scan import _short

__all__ = [
    "SheetSize",
    "WorkbookLimits",
    "WorkbookSize",
    "check_workbook_size",
    "isolated_reading",
    "open_workbook",
    "read_sheets",
]

# --- opening and reading -----------------------------------------------------

_ISOLATE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lacompare_isolated_reading", default=False
)


@contextlib.contextmanager
def isolated_reading() -> Iterator[None]:
    """Within this block :func:`read_sheets` reads cells in a child process.

    For servers: an upload the reader cannot survive ends the child, not the
    server, and becomes an :class:`~lacompare.errors.InputError`.

    Examples
    --------
    >>> with isolated_reading():
    ...     _ISOLATE.get()
    True
    >>> _ISOLATE.get()
    False
    """
    token = _ISOLATE.set(True)
    try:
        yield
    finally:
        _ISOLATE.reset(token)


def open_workbook(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    limits: WorkbookLimits | None = None,
) -> Any:
    """A python-calamine workbook, opened after :func:`check_workbook_size`.

    Use it for sheet names; read cells with :func:`read_sheets`, which can
    isolate the reader.

    Examples
    --------
    >>> import io, xlsxwriter
    >>> out = io.BytesIO(); book = xlsxwriter.Workbook(out)
    >>> _ = book.add_worksheet("Data").write(0, 0, "la"); book.close()
    >>> open_workbook(out.getvalue()).sheet_names
    ['Data']
    >>> open_workbook(b"la,pop", filename="x.xlsx")
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: x.xlsx: cannot read workbook: neither a zip (XLSX, \
XLSB, ODS) nor an OLE2 file (XLS)
    """
    name = filename or str(source if not isinstance(source, bytes) else "upload")
    check_workbook_size(source, filename=name, limits=limits)
    return _open_kept(source, name)


# The workbook opened last in this thread, by its path and content hash: a build
# reads several sheets of one workbook in turn and then lists its sheets, and
# python-calamine parses a whole ODS file each time it opens it (0.3 s for a
# council spending workbook). Per thread: a workbook object is not shared.
_LAST = threading.local()


def _open_kept(source: str | Path | bytes, name: str) -> Any:
    """:func:`_open_calamine`, reusing the workbook this thread opened last when
    the file still holds the same bytes (only after check_workbook_size)."""
    if isinstance(source, bytes):
        return _open_calamine(source, name)
    try:
        key = (str(source), _digest(Path(source)))
    except OSError:
        return _open_calamine(source, name)
    last = getattr(_LAST, "book", None)
    if last is not None and last[0] == key:
        return last[1]
    _LAST.book = None  # let the previous workbook go before opening the next
    book = _open_calamine(source, name)
    _LAST.book = (key, book)
    return book


def _open_calamine(source: str | Path | bytes, name: str) -> Any:
    """python-calamine's workbook, unchecked: only after check_workbook_size."""
    from python_calamine import CalamineWorkbook

    try:
        if isinstance(source, bytes):
            return CalamineWorkbook.from_filelike(io.BytesIO(source))
        return CalamineWorkbook.from_path(str(source))
    except BaseException as exc:  # noqa: BLE001 - see _reader_error
        raise _reader_error(exc, "cannot read workbook", name) from None


def _reader_error(
    exc: BaseException, what: str, name: str, sheet: str | None = None
) -> BaseException:
    """The error to raise for what python-calamine raised.

    Its errors are several types, and a Rust panic on a damaged file arrives as
    ``pyo3_runtime.PanicException``, a BaseException (it is not an Exception):
    both are the file's fault and become one line. Interrupts stay interrupts.

    Examples
    --------
    >>> str(_reader_error(ValueError("bad zip"), "cannot read workbook", "a.xlsx"))
    'a.xlsx: cannot read workbook: bad zip'
    >>> isinstance(_reader_error(KeyboardInterrupt(), "x", "a.xlsx"), KeyboardInterrupt)
    True
    """
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        return exc
    return InputError(f"{what}: {_short(exc)}", file=name, sheet=sheet)


def read_sheets(
    source: str | Path | bytes,
    sheets: list[str] | str | int | None = None,
    *,
    filename: str | None = None,
    limits: WorkbookLimits | None = None,
    isolate: bool | None = None,
    or_first: bool = False,
) -> tuple[list[str], list[tuple[str, list[list[Any]]]]]:
    """A workbook's sheet names, and the cells of the sheets asked for.

    Parameters
    ----------
    source
        The workbook's path or bytes.
    sheets
        A sheet name, a list of names, a 0-based index, or None for every sheet.
    filename
        The name errors give (default: the path).
    limits
        Default: :meth:`WorkbookLimits.from_env`.
    isolate
        Read in a child process (default: inside :func:`isolated_reading`, or
        when a limit is raised above its default).
    or_first
        With a sheet name: read the first sheet when there is no such sheet
        (the hub's template sheet, or whatever sheet a user saved it as).

    Returns
    -------
    tuple
        All sheet names, and ``(name, rows)`` for each sheet read, each row a list
        of python-calamine values from column A (empty cells ``""``).

    Raises
    ------
    InputError
        The workbook is over the limits, cannot be read, has no such sheet, or
        the reader failed (in a child process: crashed or ran out of time).

    Examples
    --------
    >>> import io, xlsxwriter
    >>> out = io.BytesIO(); book = xlsxwriter.Workbook(out)
    >>> _ = book.add_worksheet("Data").write_row(1, 1, ["la", 5]); book.close()
    >>> read_sheets(out.getvalue(), "Data")
    (['Data'], [('Data', [['', '', ''], ['', 'la', 5.0]])])
    >>> read_sheets(out.getvalue(), "Data", isolate=True)[1]
    [('Data', [['', '', ''], ['', 'la', 5.0]])]
    >>> read_sheets(out.getvalue(), "Other", filename="t.xlsx")
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: t.xlsx: no sheet 'Other'; sheets are: Data
    """
    lim = _limits(limits)
    name = filename or str(source if not isinstance(source, bytes) else "upload")
    check_workbook_size(source, filename=name, limits=lim)
    if isolate is None:
        # Limits raised past the defaults let through what the reader may not
        # survive: read in a child then too, so the cost is an error, not an abort.
        isolate = _ISOLATE.get() or _raised(lim)
    if not isolate:
        return _read(source, sheets, name, or_first)
    return _read_in_child(source, sheets, name, lim, or_first)


def _raised(limits: WorkbookLimits) -> bool:
    """Whether any size limit is above its default.

    >>> _raised(WorkbookLimits()), _raised(WorkbookLimits(max_cells=10**9))
    (False, True)
    """
    default = WorkbookLimits()
    return any(
        getattr(limits, f) > getattr(default, f)
        for f in (
            "max_rows",
            "max_columns",
            "max_cells",
            "max_stored_cells",
            "max_expanded_mb",
            "max_ratio",
        )
    )


def _read(
    source: str | Path | bytes,
    sheets: list[str] | str | int | None,
    name: str,
    or_first: bool = False,
) -> tuple[list[str], list[tuple[str, list[list[Any]]]]]:
    book = _open_kept(source, name)  # read_sheets has checked it
    names = list(book.sheet_names)
    if or_first and isinstance(sheets, str) and sheets not in names:
        sheets = 0
    if isinstance(sheets, int):
        if not names:
            raise InputError("the workbook has no sheets", file=name)
        wanted = [names[min(sheets, len(names) - 1)]]
    elif isinstance(sheets, str):
        wanted = [sheets]
    else:
        wanted = names if sheets is None else list(sheets)
    for sheet in wanted:
        if sheet not in names:
            raise InputError(
                f"no sheet {sheet!r}; sheets are: " + ", ".join(names), file=name
            )
    out = []
    for sheet in wanted:
        try:
            cells = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except BaseException as exc:  # noqa: BLE001 - see _reader_error
            raise _reader_error(exc, "cannot read sheet", name, sheet) from None
        out.append((sheet, cells))
    return names, out


def _child(
    conn: Any, source: str | bytes, sheets: Any, name: str, memory: int, or_first: bool
) -> None:
    """Runs in the child process: read, send the cells or the error back."""
    # The reader's panic messages and Rust backtrace would reach the user's
    # terminal (or the server's log) beside the one-line error that says it all.
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    try:
        import resource

        # A ceiling on the child's address space turns a runaway allocation into
        # a quick failure instead of the machine swapping.
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass
    try:
        conn.send(("ok", _read(source, sheets, name, or_first)))
    except InputError as exc:
        conn.send(("error", exc.message, exc.sheet))
    except MemoryError:
        conn.send(
            (
                "error",
                f"the workbook needs more memory to read than {memory // MiB:,} MB",
                None,
            )
        )
    finally:
        conn.close()


def _read_in_child(
    source: str | Path | bytes,
    sheets: Any,
    name: str,
    limits: WorkbookLimits,
    or_first: bool = False,
) -> tuple[list[str], list[tuple[str, list[list[Any]]]]]:
    # spawn, not fork: the server has threads (and DuckDB) that a fork copies
    # in whatever state they are in.
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    payload = source if isinstance(source, bytes) else str(source)
    proc = ctx.Process(
        target=_child,
        args=(child, payload, sheets, name, limits.max_read_mb * MiB, or_first),
        daemon=True,
    )
    proc.start()
    child.close()
    reply = None
    timed_out = False
    try:
        if parent.poll(limits.max_read_seconds):
            with contextlib.suppress(EOFError, OSError):
                reply = parent.recv()  # EOFError: the child died before replying
        else:
            timed_out = True
    finally:
        parent.close()
        if reply is None and proc.is_alive():
            proc.kill()
        proc.join(10)
    if reply is None:
        code = proc.exitcode
        if timed_out:
            why = f"took longer than {limits.max_read_seconds:,.0f} s"
        elif code is not None and code < 0:
            why = f"crashed ({signal.Signals(-code).name})"
        else:
            why = f"stopped (exit {code})"
        raise InputError(
            f"the spreadsheet reader {why} on this file; nothing was loaded", file=name
        )
    if reply[0] == "error":
        raise InputError(reply[1], file=name, sheet=reply[2])
    return reply[1]  # type: ignore[no-any-return]
