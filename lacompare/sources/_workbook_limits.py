"""The limits a workbook is held to before it is read (:class:`WorkbookLimits`, from
``LACOMPARE_WORKBOOK_*``), and what measuring one finds (:class:`WorkbookSize`)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from lacompare.errors import LacompareError

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
