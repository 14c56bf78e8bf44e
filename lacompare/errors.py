"""Errors lacompare raises on bad input.

Every error a user can cause names where the problem is (file, sheet, row,
column) in one line, so the CLI can print it without a traceback.
"""

from __future__ import annotations


class LacompareError(Exception):
    """Base class: an error the CLI prints as one line and exits 1 on."""


class InputError(LacompareError):
    """Bad input, located as precisely as we can.

    Examples
    --------
    >>> str(InputError("not a number", file="a.csv", row=4, column="pop"))
    'a.csv, row 4, column pop: not a number'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        from lacompare.provenance import format_location

        where = format_location(self.file, self.sheet, self.row, self.column)
        return f"{where}: {self.message}" if where else self.message


class SpecError(InputError):
    """A mapping spec (TOML) is invalid or does not fit the file."""


class StoreError(LacompareError):
    """The store cannot be opened or written."""


class UnknownAuthority(LacompareError):
    """A name or code does not resolve to any authority."""
