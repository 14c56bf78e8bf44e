"""Vintages: what a load is a vintage of and what settling it changed (the
records :mod:`lacompare.store._vintages` and its steps share)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lacompare.provenance import IssueLog

#: The columns that make a value's key: one current value per key.
KEY = ("la_code", "measure", "period", "breakdown")


#: While a load is settled, a value of another source that the superseded vintage
#: had hidden is marked with this (not a source id) until it is known whether the
#: new vintage hides it again; what is left marked is current again.
PENDING = -1


#: How many examples of each kind of change a load's issue log names one by one.
SHOW = 20


@dataclass
class SourceIdentity:
    """Which source a load is a vintage of, and what it follows.

    ``how``: ``named`` (``--source``), ``new`` (``--as-new-source``), ``same-file``
    (the same bytes, sheet and mapping as a current load), ``name`` (the file's
    name and sheet: ``previous`` is settled among ``candidates`` once the load's
    values are in), ``upgrade``.
    """

    key: str
    sheet: str
    how: str
    previous: int | None = None
    previous_loaded_at: dt.datetime | None = None
    #: The same bytes, sheet and mapping as the current vintage: a reload that
    #: replaces it rather than a new vintage.
    identical: bool = False
    #: The user said this is a new vintage of the source of its name whatever it
    #: holds.
    replace: bool = False
    #: Current vintages of sources carrying the file's name: (key, source_id,
    #: loaded_at), the exact name first.
    candidates: list[tuple[str, int, dt.datetime]] = field(default_factory=list)


@dataclass
class Conflict:
    """Values another source gave for keys this load gives (now superseded)."""

    source_id: int
    file: str
    sheet: str
    loaded_at: dt.datetime | None
    values: int
    different: int


@dataclass
class VintageChange:
    """What a load changed against the previous vintage of its source, and the
    conflicts with other sources it resolved."""

    source: str
    sheet: str
    vintage: int
    source_id: int
    previous: int | None = None
    previous_vintage: int | None = None
    previous_loaded_at: dt.datetime | None = None
    replaced: bool = False
    revised: int = 0
    added: int = 0
    removed: int = 0
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    restored: int = 0
    duplicates: int = 0
    issues: IssueLog = field(default_factory=IssueLog)

    def summary_lines(self) -> list[str]:
        """Plain-text lines for a terminal or log."""
        name = self.source + (f" [{self.sheet}]" if self.sheet else "")
        lines = []
        if self.previous is None:
            lines.append(f"vintage 1 of {name} (a new source)")
            lines.extend(f"  {i.message}" for i in self.issues.of_kind("new-source"))
        elif self.replaced:
            lines.append(
                f"vintage {self.vintage} of {name}: the same file and mapping "
                f"as its current vintage (source {self.previous}), replaced; "
                f"{plural(self.revised, 'value')} revised, {self.added:,} added, "
                f"{self.removed:,} removed"
            )
        else:
            lines.append(
                f"vintage {self.vintage} of {name}: "
                f"{plural(self.revised, 'value')} revised, {self.added:,} added, "
                f"{self.removed:,} removed ({self.unchanged:,} unchanged) "
                f"against vintage {self.previous_vintage} (source "
                f"{self.previous})"
            )
        for c in self.conflicts:
            where = Path(c.file).name + (f" [{c.sheet}]" if c.sheet else "")
            lines.append(
                f"conflict: {plural(c.values, 'value')} ({c.different:,} "
                f"different) also given by source {c.source_id} ({where}); "
                "this load's are current (the most recent load wins)"
            )
        if self.restored:
            lines.append(
                f"{plural(self.restored, 'value')} of other sources current "
                "again: the previous vintage gave them, this one does not"
            )
        if self.duplicates:
            lines.append(
                f"{plural(self.duplicates, 'value')} repeat a key given later in "
                "the file; the later row's is current (load_issues)"
            )
        return lines


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def show_value(value: Any, missing: Any, label: Any) -> str:
    """A stored value as a user reads it: the number, the label, or the reason it is
    missing in brackets.

    Examples
    --------
    >>> show_value(450048.0, None, None), show_value(None, "suppressed", None)
    ('450048', '[suppressed]')
    """
    if value is not None and value == value:
        return f"{value:.15g}"
    if label is not None and label == label:
        return str(label)
    if missing is not None and missing == missing:
        return f"[{missing}]"
    return ""
