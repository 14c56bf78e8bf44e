"""Headcount and budget: report tables with their totals reconciled.

Builds on :mod:`lacompare.formatting.tables`: headcount without printed totals gets
them from :func:`~lacompare.formatting.tables.with_subtotals`; printed totals (a
budget's sub-totals, a headcount's division totals) are checked with
:func:`~lacompare.formatting.tables.reconcile`, which allows for rounding (half a
unit per printed figure) and none for whole persons. A total that does not add
up is an issue in the log and a footnote in the report, never corrected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.formatting.tables import Mismatch, ReportTable

__all__ = ["headcount_table", "budget_tables", "summarise_resources"]


def headcount_table(
    lines: pd.DataFrame,
    title: str = "Staffing establishment",
    sources: list[str] | None = None,
) -> ReportTable:
    """Headcount by division and service, with division totals and a grand total.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"section": ["A", "A", "B"], "line": ["x", "y", "z"],
    ...                       "amount": [1.0, 37.0, 8.0], "row_role": "item"})
    >>> t = headcount_table(lines)
    >>> t.frame["headcount"].tolist()
    [1, 37, 38, 8, 8, 46]
    """
    from lacompare.formatting.tables import Column, ReportTable, with_subtotals

    frame = lines.rename(
        columns={"section": "division", "line": "service", "amount": "headcount"}
    )
    keep = ["division", "service", "headcount", "row_role"]
    if "missing_reason" in frame.columns:
        frame["headcount__missing"] = frame["missing_reason"]
        keep.append("headcount__missing")
    printed_totals = not (frame["row_role"] == "item").all()
    if printed_totals and "source_row" in frame.columns:
        keep.append("source_row")  # so a mismatch names the file's row
    frame = frame[keep].reset_index(drop=True)
    if not printed_totals:
        items = frame.drop(columns=["row_role"])
        if items["headcount"].notna().all():
            items["headcount"] = items["headcount"].astype("int64")
        frame = with_subtotals(
            items, "division", ["headcount"], label="Total", label_column="service"
        )
    columns = [
        Column("service", "Service", role="label"),
        Column("headcount", "Headcount", unit="persons", rounding=0),
    ]
    return ReportTable(
        title,
        frame,
        columns,
        group="division",
        name="Headcount",
        sources=list(sources or []),
    )


def _leveled(lines: pd.DataFrame) -> bool:
    return "level" in lines.columns and bool(lines["level"].notna().any())


def budget_tables(
    lines: pd.DataFrame, title: str = "Budget", sources: list[str] | None = None
) -> list[ReportTable]:
    """The budget as printed (income in brackets), totals as printed.

    Without outline levels: one table per section. With them (a ``level``
    column, see :func:`lacompare.snapshot._read.read_budget_file`): one table
    of every section, headed by section, so block totals and the grand total
    can be checked against the sub-totals and blocks they sum.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"section": "S", "line": ["a", "Income", "Total"],
    ...     "amount": [1500.0, -220.0, 1280.0], "unit": "£000",
    ...     "row_role": ["item", "item", "subtotal"]})
    >>> [t.title for t in budget_tables(lines, "Budget 2024/25")]
    ['Budget 2024/25: S']
    >>> nested = pd.DataFrame({"section": ["A", "A", "B", ""],
    ...     "line": ["x", "Total A", "Total B", "All"],
    ...     "amount": [5.0, 5.0, 7.0, 12.0], "unit": "£000", "level": [2, 1, 1, 0],
    ...     "row_role": ["item", "subtotal", "subtotal", "total"]})
    >>> [(t.title, t.group) for t in budget_tables(nested, "Budget 2024/25")]
    [('Budget 2024/25', 'section')]
    """
    from lacompare.formatting.tables import Column, ReportTable

    unit = (
        str(lines["unit"].iloc[0]) if "unit" in lines.columns and len(lines) else "£000"
    )
    if _leveled(lines):
        frame = lines.rename(columns={"amount": "budget", "level": "row_level"})
        keep = ["section", "line", "budget", "row_role", "row_level"]
        if "missing_reason" in frame.columns:
            frame["budget__missing"] = frame["missing_reason"]
            keep.append("budget__missing")
        if "source_row" in frame.columns:
            keep.append("source_row")
        frame = frame[keep].reset_index(drop=True)
        frame["row_level"] = frame["row_level"].astype("Int64")
        return [
            ReportTable(
                title,
                frame,
                [
                    Column("line", "Service line", role="label"),
                    Column("budget", "Budget", unit=unit),
                ],
                notes=["Income is shown in brackets."]
                if (frame["budget"] < 0).any()
                else [],
                sources=list(sources or []),
                group="section",
                name="Budget",
            )
        ]
    tables = []
    for section, rows in lines.groupby("section", sort=False):
        frame = rows.rename(columns={"amount": "budget"})
        keep = ["line", "budget", "row_role"]
        if "missing_reason" in frame.columns:
            frame["budget__missing"] = frame["missing_reason"]
            keep.append("budget__missing")
        if "source_row" in frame.columns:
            keep.append("source_row")
        name = f"{title}: {section}" if section else title
        tables.append(
            ReportTable(
                name,
                frame[keep].reset_index(drop=True),
                [
                    Column("line", "Service line", role="label"),
                    Column("budget", "Budget", unit=unit),
                ],
                notes=["Income is shown in brackets."]
                if (frame["budget"] < 0).any()
                else [],
                sources=list(sources or []),
                name=f"Budget {section}"[:31],
            )
        )
    return tables


def summarise_resources(
    tables: list[ReportTable], file: str | None = None
) -> tuple[list[Mismatch], IssueLog]:
    """Reconcile the tables' totals; each mismatch is an issue naming its row.

    Totals are stored and shown as printed, never corrected. With outline
    levels, a figure no total sums (a level with no total above it) and a
    total printed without parts (it cannot be checked) are noted too.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"section": "S", "line": ["a", "b", "Total"],
    ...     "amount": [1500.0, -220.0, 1380.0], "unit": "£000",
    ...     "row_role": ["item", "item", "subtotal"]})
    >>> found, log = summarise_resources(budget_tables(lines))
    >>> print(log.issues[0].message)  # doctest: +NORMALIZE_WHITESPACE
    Total (Budget (£000)): printed 1,380 but its 2 parts sum to 1,280
    (difference 100, allowed ±1.5)
    """
    import pandas as pd

    from lacompare.formatting.tables import reconcile, total_parts

    log = IssueLog()
    found = []
    for table in tables:
        frame = table.frame
        stub = table.stub

        def where(i: int, frame: pd.DataFrame = frame) -> int | None:
            return (
                int(frame["source_row"][i]) if "source_row" in frame.columns else None
            )

        for m in reconcile(table):
            found.append(m)
            log.add(
                "total-mismatch",
                str(m),
                file=file,
                row=where(m.row),
                column=m.heading,
                value=str(m.printed),
            )
        levels = frame.get(table.level_column)
        if levels is None or levels.isna().all():
            continue
        parts = total_parts(table)
        counted = {j for rows in parts.values() for j in rows}
        top = int(levels.min())
        for i, level in enumerate(levels):
            if pd.isna(level):
                continue
            label = str(frame[stub][i]) if stub else f"row {i + 1}"
            if int(level) > top and i not in counted:
                log.add(
                    "not-in-a-total",
                    f"{label} (level {int(level)}) is in no "
                    f"total: no total at level {int(level) - 1} follows it "
                    "before one at a higher level",
                    file=file,
                    row=where(i),
                    column="level",
                    value=str(int(level)),
                )
            if i in parts and not parts[i]:
                log.add(
                    "total-without-parts",
                    f"{label}: printed as a total with "
                    "no parts one level deeper above it, so it cannot be "
                    "checked",
                    severity="info",
                    file=file,
                    row=where(i),
                    column="level",
                    value=str(int(level)),
                )
    return found, log
