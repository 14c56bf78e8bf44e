"""Workbooks made to hurt a reader, for the tests of every place that reads one.

Each is small on disk. :func:`far_cells_xlsx` is issue 14's 5 KB workbook (a cell
at A1 and one at XFD1048576) that made python-calamine ask for 512 GiB and abort
the process; the others are its ODS equivalents and zip bombs.
"""

from __future__ import annotations

import io
import struct
import zipfile


def far_cells_xlsx() -> bytes:
    """Issue 14's workbook: a small table and one cell at XFD1048576."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write(0, 0, "local_authority")
    sheet.write(0, 1, "m")
    sheet.write(1, 0, "Leeds")
    sheet.write(1, 1, 5)
    sheet.write(1048575, 16383, "x")
    book.close()
    return out.getvalue()


def huge_string_count_xlsx() -> bytes:
    """A small workbook whose shared strings claim 2 billion unique strings:
    python-calamine reserves 48 GB for them as it opens the file, and aborts."""
    src = zipfile.ZipFile(io.BytesIO(far_cells_xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(b'uniqueCount="4"', b'uniqueCount="2000000000"')
            elif info.filename == "xl/worksheets/sheet1.xml":  # no far cell
                data = data.replace(b'<dimension ref="A1:XFD1048576"/>', b"")
                cut = data.index(b'<row r="1048576"')
                data = data[:cut] + data[data.index(b"</row>", cut) + 6 :]
            zf.writestr(info.filename, data)
    return out.getvalue()


_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    b'2006/main">%s<sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>local_authority</t></is>'
    b'</c><c r="B1" t="inlineStr"><is><t>m</t></is></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>Leeds</t></is></c>'
    b'<c r="B2"><v>5</v></c></row>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def xlsx_with_sheet(write_sheet: object, dimension: str | None = None) -> bytes:
    """A minimal XLSX (one sheet, 'Data', declaring ``dimension``): a small table,
    then what ``write_sheet(stream)`` writes; streamed, so a sheet of hundreds of
    MB is never held in memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                'openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/><Override '
                'PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-'
                'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
                'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                'officedocument.spreadsheetml.worksheet+xml"/></Types>'
            ),
        )
        zf.writestr(
            "_rels/.rels",
            (
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
                'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/officeDocument" Target="xl/workbook.xml"/>'
                "</Relationships>"
            ),
        )
        zf.writestr(
            "xl/workbook.xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
                'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
                'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
                'name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ),
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            (
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
                'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                "</Relationships>"
            ),
        )
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            declared = f'<dimension ref="{dimension}"/>' if dimension else ""
            part.write(_SHEET_HEAD % declared.encode())
            write_sheet(part)  # type: ignore[operator]
            part.write(_SHEET_TAIL)
    return out.getvalue()


def zip_bomb_xlsx(mb: int = 300) -> bytes:
    """An XLSX of a few hundred KB whose sheet expands to ``mb`` MB (a comment
    of spaces after a valid table: nothing a reader needs, all of it read)."""

    def write(part: object) -> None:
        block = b" " * (1 << 20)
        part.write(b"<!--")  # type: ignore[attr-defined]
        for _ in range(mb):
            part.write(block)  # type: ignore[attr-defined]
        part.write(b"-->")  # type: ignore[attr-defined]

    return xlsx_with_sheet(write)


def many_cells_xlsx(rows: int) -> bytes:
    """An XLSX whose sheet lists ``rows`` rows of two cells (a table that is
    simply big)."""

    def write(part: object) -> None:
        for r in range(3, rows + 3, 1000):
            part.write(
                b"".join(  # type: ignore[attr-defined]
                    b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>Leeds</t></is></c>'
                    b'<c r="B%d"><v>%d</v></c></row>' % (i, i, i, i)
                    for i in range(r, min(r + 1000, rows + 3))
                )
            )

    return xlsx_with_sheet(write)


_ODS_CONTENT = (
    b'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
    b'"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:'
    b'names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:'
    b'opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
    b'<office:spreadsheet><table:table table:name="Data">'
    b'<table:table-row><table:table-cell office:value-type="string"><text:p>'
    b"local_authority</text:p></table:table-cell><table:table-cell office:value-"
    b'type="string"><text:p>m</text:p></table:table-cell></table:table-row>'
    b'<table:table-row><table:table-cell office:value-type="string"><text:p>Leeds'
    b'</text:p></table:table-cell><table:table-cell office:value-type="float" '
    b'office:value="5"><text:p>5</text:p></table:table-cell></table:table-row>'
    b"%s</table:table></office:spreadsheet></office:body></office:document-content>"
)


