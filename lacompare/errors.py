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


class StoreBusy(StoreError):
    """Another process held the store for longer than we would wait.

    ``holder`` is a :class:`lacompare.store._lock.Holder` (process id and
    command, where known); ``status`` is the web app's answer (503: try later).

    Examples
    --------
    >>> from lacompare.store._lock import Holder
    >>> import textwrap
    >>> print(textwrap.fill(str(StoreBusy(
    ...     "s.duckdb", Holder(42, "lacompare serve --db s.duckdb"), waited=5,
    ...     read_only=False)), 80))
    the store s.duckdb is in use by process 42 (lacompare serve --db s.duckdb);
    waited 5 s. Wait for it to finish, or stop it, then try again (lacompare --wait
    SECONDS, or LACOMPARE_WAIT, waits longer)
    """

    status = 503

    def __init__(
        self, target: str, holder: object, *, waited: float, read_only: bool
    ) -> None:
        self.target = target
        self.holder = holder
        self.waited = waited
        self.read_only = read_only
        describe = getattr(holder, "describe", lambda: "another process")()
        # A reader is kept out only by a writer; a writer by anyone.
        what = "being written by" if read_only else "in use by"
        super().__init__(
            f"the store {target} is {what} {describe}; waited {waited:g} s. Wait "
            "for it to finish, or stop it, then try again (lacompare --wait "
            "SECONDS, or LACOMPARE_WAIT, waits longer)"
        )


class UnknownAuthority(LacompareError):
    """A name or code does not resolve to any authority."""
