"""Measuring a workbook's parts as they stream out of its zip: the expanded bytes
each part may take (:class:`_Budget`), and each sheet's extent and cells in XLSX,
XLSB and ODS, without holding a whole part in memory."""

from __future__ import annotations

import contextlib
import functools
import html
import os
import re
import struct
import zipfile
from collections.abc import Iterator
from typing import Any

from lacompare.errors import InputError
from lacompare.sources._workbook_limits import (
    CHUNK,
    MAX_TAG,
    RATIO_FLOOR,
    SMALL_PART,
    MiB,
    SheetSize,
    WorkbookLimits,
    _over,
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


def _tag_batches(
    chunks: Iterator[bytes], pattern: re.Pattern[bytes]
) -> Iterator[list[Any]]:
    """As :func:`_tags`, but each chunk's matches at once as ``findall`` tuples:
    one C call per chunk instead of a match object per tag."""
    tail = b""
    for chunk in chunks:
        buf = tail + chunk
        cut = buf.rfind(b"<")
        if cut == -1 or buf.find(b">", cut) != -1:
            cut = len(buf)
        yield pattern.findall(buf, 0, cut)
        tail = buf[cut:]
        if len(tail) > MAX_TAG:
            tail = b""
    if tail:
        yield pattern.findall(tail)


def _scan_ods(chunks: Iterator[bytes], check: Any) -> list[SheetSize]:
    """Each table's extent and cells in an ODS ``content.xml``.

    The loop runs once per tag with as little as it can do: an ODS sheet of
    525 × 436 cells took 1.9 s to measure with a match object per tag (six times
    the reader's own parse), and a national build measures nine of them.
    """
    sheets: list[SheetSize] = []
    size: SheetSize | None = None
    row = 0  # rows before the current one
    rows_rep = 1  # how many times the current row repeats
    col = 0
    used_col = 0  # the last column of the current row holding a cell
    used = 0  # cells holding something in the current row (each once)
    seen = 0
    for batch in _tag_batches(chunks, _ODS_TAG):
        for tag, attrs, closing in batch:
            if not closing and (tag == b"table-cell" or tag == b"covered-table-cell"):
                if size is None:
                    continue
                if b"repeated" in attrs:
                    repeat = _repeat(_COLUMNS_REPEATED, attrs)
                else:
                    repeat = 1
                col += repeat
                # Empty cells (self-closed, no value type) are padding the reader
                # skips; LibreOffice writes a million of them at the end of every
                # sheet.
                if b"value-type" in attrs or not attrs.endswith(b"/"):
                    used_col = col
                    used += repeat
                    seen += 1
                    if repeat > 1 or seen & 0xFFF == 0:
                        _ods_row_so_far(size, row, rows_rep, used_col, used, check)
                        used = 0
                continue
            if closing or (tag == b"table-row" and attrs.endswith(b"/")):
                if closing == b"table":
                    if size is not None:
                        check(size)
                    size = None
                elif size is not None:  # the end of a row
                    if used_col:
                        _ods_row_so_far(size, row, rows_rep, used_col, used, check)
                    row += rows_rep
                    rows_rep, col, used_col, used = 1, 0, 0, 0
                continue
            if tag == b"table":
                name = _attrs(attrs).get(b"name", b"")
                size = SheetSize(
                    html.unescape(name.decode("utf-8", "replace"))
                    or f"Sheet{len(sheets) + 1}",
                    "content.xml",
                )
                sheets.append(size)
                row, col, used_col, used = 0, 0, 0, 0
                continue
            if size is not None:  # table-row
                rows_rep = _repeat(_ROWS_REPEATED, attrs)
                col, used_col, used = 0, 0, 0
    return sheets


def _ods_row_so_far(
    size: SheetSize, row: int, rows_rep: int, used_col: int, used: int, check: Any
) -> None:
    """Count a row's cells so far (each ``rows_rep`` times) into its sheet's
    size, and hold the sheet to the limits."""
    size.rows = max(size.rows, row + rows_rep)
    size.columns = max(size.columns, used_col)
    size.cells += used * rows_rep
    check(size)


# --- which parts are sheets -------------------------------------------------


def _is_sheet_part(name: str) -> bool:
    return bool(re.search(r"(^|/)worksheets/[^/]+\.(xml|bin)$", name, re.I))
