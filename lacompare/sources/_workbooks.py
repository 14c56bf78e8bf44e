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
import dataclasses
import functools
import html
import io
import multiprocessing
import os
import re
import signal
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lacompare.errors import InputError, LacompareError

MiB = 1 << 20

# Prefix of every environment variable that sets a limit (see WorkbookLimits).
ENV_PREFIX = "LACOMPARE_WORKBOOK_"

# Parts smaller than this are not held to the compression ratio: a small part
# of repeated markup (styles, an empty sheet) can compress 100-fold and is harmless.
RATIO_FLOOR = 4 * MiB
# Parts read whole (workbook.xml and its relationships) are capped, as they are
# read by regular expression rather than streamed.
SMALL_PART = 16 * MiB
CHUNK = 1 * MiB
# A tag longer than this is not a cell or row tag: the scan drops it rather than
# holding an unbounded tail between chunks.
MAX_TAG = 64 * 1024


@dataclass(frozen=True)
class WorkbookLimits:
    """How big a workbook lacompare will read.

    The defaults pass every published workbook lacompare loads with room to
    spare (the largest, MHCLG's RO3 returns, spans 451 rows × 525 columns and
    expands to 35 MB, 39 times its compressed size); each can be raised
    with an environment variable, ``LACOMPARE_WORKBOOK_`` followed by the field's
    name in capitals (``LACOMPARE_WORKBOOK_MAX_CELLS=50000000``), or by passing
    limits to :func:`check_workbook_size`.

    Attributes
    ----------
    max_rows, max_columns
        The largest extent of a sheet (Excel's own grid by default; an ODS sheet
        can claim more through repeated rows).
    max_cells
        The largest rectangle from A1 to a sheet's last cell, rows × columns: what
        the reader allocates (10 million cells is about 1 GB while reading).
    max_stored_cells
        The most cells a sheet may hold (repeats counted; a sheet can list the
        same cell many times within a small rectangle).
    max_expanded_mb
        The largest total expanded (uncompressed) size of the workbook's parts.
    max_ratio
        The largest compression ratio of a part over 4 MiB expanded (spreadsheet
        XML compresses 5-30 times; a zip bomb, hundreds of times).
    max_read_mb
        Memory ceiling of the child process that reads an upload.
    max_read_seconds
        How long the child process may take to read an upload.

    Examples
    --------
    >>> WorkbookLimits().max_cells
    10000000
    >>> WorkbookLimits.from_env({"LACOMPARE_WORKBOOK_MAX_CELLS": "5e7"}).max_cells
    50000000
    >>> WorkbookLimits.variable("max_cells")
    'LACOMPARE_WORKBOOK_MAX_CELLS'
    """

    max_rows: int = 1_048_576
    max_columns: int = 16_384
    max_cells: int = 10_000_000
    max_stored_cells: int = 10_000_000
    max_expanded_mb: int = 256
    max_ratio: float = 150.0
    max_read_mb: int = 4096
    max_read_seconds: float = 120.0

    @staticmethod
    def variable(name: str) -> str:
        """The environment variable that sets the limit ``name``."""
        return ENV_PREFIX + name.upper()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WorkbookLimits:
        """The defaults, with any ``LACOMPARE_WORKBOOK_*`` variable applied.

        Raises :class:`~lacompare.errors.LacompareError` for a value that is not a
        positive number.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            text = env.get(cls.variable(f.name))
            if text is None or not text.strip():
                continue
            try:
                number = float(text.replace(",", "").replace("_", ""))
            except ValueError:
                number = -1.0
            if not number > 0 or number == float("inf"):
                raise LacompareError(
                    f"{cls.variable(f.name)}={text!r}: give a positive number"
                )
            values[f.name] = number if f.type == "float" else int(number)
        return cls(**values)


@dataclass
class SheetSize:
    """What :func:`check_workbook_size` measured of one sheet.

    ``rows`` and ``columns`` run from A1 to the last cell holding something
    (0 for an empty sheet); ``cells`` counts the cells present.
    """

    name: str
    part: str
    declared: str | None = None
    rows: int = 0
    columns: int = 0
    cells: int = 0

    @property
    def area(self) -> int:
        """Rows × columns: the grid the reader allocates."""
        return self.rows * self.columns


@dataclass
class WorkbookSize:
    """What :func:`check_workbook_size` measured of a workbook (``kind``: "zip"
    or "ole2"; "other" for a path that is missing or a folder, not measured)."""

    file: str
    kind: str
    compressed_bytes: int = 0
    expanded_bytes: int = 0
    sheets: list[SheetSize] = field(default_factory=list)


def _limits(limits: WorkbookLimits | None) -> WorkbookLimits:
    return limits if limits is not None else WorkbookLimits.from_env()


def _over(what: str, limit: str, name: str) -> str:
    return (
        f"{what}; lacompare reads at most {limit} "
        f"(set {WorkbookLimits.variable(name)} to raise it)"
    )


# --- reading the zip ---------------------------------------------------------


class _Budget:
    """Counts the bytes expanded from a zip and stops at the limits."""

    def __init__(
        self, file: str, limits: WorkbookLimits, sheet_of: dict[str, str]
    ) -> None:
        self.file = file
        self.limits = limits
        self.sheet_of = sheet_of
        self.total = 0

    def error(self, part: str, message: str) -> InputError:
        """An error naming the sheet the part holds (ODS: all of them)."""
        sheet = self.sheet_of.get(part)
        return InputError(message, file=self.file, sheet=sheet)

    def stream(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, fh: Any
    ) -> Iterator[bytes]:
        """The part's bytes in chunks, counted against the limits as they come
        (a zip's header can understate what a part expands to)."""
        cap = self.limits.max_expanded_mb * MiB
        got = 0
        try:
            with contextlib.closing(_inflate(zf, info, fh)) as part:
                for chunk in part:
                    got += len(chunk)
                    self.total += len(chunk)
                    if self.total > cap:
                        raise self.error(
                            info.filename,
                            _over(
                                f"the workbook expands to more than {cap // MiB:,} MB",
                                f"{cap // MiB:,} MB expanded",
                                "max_expanded_mb",
                            ),
                        )
                    ratio = got / max(info.compress_size, 1)
                    if got > RATIO_FLOOR and ratio > self.limits.max_ratio:
                        raise self.error(
                            info.filename,
                            _over(
                                f"{info.filename} expands {ratio:,.0f} times "
                                f"({info.compress_size:,} bytes to more than {got:,})",
                                f"a ratio of {self.limits.max_ratio:,.0f}",
                                "max_ratio",
                            ),
                        )
                    yield chunk
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            EOFError,
            OSError,
            NotImplementedError,
            RuntimeError,
            ValueError,
        ) as exc:
            # zlib.error is not an OSError subclass; it is caught by the caller.
            raise InputError(
                f"cannot read workbook: {_short(exc)}", file=self.file
            ) from None


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, fh: Any) -> Iterator[bytes]:
    """A part's expanded bytes, in chunks of at most CHUNK.

    A deflated part is inflated from its compressed bytes to their end, not to
    the size its header declares: zipfile stops there, and a header can declare
    a few bytes (with their checksum) for a part the reader expands in full.
    """
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
        with zf.open(info) as part:  # stored, other methods, encrypted
            while chunk := part.read(CHUNK):
                yield chunk
        return
    import zlib

    fh.seek(info.header_offset)
    local = fh.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    inflater = zlib.decompressobj(-15)
    left = info.compress_size
    pending = b""
    while not inflater.eof:
        if not pending:
            if left <= 0:
                break
            # zipfile moves the shared file between our reads: seek each time.
            fh.seek(start + info.compress_size - left)
            pending = fh.read(min(CHUNK, left))
            if not pending:
                break
            left -= len(pending)
        out = inflater.decompress(pending, CHUNK)  # at most CHUNK out at a time
        pending = inflater.unconsumed_tail
        if out:
            yield out


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _read_small(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return b""
    with zf.open(info) as part:
        return part.read(SMALL_PART)


def _tags(
    chunks: Iterator[bytes], pattern: re.Pattern[bytes]
) -> Iterator[re.Match[bytes]]:
    """Matches of ``pattern`` (a tag) across a stream of chunks, holding at most
    one chunk and one partial tag."""
    tail = b""
    for chunk in chunks:
        buf = tail + chunk
        cut = buf.rfind(b"<")
        if cut == -1 or buf.find(b">", cut) != -1:
            cut = len(buf)
        yield from pattern.finditer(buf, 0, cut)
        tail = buf[cut:]
        if len(tail) > MAX_TAG:
            tail = b""
    if tail:
        yield from pattern.finditer(tail)


_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attrs(text: bytes) -> dict[bytes, bytes]:
    # Namespace prefixes differ between writers: keep the local name.
    return {
        m.group(1).rsplit(b":", 1)[-1]: m.group(2)
        if m.group(2) is not None
        else m.group(3)
        for m in _ATTR.finditer(text)
    }


def _int(value: bytes | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


# --- XLSX --------------------------------------------------------------------

# A cell tag with its reference split into column letters and row (when it has
# one) and its closing slash; or a row or dimension tag with its attributes. One
# pattern for all three keeps the Python loop to one step per cell.
_XLSX_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:c(?=[\s/>])"
    rb"(?:[^>]*?\sr\s*=\s*[\"']\$?([A-Za-z]{1,7})\$?([0-9]{1,12})[\"'])?[^>]*?(/?)>"
    rb"|(row|dimension)(?=[\s/>])([^>]*)>)"
)


@functools.lru_cache(maxsize=1 << 16)
def _column_number(letters: bytes) -> int:
    """1-based column number of column letters.

    >>> _column_number(b"A"), _column_number(b"xfd")
    (1, 16384)
    """
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return col


def _xlsx_sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Part name → sheet name, from the workbook and its relationships."""
    root_rels = _read_small(zf, "_rels/.rels")
    book = "xl/workbook.xml"
    for m in re.finditer(rb"<(?:\w+:)?Relationship\b([^>]*)>", root_rels):
        a = _attrs(m.group(1))
        if a.get(b"Type", b"").endswith(b"/officeDocument") and a.get(b"Target"):
            book = a[b"Target"].decode("utf-8", "replace").lstrip("/")
    folder = book.rsplit("/", 1)[0] if "/" in book else ""
    rels_name = (
        (f"{folder}/" if folder else "") + "_rels/" + book.rsplit("/", 1)[-1] + ".rels"
    )
    targets = {}
    for m in re.finditer(
        rb"<(?:\w+:)?Relationship\b([^>]*)>", _read_small(zf, rels_name)
    ):
        a = _attrs(m.group(1))
        target = a.get(b"Target", b"").decode("utf-8", "replace")
        if not target:
            continue
        part = (
            target.lstrip("/")
            if target.startswith("/")
            else (f"{folder}/{target}" if folder else target)
        )
        targets[a.get(b"Id", b"")] = os.path.normpath(part).replace(os.sep, "/")
    names = {}
    if book.lower().endswith(".bin"):
        for rel, name in _xlsb_bundles(_read_small(zf, book)):
            if rel.encode() in targets:
                names[targets[rel.encode()]] = name
        return names
    for m in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)>", _read_small(zf, book)):
        a = _attrs(m.group(1))
        part = targets.get(a.get(b"id", b""))
        if part and b"name" in a:
            names[part] = html.unescape(a[b"name"].decode("utf-8", "replace"))
    return names


# --- XLSB ----------------------------------------------------------------------
# Binary records (MS-XLSB 2.1.4): a type and a size, each a little-endian run of
# 7-bit groups with the high bit saying another byte follows (type at most 2
# bytes, size at most 4), then the data.

_XLSB_ROW = 0x0000  # BrtRowHdr: the row (0-based u32) of what follows
_XLSB_BLANK = 0x0001  # BrtCellBlank: formatting only, the reader skips it
_XLSB_VALUES = range(0x0002, 0x000B)  # BrtCellRk … BrtFmlaBool: column u32 first
_XLSB_ERROR_FORMULA = 0x000B  # BrtFmlaError: the reader skips it
_XLSB_DIMENSION = 0x0094  # BrtWsDim: first row, last row, first col, last col
_XLSB_BUNDLE = 0x009C  # BrtBundleSh: a sheet's name and relationship id


def _xlsb_header(buf: bytes | memoryview, pos: int) -> tuple[int, int, int] | None:
    """(type, size, header length) of the record at ``pos``, None if cut short.

    >>> _xlsb_header(bytes([0x94, 0x01, 0x10]), 0)
    (148, 16, 3)
    """
    end = len(buf)
    if pos >= end:
        return None
    typ = buf[pos] & 0x7F
    i = pos + 1
    if buf[pos] & 0x80:
        if i >= end:
            return None
        typ |= (buf[i] & 0x7F) << 7
        i += 1
    size = 0
    for shift in (0, 7, 14, 21):
        if i >= end:
            return None
        size |= (buf[i] & 0x7F) << shift
        i += 1
        if not buf[i - 1] & 0x80:
            break
    return typ, size, i - pos


def _xlsb_records(
    chunks: Iterator[bytes], wanted: int = 16
) -> Iterator[tuple[int, bytes]]:
    """(type, first ``wanted`` bytes of the data) of each record in a stream,
    skipping the rest of long records without holding them."""
    buf = b""
    skip = 0
    for chunk in chunks:
        if skip:
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            chunk, skip = chunk[skip:], 0
        buf += chunk
        pos = 0
        while True:
            head = _xlsb_header(buf, pos)
            if head is None:
                break
            typ, size, length = head
            start = pos + length
            keep = min(size, wanted)
            if start + keep > len(buf):
                break
            yield typ, buf[start : start + keep]
            end = start + size
            if end > len(buf):
                skip = end - len(buf)
                pos = len(buf)
                break
            pos = end
        buf = buf[pos:]


def _xlsb_bundles(data: bytes) -> Iterator[tuple[str, str]]:
    """(relationship id, sheet name) of each sheet in an XLSB workbook part."""
    for typ, rec in _xlsb_records(iter([data]), wanted=4096):
        if typ != _XLSB_BUNDLE or len(rec) < 12:
            continue
        n = int.from_bytes(rec[8:12], "little")
        if n == 0xFFFFFFFF or 12 + 2 * n + 4 > len(rec):
            continue
        rel = rec[12 : 12 + 2 * n].decode("utf-16-le", "replace")
        at = 12 + 2 * n
        m = int.from_bytes(rec[at : at + 4], "little")
        yield rel, rec[at + 4 : at + 4 + 2 * m].decode("utf-16-le", "replace")


def _letters(col: int) -> str:
    out = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def _scan_xlsb_sheet(chunks: Iterator[bytes], size: SheetSize, check: Any) -> None:
    row = rows = columns = cells = 0
    for typ, rec in _xlsb_records(chunks):
        if typ == _XLSB_ROW and len(rec) >= 4:
            row = int.from_bytes(rec[:4], "little")
        elif (typ in _XLSB_VALUES or typ in (_XLSB_BLANK, _XLSB_ERROR_FORMULA)) and len(
            rec
        ) >= 4:
            cells += 1
            if typ in _XLSB_VALUES:
                # The reader takes the column as any u32: it is not bounded.
                rows = max(rows, row + 1)
                columns = max(columns, int.from_bytes(rec[:4], "little") + 1)
            if cells & 0xFFF == 0:
                size.rows, size.columns, size.cells = rows, columns, cells
                check(size)
        elif typ == _XLSB_DIMENSION and len(rec) >= 16 and size.declared is None:
            r1, r2, c1, c2 = (
                int.from_bytes(rec[i : i + 4], "little") for i in (0, 4, 8, 12)
            )
            size.declared = f"{_letters(c1)}{r1 + 1}:{_letters(c2)}{r2 + 1}"
    size.rows, size.columns, size.cells = rows, columns, cells
    check(size)


def _scan_xlsx_sheet(chunks: Iterator[bytes], size: SheetSize, check: Any) -> None:
    row = 0
    col = 0
    rows = columns = cells = 0
    for m in _tags(chunks, _XLSX_TAG):
        letters, number, closed, tag, attrs = m.groups()
        if tag is None:  # a cell
            cells += 1
            if letters is not None:
                at_row, col = int(number), _column_number(letters)
            else:  # no reference: the next cell of the row
                at_row, col = max(row, 1), col + 1
            # A self-closed cell holds nothing and the reader skips it.
            if not closed:
                rows = max(rows, at_row)
                columns = max(columns, col)
            if cells & 0xFFF == 0:
                size.rows, size.columns, size.cells = rows, columns, cells
                check(size)
        elif tag == b"row":
            row = _int(_attrs(attrs).get(b"r"), row + 1)
            col = 0
        elif size.declared is None:
            size.declared = (
                _attrs(attrs).get(b"ref", b"").decode("ascii", "replace")[:40] or None
            )
    size.rows, size.columns, size.cells = rows, columns, cells
    check(size)


# --- ODS ---------------------------------------------------------------------

# Opening tags of tables, rows and cells (with their attributes), and closing tags
# of rows and tables; cell contents (<text:p>, closing cell tags) are not matched,
# so the Python loop runs once per cell.
_ODS_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(table-cell|covered-table-cell|table-row|table)"
    rb"(?=[\s/>])([^>]*)>|</(?:[A-Za-z_][\w.-]*:)?(table-row|table)>"
)
_ROWS_REPEATED = re.compile(rb"number-rows-repeated\s*=\s*[\"']([0-9]{1,12})")
_COLUMNS_REPEATED = re.compile(rb"number-columns-repeated\s*=\s*[\"']([0-9]{1,12})")


def _repeat(pattern: re.Pattern[bytes], attrs: bytes) -> int:
    if b"repeated" not in attrs:
        return 1
    m = pattern.search(attrs)
    return max(int(m.group(1)), 1) if m else 1


def _scan_ods(chunks: Iterator[bytes], check: Any) -> list[SheetSize]:
    sheets: list[SheetSize] = []
    size: SheetSize | None = None
    row = 0  # rows before the current one
    rows_rep = 1  # how many times the current row repeats
    col = 0
    row_used = False
    seen = 0
    for m in _tags(chunks, _ODS_TAG):
        tag, attrs, closing = m.groups()
        if closing is not None or (tag == b"table-row" and attrs.endswith(b"/")):
            if closing == b"table":
                if size is not None:
                    check(size)
                size = None
            elif size is not None:  # the end of a row
                if row_used:
                    size.rows = max(size.rows, row + rows_rep)
                    check(size)
                row += rows_rep
                rows_rep, col, row_used = 1, 0, False
            continue
        if tag == b"table":
            name = _attrs(attrs).get(b"name", b"")
            size = SheetSize(
                html.unescape(name.decode("utf-8", "replace"))
                or f"Sheet{len(sheets) + 1}",
                "content.xml",
            )
            sheets.append(size)
            row, col, row_used = 0, 0, False
            continue
        if size is None:
            continue
        if tag == b"table-row":
            rows_rep = _repeat(_ROWS_REPEATED, attrs)
            col, row_used = 0, False
            continue
        repeat = _repeat(_COLUMNS_REPEATED, attrs)
        col += repeat
        # Empty cells (self-closed, no value type) are padding the reader skips;
        # LibreOffice writes a million of them at the end of every sheet.
        if b"value-type" in attrs or not attrs.endswith(b"/"):
            row_used = True
            size.columns = max(size.columns, col)
            size.cells += repeat * rows_rep
            seen += 1
            if seen & 0xFFF == 0 or repeat > 1:
                size.rows = max(size.rows, row + rows_rep)
                check(size)
    return sheets


# --- which parts are sheets -------------------------------------------------


def _is_sheet_part(name: str) -> bool:
    return bool(re.search(r"(^|/)worksheets/[^/]+\.(xml|bin)$", name, re.I))


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
    import zlib

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
        infos = zf.infolist()
        result.compressed_bytes = sum(i.compress_size for i in infos)
        cap = limits.max_expanded_mb * MiB
        declared_total = sum(i.file_size for i in infos)
        try:
            sheet_of = _xlsx_sheet_names(zf)
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            zlib.error,
            NotImplementedError,
            RuntimeError,
            ValueError,
        ):
            sheet_of = {}
        budget = _Budget(name, limits, sheet_of)
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
        check = functools.partial(_check_sheet, name, limits)
        try:
            for info in infos:
                if info.is_dir():
                    continue
                chunks = budget.stream(zf, info, fh)
                if _is_sheet_part(info.filename):
                    size = SheetSize(
                        sheet_of.get(info.filename, info.filename), info.filename
                    )
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
                    _check_shared_strings(chunks, info.filename, name)
                else:
                    for _ in chunks:
                        pass
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
                f"cannot read workbook: {_short(exc)}", file=name
            ) from None
        result.expanded_bytes = budget.total
    return result


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
    return _open_calamine(source, name)


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
    book = _open_calamine(source, name)  # read_sheets has checked it
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
