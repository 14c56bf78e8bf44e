"""The check every workbook passes before it is read: :func:`check_workbook_size`
measures it (zip parts, XLS records) and refuses one over the limits."""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lacompare.errors import InputError
from lacompare.sources._workbook_limits import (
    RATIO_FLOOR,
    MiB,
    SheetSize,
    WorkbookLimits,
    WorkbookSize,
    _limits,
    _over,
)
from lacompare.sources._workbook_scan import (
    _Budget,
    _is_sheet_part,
    _scan_ods,
    _scan_xlsb_sheet,
    _scan_xlsx_sheet,
    _short,
    _xlsx_sheet_names,
)

# --- the check ---------------------------------------------------------------


def _kind(magic: bytes) -> str:
    # A file is measured as what it is, whatever its name says: a reader given
    # bytes (the hub) finds the format from the content.
    from lacompare.sources._workbooks_xls import CFB_MAGIC

    if magic[:4] == b"PK\x03\x04":
        return "zip"
    return "ole2" if magic[:8] == CFB_MAGIC else "other"


def check_workbook_size(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    limits: WorkbookLimits | None = None,
) -> WorkbookSize:
    """Measure a workbook before it is read, and refuse one over the limits.

    Streams every part of the zip (XLSX, XLSM, XLSB, ODS) without expanding any
    whole, so a hostile file costs what its first bytes over a limit cost, and
    reads an XLS file's records. Anything it cannot measure is refused, as a file
    that cannot be read: the reader's own libraries accept some files these do
    not (a zip with a damaged signature or version), and what is not measured is
    not safe.

    Parameters
    ----------
    source
        The workbook's path, or its bytes (an upload).
    filename
        The name to give in errors (default: the path).
    limits
        Default: :meth:`WorkbookLimits.from_env`.

    Returns
    -------
    WorkbookSize
        What was measured, per sheet.

    Raises
    ------
    InputError
        One line naming the file and the sheet, the measure and the limit, and
        the variable that raises it.

    Examples
    --------
    >>> import io, xlsxwriter
    >>> out = io.BytesIO(); book = xlsxwriter.Workbook(out)
    >>> sheet = book.add_worksheet("Data")
    >>> _ = sheet.write(0, 0, "la"), sheet.write(1048575, 16383, "x"); book.close()
    >>> check_workbook_size(out.getvalue(), filename="s.xlsx")
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: s.xlsx, sheet 'Data': the sheet spans 1,048,576 \
rows × 16,384 columns (declared A1:XFD1048576); lacompare reads at most \
10,000,000 cells (set LACOMPARE_WORKBOOK_MAX_CELLS to raise it)
    >>> size = check_workbook_size(out.getvalue(), filename="s.xlsx",
    ...                            limits=WorkbookLimits(max_cells=10**11))
    >>> [(s.name, s.rows, s.columns, s.cells) for s in size.sheets]
    [('Data', 1048576, 16384, 2)]
    """
    lim = _limits(limits)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return _check(io.BytesIO(data), data[:8], filename or "upload", lim)
    path = Path(source)
    name = filename or str(source)
    try:
        digest = _digest(path)
    except OSError:
        return WorkbookSize(name, "other")  # missing, a folder: the caller says so
    return _cached_check(str(path), digest, name, lim)


def _digest(path: Path) -> str:
    """The file's hash: the key of a measurement (a file rewritten within one
    clock tick keeps its size and time, not its hash)."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=64)
def _cached_check(
    path: str, digest: str, name: str, limits: WorkbookLimits
) -> WorkbookSize:
    # One load reads a workbook's sheet names and then its cells: measuring it
    # once is enough while its content is the same.
    del digest
    with open(path, "rb") as fh:
        return _check(fh, fh.read(8), name, limits)


def _check(fh: Any, magic: bytes, name: str, limits: WorkbookLimits) -> WorkbookSize:
    kind = _kind(magic)
    result = WorkbookSize(name, kind)
    if kind == "ole2":
        return _check_xls(fh, result, limits)
    if kind == "other":
        # The reader would try it anyway (by its name, or by looking for a zip's
        # directory at the end): unmeasured is unsafe, so it is refused here.
        what = (
            "the file is empty"
            if not magic
            else ("neither a zip (XLSX, XLSB, ODS) nor an OLE2 file (XLS)")
        )
        raise InputError(f"cannot read workbook: {what}", file=name)
    try:
        fh.seek(0)
        zf = zipfile.ZipFile(fh)
    except Exception as exc:  # noqa: BLE001 - zipfile raises many types
        # Refused, not left to the reader: its zip library reads some zips this
        # one will not (a bad version field), and unmeasured is unsafe.
        raise InputError(f"cannot read workbook: {_short(exc)}", file=name) from None
    with zf:
        _check_zip(zf, fh, result, limits)
    return result


def _check_zip(
    zf: zipfile.ZipFile, fh: Any, result: WorkbookSize, limits: WorkbookLimits
) -> None:
    """A zip workbook (XLSX, XLSM, XLSB, ODS): its declared sizes, then every part
    streamed and each sheet measured (into ``result``)."""
    infos = zf.infolist()
    result.compressed_bytes = sum(i.compress_size for i in infos)
    sheet_of = _read_sheet_names(zf)
    budget = _Budget(result.file, limits, sheet_of)
    _check_declared_sizes(infos, budget, limits)
    check = functools.partial(_check_sheet, result.file, limits)
    try:
        for info in infos:
            if not info.is_dir():
                _scan_part(zf, info, fh, budget, sheet_of, result, check)
    except InputError:
        raise
    except (
        zlib.error,
        struct.error,
        zipfile.BadZipFile,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ) as exc:
        raise InputError(
            f"cannot read workbook: {_short(exc)}", file=result.file
        ) from None
    result.expanded_bytes = budget.total


def _read_sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet part's name in the workbook; none when they cannot be read (the
    parts are then named by their paths)."""
    try:
        return _xlsx_sheet_names(zf)
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        zlib.error,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ):
        return {}


