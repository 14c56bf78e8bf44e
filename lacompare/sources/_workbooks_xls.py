"""Measure an XLS workbook (BIFF records in an OLE2 compound file) before it is read.

Part of :func:`lacompare.sources._workbook_check.check_workbook_size`. python-calamine
reads XLS cells with 16-bit rows and columns (a grid of 65,536 × 65,536: 4 billion
cells from one record), reserves room for as many cells as a sheet's DIMENSIONS
record declares (32-bit rows), and for as many shared strings as the SST record
claims: each is one number in a file of a few KB, and enough to abort the process.
So here the declared dimension is held to the limits as well as the cells found,
and the string count to what the stream could hold.

The compound file is read as the reader reads it: the FAT chains from the header
to the directory, and the "Workbook" (or "Book") stream, from the mini stream when
it is small; chains that loop or leave the file are errors, not hangs.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

from lacompare.errors import InputError

CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_LAST = 0xFFFFFFFA  # sector ids from here on end a chain (or mark FAT sectors)

# BIFF record types (MS-XLS 2.3): what the reader turns into cells, and what says
# where sheets are, how big they are, and how many strings there are.
_BOF, _EOF, _BOUNDSHEET, _SST, _DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x00FC, 0x0200
_MULRK, _FORMULA = 0x00BD, 0x0006
_CELLS = {0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, _FORMULA}  # row u16, col u16


class _Bad(Exception):
    """The compound file is damaged (the reader will say so)."""


def _u16(b: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", b, at)[0])


def _u32(b: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", b, at)[0])


def workbook_stream(fh: Any, cap: int) -> bytes | None:
    """The Workbook stream of an OLE2 file, or None if it has none.

    Raises ``_Bad`` for a damaged file and :class:`ValueError` for a stream
    longer than ``cap`` bytes (the caller words the error).
    """
    fh.seek(0, 2)
    file_size = fh.tell()
    fh.seek(0)
    header = fh.read(512)
    if len(header) < 512 or header[:8] != CFB_MAGIC:
        raise _Bad("not a compound file")
    shift, mini_shift = _u16(header, 0x1E), _u16(header, 0x20)
    if shift not in (9, 12) or mini_shift != 6:
        raise _Bad("bad sector size")
    size = 1 << shift
    n_sectors = max((file_size - size) // size, 0)

    def sector(sid: int) -> bytes:
        if sid >= n_sectors:
            raise _Bad("a sector past the end of the file")
        fh.seek((sid + 1) * size)
        return bytes(fh.read(size))

    def chain(start: int, table: list[int]) -> Iterator[int]:
        sid, steps = start, 0
        while sid < _LAST:
            if sid >= len(table) or steps > len(table):
                raise _Bad("a broken or looping sector chain")
            yield sid
            sid, steps = table[sid], steps + 1

    difat = list(struct.unpack_from("<109I", header, 0x4C))
    sid, steps = _u32(header, 0x44), 0
    while sid < _LAST:
        if steps > n_sectors:
            raise _Bad("a looping DIFAT chain")
        block = struct.unpack(f"<{size // 4}I", sector(sid))
        difat += block[:-1]
        sid, steps = block[-1], steps + 1
    fat: list[int] = []
    for fat_sid in difat[: _u32(header, 0x2C)]:
        if fat_sid < _LAST:
            fat += struct.unpack(f"<{size // 4}I", sector(fat_sid))
    directory = b"".join(sector(s) for s in chain(_u32(header, 0x30), fat))
    entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        raise _Bad("no directory")
    found = None
    for wanted in ("workbook", "book"):  # the reader's order
        for entry in entries:
            length = min(_u16(entry, 64), 64)
            name = entry[: max(length - 2, 0)].decode("utf-16-le", "replace")
            if entry[66] == 2 and name.lower() == wanted:
                found = entry
                break
        if found is not None:
            break
    if found is None:
        return None
    start, length = _u32(found, 116), _u32(found, 120)
    if length > cap:
        raise ValueError(length)
    if length >= _u32(header, 0x38):  # at or over the mini stream cutoff
        data = b"".join(sector(s) for s in chain(start, fat))
    else:
        root = entries[0]
        container = b"".join(sector(s) for s in chain(_u32(root, 116), fat))
        minifat: list[int] = []
        for s in chain(_u32(header, 0x3C), fat):
            minifat += struct.unpack(f"<{size // 4}I", sector(s))
        data = b"".join(container[m * 64 : (m + 1) * 64] for m in chain(start, minifat))
    if len(data) < length:
        raise _Bad("the stream is shorter than its entry says")
    return data[:length]


def _records(stream: bytes, pos: int) -> Iterator[tuple[int, bytes]]:
    """BIFF records from ``pos`` to the first EOF record, as the reader walks them."""
    end = len(stream)
    while pos + 4 <= end:
        typ, length = struct.unpack_from("<HH", stream, pos)
        data = stream[pos + 4 : pos + 4 + length]
        if len(data) < length:
            return  # cut short: the reader fails here
        yield typ, data
        if typ == _EOF:
            return
        pos += 4 + length


def _letters(col: int) -> str:
    out = ""
    col += 1
    while col > 0:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def _sheet_name(data: bytes) -> str:
    # BoundSheet8: offset u32, state, type, then a short string (BIFF8: a flags
    # byte says whether the characters are 1 or 2 bytes).
    cch = data[6]
    if len(data) >= 8 + 2 * cch and data[7] & 1:
        return data[8 : 8 + 2 * cch].decode("utf-16-le", "replace")
    return data[8 : 8 + cch].decode("latin-1").replace("\x00", "")


def scan_xls(
    stream: bytes, file: str, limits: Any, check: Callable[[Any], None]
) -> list[Any]:
    """Measure each sheet of a Workbook stream; ``check`` each as it grows.

    Raises :class:`~lacompare.errors.InputError` for a declared dimension over
    ``limits`` (:class:`~lacompare.sources._workbook_limits.WorkbookLimits`), and
    for what the reader cannot survive that is not a size (a string count the
    stream cannot hold, a sheet that starts outside the stream).
    """
    from lacompare.sources._workbook_limits import SheetSize, _over

    sheets: list[tuple[int, str]] = []
    for typ, data in _records(stream, 0):
        if typ == _BOUNDSHEET and len(data) >= 8:
            sheets.append((_u32(data, 0), _sheet_name(data)))
        elif typ == _SST and len(data) >= 8:
            claimed = struct.unpack_from("<i", data, 4)[0]
            # Each string takes at least 3 bytes; the reader reserves room for
            # the claimed count before reading any.
            if claimed < 0 or claimed > len(stream) // 3 + 1:
                raise InputError(
                    f"the shared string table claims {claimed:,} strings in a "
                    f"workbook of {len(stream):,} bytes: the file is damaged",
                    file=file,
                )
    out = []
    for pos, name in sheets:
        size = SheetSize(name, "Workbook")
        out.append(size)
        if pos > len(stream):
            raise InputError(
                "the sheet starts past the end of the workbook: the file is damaged",
                file=file,
                sheet=name,
            )
        rows = columns = cells = 0
        for typ, data in _records(stream, pos):
            if typ in _CELLS and len(data) >= 4:
                row, col = struct.unpack_from("<HH", data, 0)
                rows, columns, cells = (
                    max(rows, row + 1),
                    max(columns, col + 1),
                    cells + 1,
                )
            elif typ == _MULRK and len(data) >= 6:
                row, first = struct.unpack_from("<HH", data, 0)
                last = _u16(data, len(data) - 2)
                rows, columns = max(rows, row + 1), max(columns, first + 1, last + 1)
                cells += max(last - first + 1, 1)
            elif typ == _DIMENSIONS and len(data) in (10, 14):
                if len(data) == 14:
                    rf, rl = struct.unpack_from("<II", data, 0)
                    cf, cl = struct.unpack_from("<HH", data, 8)
                else:
                    rf, rl, cf, cl = struct.unpack_from("<HHHH", data, 0)
                size.declared = f"{_letters(cf)}{rf + 1}:{_letters(cl - 1)}{rl}"
                # The reader reserves room for (last - first + 1) rows × columns
                # cells, in 32-bit arithmetic that wraps, before reading any.
                if rl >= 1 and cl >= 1:
                    high, wide = (rl - rf) % 2**32, (cl - cf) % 2**32
                    if high * wide > limits.max_cells:
                        raise InputError(
                            _over(
                                f"the sheet declares {high:,} rows × {wide:,} columns "
                                f"({size.declared})",
                                f"{limits.max_cells:,} cells",
                                "max_cells",
                            ),
                            file=file,
                            sheet=name,
                        )
            else:
                continue
            if cells & 0xFFF == 0:
                size.rows, size.columns, size.cells = rows, columns, cells
                check(size)
        size.rows, size.columns, size.cells = rows, columns, cells
        check(size)
    return out
