"""Load snapshot values, headcount and budget files into the store (all or nothing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.formatting.tables import Mismatch, ReportTable
    from lacompare.store import Store

__all__ = ["LoadResult", "load_snapshot", "load_headcount", "load_budget"]


@dataclass
class LoadResult:
    """What a load stored: the rows, the ``sources`` id, what was replaced,
    totals that do not add up (headcount, budget) and the issue log."""

    rows: pd.DataFrame
    source_id: int | None
    replaced: int
    issues: IssueLog = field(default_factory=IssueLog)
    mismatches: list[Mismatch] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """What happened, in a few lines for the CLI."""
        out = []
        if "snapshot_date" in self.rows.columns:
            dates = sorted({str(d) for d in self.rows["snapshot_date"]})
            span = dates[0] if len(dates) == 1 else f"{dates[0]} … {dates[-1]}"
            out.append(
                f"loaded {len(self.rows):,} snapshot values "
                f"({self.rows['measure'].nunique()} measures, "
                f"{len(dates)} date(s): {span})"
            )
        else:
            out.append(f"loaded {len(self.rows):,} {self.rows['kind'].iloc[0]} lines")
        if self.replaced:
            out.append(
                f"replaced {self.replaced:,} values loaded before for the same "
                "authority and date"
            )
        for m in self.mismatches:
            out.append(f"total does not add up: {m}")
        out += [str(i) for i in self.issues if i.kind != "total-mismatch"]
        if "synthetic" in self.rows.columns and bool(self.rows["synthetic"].any()):
            out.append("SYNTHETIC DATA: these values come from a generated extract")
        return out


def load_snapshot(
    store: Store,
    path: str | Path,
    *,
    authority: str | None = None,
    date: str | dt.date | None = None,
    sheet: str | None = None,
    check: bool = False,
) -> LoadResult:
    """Read a snapshot values file and store it (``check``: read only).

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.store import open_store
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w").write("date,measure,value\\n"
    ...                        "04/10/2024,No of CLA (all ages),602\\n")
    >>> with open_store(":memory:") as s:
    ...     load_snapshot(s, p, authority="Leicester").summary_lines()
    ['loaded 1 snapshot values (1 measures, 1 date(s): 2024-10-04)']
    """
    from lacompare.snapshot._read_snapshot import read_snapshot_file
    from lacompare.snapshot._store import write_snapshot_values

    values, log, cells = read_snapshot_file(
        path, authority=authority, date=date, sheet=sheet
    )
    if check:
        return LoadResult(values, None, 0, log)
    sid, replaced = write_snapshot_values(
        store,
        values,
        file=cells.file,
        sheet=cells.sheet,
        sha256=cells.sha256,
        kind="snapshot:values",
    )
    if replaced:
        log.add(
            "replaced",
            f"replaced {replaced} values of an earlier load",
            severity="info",
            file=cells.file,
        )
    return LoadResult(values, sid, replaced, log)


def _resources(
    store: Store,
    lines: pd.DataFrame,
    log: IssueLog,
    cells: object,
    kind: str,
    check: bool,
) -> LoadResult:
    from lacompare.snapshot._resources import (
        budget_tables,
        headcount_table,
        summarise_resources,
    )
    from lacompare.snapshot._store import write_resource_lines

    file = cells.file
    tables = [headcount_table(lines)] if kind == "headcount" else budget_tables(lines)
    mismatches, found = summarise_resources(tables, file=file)
    log.extend(found)
    if check:
        return LoadResult(lines, None, 0, log, mismatches, tables)
    # A total that does not add up is stored as printed and flagged, not corrected.
    sid, replaced = write_resource_lines(
        store, lines, file=file, sheet=cells.sheet, sha256=cells.sha256, kind=kind
    )
    return LoadResult(lines, sid, replaced, log, mismatches, tables)


def load_headcount(
    store: Store,
    path: str | Path,
    *,
    authority: str,
    as_of: str | dt.date,
    sheet: str | None = None,
    check: bool = False,
) -> LoadResult:
    """Read headcount by division and service, reconcile its totals, store it.

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.store import open_store
    >>> p = os.path.join(tempfile.mkdtemp(), "h.csv")
    >>> _ = open(p, "w").write("division,service,headcount,row_role\\n"
    ...     "SEND,Education,148,item\\nSEND,Transport,163,item\\n"
    ...     "SEND,Total,312,total\\n")
    >>> with open_store(":memory:") as s:
    ...     r = load_headcount(s, p, authority="Leicester", as_of="2024-10-04")
    >>> for m in r.mismatches:  # doctest: +NORMALIZE_WHITESPACE
    ...     print(m)
    Total (Headcount (persons)): printed 312 but its 2 parts sum to 311
    (difference 1, allowed ±0)
    """
    from lacompare.snapshot._read import read_headcount_file

    lines, log, cells = read_headcount_file(
        path, authority=authority, as_of=as_of, sheet=sheet
    )
    return _resources(store, lines, log, cells, "headcount", check)


def load_budget(
    store: Store,
    path: str | Path,
    *,
    authority: str,
    as_of: str,
    sheet: str | None = None,
    unit: str = "£000",
    check: bool = False,
) -> LoadResult:
    """Read budget lines, reconcile sub-totals and totals, store them.

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.store import open_store
    >>> p = os.path.join(tempfile.mkdtemp(), "b.csv")
    >>> _ = open(p, "w").write("section,line,amount,row_role\\n"
    ...     "SC,Legal,\\"1,500\\",item\\nSC,Income,(220),item\\n"
    ...     "SC,Social Care,\\"1,280\\",subtotal\\n")
    >>> with open_store(":memory:") as s:
    ...     load_budget(s, p, authority="Leicester", as_of="2024/25").mismatches
    []
    """
    from lacompare.snapshot._read import read_budget_file

    lines, log, cells = read_budget_file(
        path, authority=authority, as_of=as_of, sheet=sheet, unit=unit
    )
    return _resources(store, lines, log, cells, "budget", check)