def _check_declared_sizes(
    infos: list[zipfile.ZipInfo], budget: _Budget, limits: WorkbookLimits
) -> None:
    """Refuse a zip whose directory declares too many bytes in all, or a part that
    expands too many times, before streaming any of it."""
    cap = limits.max_expanded_mb * MiB
    declared_total = sum(i.file_size for i in infos)
    if declared_total > cap:
        # Named by its largest part: the sheet to look at, when it is one.
        big = max(infos, key=lambda i: i.file_size)
        raise budget.error(
            big.filename,
            _over(
                f"the workbook expands to {declared_total / MiB:,.0f} MB (its "
                f"largest part, {big.filename}, {big.file_size / MiB:,.0f} MB)",
                f"{cap // MiB:,} MB expanded",
                "max_expanded_mb",
            ),
        )
    for info in infos:
        if (
            info.file_size > RATIO_FLOOR
            and info.file_size / max(info.compress_size, 1) > limits.max_ratio
        ):
            raise budget.error(
                info.filename,
                _over(
                    f"{info.filename} expands "
                    f"{info.file_size / max(info.compress_size, 1):,.0f} times "
                    f"({info.compress_size:,} bytes to {info.file_size:,})",
                    f"a ratio of {limits.max_ratio:,.0f}",
                    "max_ratio",
                ),
            )


def _scan_part(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    fh: Any,
    budget: _Budget,
    sheet_of: dict[str, str],
    result: WorkbookSize,
    check: Any,
) -> None:
    """Stream one part within the budget, measuring it if it holds cells."""
    chunks = budget.stream(zf, info, fh)
    if _is_sheet_part(info.filename):
        size = SheetSize(sheet_of.get(info.filename, info.filename), info.filename)
        result.sheets.append(size)
        scan = (
            _scan_xlsb_sheet
            if info.filename.lower().endswith(".bin")
            else _scan_xlsx_sheet
        )
        scan(chunks, size, check)
    elif info.filename == "content.xml":  # ODS
        result.sheets += _scan_ods(chunks, check)
    elif info.filename.lower().endswith("sharedstrings.xml"):
        _check_shared_strings(chunks, info.filename, result.file)
    else:
        for _ in chunks:
            pass


_UNIQUE_COUNT = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?sst\b[^>]*?\buniqueCount\s*=\s*"
    rb"[\"']([0-9]{1,20})"
)


def _check_shared_strings(chunks: Iterator[bytes], part: str, file: str) -> None:
    """The reader reserves room for ``uniqueCount`` strings when it opens the
    workbook (24 bytes each: a 5 KB file claiming 2 billion aborts it); each
    string takes at least 5 bytes of the part (``<si/>``), so a larger claim is
    a damaged or hostile file."""
    head = b""
    size = 0
    for chunk in chunks:
        if len(head) < 4096:
            head += chunk[:4096]
        size += len(chunk)
    m = _UNIQUE_COUNT.search(head)
    claimed = int(m.group(1)) if m else 0
    if claimed > size // 5 + 1:
        raise InputError(
            f"{part} claims {claimed:,} strings in {size:,} bytes: the file is damaged",
            file=file,
        )


def _check_xls(fh: Any, result: WorkbookSize, limits: WorkbookLimits) -> WorkbookSize:
    """An XLS file: its Workbook stream's size, then each sheet's records."""
    from lacompare.sources._workbooks_xls import _Bad, scan_xls, workbook_stream

    cap = limits.max_expanded_mb * MiB
    try:
        stream = workbook_stream(fh, cap)
    except _Bad as exc:  # refused: unmeasured is unsafe (see _check)
        raise InputError(f"cannot read workbook: {exc}", file=result.file) from None
    except ValueError as exc:
        raise InputError(
            _over(
                f"the workbook stream is {exc.args[0] / MiB:,.0f} MB",
                f"{cap // MiB:,} MB",
                "max_expanded_mb",
            ),
            file=result.file,
        ) from None
    except (OSError, struct.error) as exc:
        raise InputError(
            f"cannot read workbook: {_short(exc)}", file=result.file
        ) from None
    if stream is None:
        return result
    result.expanded_bytes = len(stream)
    result.sheets = scan_xls(
        stream,
        result.file,
        limits,
        functools.partial(_check_sheet, result.file, limits),
    )
    return result


def _check_sheet(file: str, limits: WorkbookLimits, size: SheetSize) -> None:
    declared = f" (declared {size.declared})" if size.declared else ""
    if size.rows > limits.max_rows:
        message = _over(
            f"the sheet has {size.rows:,} rows{declared}",
            f"{limits.max_rows:,} rows",
            "max_rows",
        )
    elif size.columns > limits.max_columns:
        message = _over(
            f"the sheet has {size.columns:,} columns{declared}",
            f"{limits.max_columns:,} columns",
            "max_columns",
        )
    elif size.area > limits.max_cells:
        message = _over(
            f"the sheet spans {size.rows:,} rows × {size.columns:,} columns{declared}",
            f"{limits.max_cells:,} cells",
            "max_cells",
        )
    elif size.cells > limits.max_stored_cells:
        message = _over(
            f"the sheet holds more than {limits.max_stored_cells:,} cells",
            f"{limits.max_stored_cells:,} cells",
            "max_stored_cells",
        )
    else:
        return
    raise InputError(message, file=file, sheet=size.name)