def ods_with_rows(rows_xml: bytes) -> bytes:
    """A minimal ODS: the small table, then ``rows_xml`` (table rows)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
            zipfile.ZIP_STORED,
        )
        zf.writestr(
            "META-INF/manifest.xml",
            (
                b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:'
                b'manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                b'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                b'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                b'<manifest:file-entry manifest:full-path="content.xml" '
                b'manifest:media-type="text/xml"/></manifest:manifest>'
            ),
            zipfile.ZIP_DEFLATED,
        )
        zf.writestr("content.xml", _ODS_CONTENT % rows_xml, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def far_cells_ods() -> bytes:
    """The ODS equivalent of :func:`far_cells_xlsx`: empty rows and cells
    repeated (as LibreOffice writes them) up to one cell at XFD1048576."""
    return ods_with_rows(
        b'<table:table-row table:number-rows-repeated="1048573"><table:table-cell '
        b'table:number-columns-repeated="16384"/></table:table-row><table:table-row>'
        b'<table:table-cell table:number-columns-repeated="16383"/><table:table-cell '
        b'office:value-type="string"><text:p>x</text:p></table:table-cell>'
        b"</table:table-row>"
    )


def repeated_value_ods() -> bytes:
    """One cell holding a value, repeated across the whole grid by attributes."""
    return ods_with_rows(
        b'<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
        b'table:number-columns-repeated="16384" office:value-type="float" '
        b'office:value="1"/></table:table-row>'
    )


def trailing_empty_ods() -> bytes:
    """What LibreOffice writes after a table: a million empty rows, repeated.
    Harmless, and must not be refused."""
    return ods_with_rows(
        b'<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
        b'table:number-columns-repeated="16384"/></table:table-row>'
    )


def _record(typ: int, data: bytes = b"") -> bytes:
    """One XLSB record: type and size as 7-bit groups, then the data."""
    head = bytes([typ]) if typ < 0x80 else bytes([(typ & 0x7F) | 0x80, typ >> 7])
    n, size = len(data), b""
    while True:
        low, n = n & 0x7F, n >> 7
        size += bytes([low | 0x80 if n else low])
        if not n:
            return head + size + data


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb(
    cells: list[tuple[int, int, object]],
    dimension: tuple[int, int, int, int] = (0, 1, 0, 1),
) -> bytes:
    """A minimal XLSB (one sheet, 'Data') holding ``(row, column, value)`` cells
    (0-based), declaring ``dimension`` (first row, last row, first col, last col)."""
    sheet = _record(0x81) + _record(0x94, struct.pack("<IIII", *dimension))
    sheet += _record(0x91)
    current = None
    for row, col, value in cells:
        if row != current:
            sheet += _record(0x00, struct.pack("<II", row, 0) + b"\0" * 9)
            current = row
        if isinstance(value, str):  # BrtCellSt
            sheet += _record(0x06, struct.pack("<I", col) + b"\0" * 4 + _wide(value))
        else:  # BrtCellReal
            number = float(value)  # type: ignore[arg-type]
            sheet += _record(
                0x05, struct.pack("<I", col) + b"\0" * 4 + struct.pack("<d", number)
            )
    sheet += _record(0x92) + _record(0x82)
    book = (
        _record(0x83)
        + _record(0x8F)
        + _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("Data"))
        + _record(0x90)
        + _record(0x9D, b"\0" * 26)
        + _record(0x84)
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
        'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
        'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/{}" Target="{}"/></Relationships>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                'openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.'
                'binary.macroEnabled.main"/></Types>'
            ),
        )
        zf.writestr("_rels/.rels", rels.format("officeDocument", "xl/workbook.bin"))
        zf.writestr(
            "xl/_rels/workbook.bin.rels",
            rels.format("worksheet", "worksheets/sheet1.bin"),
        )
        zf.writestr("xl/workbook.bin", book)
        zf.writestr("xl/worksheets/sheet1.bin", sheet)
    return out.getvalue()


def small_xlsb() -> bytes:
    """The small table as XLSB (read as it is)."""
    return xlsb([(0, 0, "local_authority"), (0, 1, "m"), (1, 0, "Leeds"), (1, 1, 5.0)])


def far_cells_xlsb() -> bytes:
    """The XLSB equivalent of :func:`far_cells_xlsx` (calamine aborts on it too)."""
    return xlsb(
        [
            (0, 0, "local_authority"),
            (0, 1, "m"),
            (1, 0, "Leeds"),
            (1, 1, 5.0),
            (1048575, 16383, "x"),
        ],
        dimension=(0, 1048575, 0, 16383),
    )


def understated(data: bytes, part: str, size: int) -> bytes:
    """``data`` (a zip) with ``part``'s headers declaring it expands to ``size``
    bytes, with the checksum of those bytes: zipfile then reads ``size`` bytes and
    is content, while a reader that inflates to the end sees everything."""
    import zlib

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(part)
        crc = zlib.crc32(zf.read(part)[:size])
    out = bytearray(data)
    name = part.encode()
    at = 0
    while (at := out.find(b"PK\x03\x04", at)) != -1:  # local headers
        n = struct.unpack_from("<H", out, at + 26)[0]
        if out[at + 30 : at + 30 + n] == name:
            struct.pack_into("<I", out, at + 14, crc)
            struct.pack_into("<I", out, at + 22, size)
        at += 4
    at = 0
    while (at := out.find(b"PK\x01\x02", at)) != -1:  # central directory
        n = struct.unpack_from("<H", out, at + 28)[0]
        if out[at + 46 : at + 46 + n] == name:
            struct.pack_into("<I", out, at + 16, crc)
            struct.pack_into("<I", out, at + 24, size)
        at += 4
    assert info.file_size > size
    return bytes(out)


def _biff(typ: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", typ, len(data)) + data


def _compound_file(stream: bytes) -> bytes:
    """A minimal OLE2 compound file holding one stream, 'Workbook' (512-byte
    sectors: the FAT, the directory, then the stream, padded past the 4,096-byte
    mini-stream cutoff so that it sits in ordinary sectors)."""
    stream = stream + b"\0" * max(4096 - len(stream), 0)
    n = -(-len(stream) // 512)
    assert n <= 126, "one FAT sector only"
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    header = bytearray(512)
    header[:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = [0xFFFFFFFD, end] + [3 + i for i in range(n - 1)] + [end]
    fat += [free] * (128 - len(fat))

    def entry(name: str, typ: int, child: int, start: int, size: int) -> bytes:
        e = bytearray(128)
        raw = name.encode("utf-16-le") + b"\0\0"
        e[: len(raw)] = raw
        struct.pack_into("<HBBIII", e, 64, len(raw), typ, 1, free, free, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry("Workbook", 2, free, 2, len(stream))
        + b"\0" * 256
    )
    return (
        bytes(header)
        + struct.pack("<128I", *fat)
        + directory
        + stream
        + b"\0" * (n * 512 - len(stream))
    )


def xls(
    cells: list[tuple[int, int, object]],
    dimension: tuple[int, int, int, int] = (0, 2, 0, 2),
    strings: int | None = None,
) -> bytes:
    """A minimal BIFF8 XLS (one sheet, 'Data') with ``(row, column, value)`` cells,
    a DIMENSIONS record (first row, last row + 1, first col, last col + 1) and,
    if ``strings`` is given, an SST record claiming that many strings."""
    bof_globals = _biff(
        0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 1997, 0, 0x0600)
    )
    sheet = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 1997, 0, 0x0600))
    sheet += _biff(0x0200, struct.pack("<IIHHH", *dimension, 0))
    for row, col, value in cells:
        if isinstance(value, str):  # LABEL: a compressed (1 byte a char) string
            text = value.encode("latin-1")
            sheet += _biff(
                0x0204, struct.pack("<HHHHB", row, col, 15, len(text), 0) + text
            )
        else:  # NUMBER
            number = float(value)  # type: ignore[arg-type]
            sheet += _biff(0x0203, struct.pack("<HHHd", row, col, 15, number))
    sheet += _biff(0x000A)
    name = b"Data"
    sst = b"" if strings is None else _biff(0x00FC, struct.pack("<ii", 0, strings))
    size = len(bof_globals) + len(sst) + 4 + 8 + len(name) + 4
    globals_ = (
        bof_globals
        + sst
        + _biff(0x0085, struct.pack("<IBBBB", size, 0, 0, len(name), 0) + name)
        + _biff(0x000A)
    )
    assert len(globals_) == size
    return _compound_file(globals_ + sheet)


def small_xls() -> bytes:
    """The small table as XLS (read as it is)."""
    return xls([(0, 0, "local_authority"), (0, 1, "m"), (1, 0, "Leeds"), (1, 1, 5.0)])


def far_cells_xls() -> bytes:
    """A cell at the reader's last row and column (16-bit both: 65,536 × 65,536)."""
    return xls(
        [
            (0, 0, "local_authority"),
            (0, 1, "m"),
            (1, 0, "Leeds"),
            (1, 1, 5.0),
            (65535, 65535, "x"),
        ]
    )


#: Environment that lifts the workbook limits, so that a test can see what the
#: reader itself does with a hostile file (in a child process only).
NO_LIMITS = {
    "LACOMPARE_WORKBOOK_MAX_CELLS": "1e15",
    "LACOMPARE_WORKBOOK_MAX_STORED_CELLS": "1e15",
    "LACOMPARE_WORKBOOK_MAX_ROWS": "1e9",
    "LACOMPARE_WORKBOOK_MAX_COLUMNS": "1e9",
    # Small: the reader's 512 GiB request fails at once, as it would on a server
    # without that much memory, rather than swapping this machine.
    "LACOMPARE_WORKBOOK_MAX_READ_MB": "1024",
}
