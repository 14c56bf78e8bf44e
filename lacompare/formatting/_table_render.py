"""Printing report tables: great-tables (:func:`format_table`) and accessible
HTML (:func:`table_html`), with the notes each table carries."""

from __future__ import annotations

import html
import math
import re
from functools import partial
from typing import TYPE_CHECKING

from lacompare.formatting._format import (
    format_missing,
    format_number,
    is_missing,
    is_money,
    missing_key,
)
from lacompare.formatting._table_model import Column, ReportTable
from lacompare.formatting._table_totals import Mismatch, plain_number, reconcile

if TYPE_CHECKING:
    from great_tables import GT
    from great_tables._locations import Loc
    from great_tables._text import BaseText


def symbols_used(table: ReportTable) -> list[tuple[str, str]]:
    """The missing-value symbols that appear in ``table``, with their meanings.

    Examples
    --------
    >>> import pandas as pd
    >>> from lacompare.formatting.tables import Column, ReportTable
    >>> f = pd.DataFrame({"la": ["A", "B"], "n": [None, 3.0],
    ...                   "n__missing": ["suppressed", None]})
    >>> symbols_used(ReportTable("t", f))
    [('[c]', 'suppressed to protect confidentiality')]
    """
    return missing_key(
        reason
        for column in table.columns
        if column.numeric
        for reason in table.missing_reasons(column)
        if reason is not None
    )


def table_notes(table: ReportTable) -> list[str]:
    """The notes printed with ``table``: its own, then symbols, brackets, rounding.

    Examples
    --------
    >>> import pandas as pd
    >>> from lacompare.formatting.tables import Column, ReportTable
    >>> f = pd.DataFrame({"line": ["Income"], "v": [-1792]})
    >>> table_notes(ReportTable("t", f, [Column("line", role="label"),
    ...                                  Column("v", unit="£000")]))
    ['Negative amounts are shown in brackets: (1,792).']
    """
    notes = list(table.notes)
    notes += [f"{symbol} {meaning}" for symbol, meaning in symbols_used(table)]
    for column in table.columns:
        if column.numeric and is_money(column.unit):
            negative = [
                v for v in table.frame[column.name] if not is_missing(v) and v < 0
            ]
            if negative:
                decimals = table.decimals(column)
                example = format_number(negative[0], column.unit, decimals)
                notes.append(f"Negative amounts are shown in brackets: {example}.")
                break
    has_totals = any(r != "item" for r in table.roles())
    rounded = any(c.role == "value" and table.rounding(c) > 0 for c in table.columns)
    if has_totals and rounded:
        notes.append(
            "Figures are rounded, so totals may not equal the sum of their parts."
        )
    return notes


def source_lines(table: ReportTable) -> list[str]:
    return [
        s if s.lower().startswith("source") else f"Source: {s}" for s in table.sources
    ]


def _slug(text: str) -> str:
    # Prefixed: great-tables scopes its CSS as "#<id> ...", and an id that
    # starts with a digit ("2024-budget") is not a valid CSS selector.
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return "lc-" + (slug[:40] or "table")


def _mismatch_note(m: Mismatch) -> str:
    return (
        f"Does not equal the sum of its parts within rounding: the parts sum to "
        f"{plain_number(m.parts_sum)}."
    )


def format_table(
    table: ReportTable, *, check: bool = True, table_id: str | None = None
) -> GT:
    """The table as a great-tables ``GT``, ready for HTML or PDF.

    Units go in the headings, numbers are rounded per column, money negatives
    are bracketed, missing values print as symbols explained in a footnote,
    sub-total and total rows are bold (totals with a rule above), and sources
    are source notes.

    Parameters
    ----------
    table
        The table.
    check
        Run :func:`reconcile` and footnote every total that does not add up.
    table_id
        The HTML id; great-tables prefixes its element ids with it, so several
        tables on one page do not clash (default: from the title).

    Examples
    --------
    >>> import pandas as pd
    >>> from lacompare.formatting.tables import Column, ReportTable
    >>> f = pd.DataFrame({"line": ["Grant", "Income"], "v": [2409, -1792]})
    >>> t = ReportTable("Budget", f, [Column("line", "Line", role="label"),
    ...                               Column("v", "Budget", unit="£000")])
    >>> html_text = format_table(t).as_raw_html()
    >>> "(1,792)" in html_text and "Budget (£000)" in html_text
    True
    """
    from great_tables import GT, loc, style

    frame = table.frame
    shown = [c.name for c in table.columns]
    # GT's sub_missing only sees NaN/None; infinity counts as missing here too.
    data = frame[shown].replace([math.inf, -math.inf], math.nan)
    if table.group is not None:
        # The grand total belongs to no group: '' gives it no group heading
        # (NaN would print a heading "nan").
        data.insert(
            0,
            table.group,
            ["" if is_missing(g) else str(g) for g in frame[table.group]],
        )
    gt = GT(
        data,
        rowname_col=table.stub,
        groupname_col=table.group,
        id=table_id or _slug(table.title),
    )
    gt = gt.tab_header(title=table.title)
    labels: dict[str, str | BaseText] = {
        c.name: c.heading for c in table.columns if c.name != table.stub
    }
    if labels:
        gt = gt.cols_label(cases=labels)
    if table.stub is not None:
        stub_col = next(c for c in table.columns if c.name == table.stub)
        gt = gt.tab_stubhead(label=stub_col.heading)
    for column in table.columns:
        if not column.numeric:
            continue
        decimals = table.decimals(column)
        gt = gt.fmt(
            partial(format_number, unit=column.unit, decimals=decimals),
            columns=column.name,
        )
        gt = gt.cols_align("right", columns=column.name)
        by_symbol: dict[str, list[int]] = {}
        for row, reason in enumerate(table.missing_reasons(column)):
            if reason is not None:
                symbol = format_missing(reason)
                by_symbol.setdefault(symbol, []).append(row)
        for symbol, rows in by_symbol.items():
            gt = gt.sub_missing(columns=column.name, rows=rows, missing_text=symbol)
    roles = table.roles()
    bold = [i for i, r in enumerate(roles) if r != "item"]
    totals = [i for i, r in enumerate(roles) if r == "total"]

    def rows_at(rows: list[int]) -> list[Loc]:
        return [loc.body(rows=rows)] + ([loc.stub(rows=rows)] if table.stub else [])

    if bold:
        gt = gt.tab_style(style.text(weight="bold"), rows_at(bold))
    if totals:
        gt = gt.tab_style(style.borders(sides="top", weight="2px"), rows_at(totals))
    for note in table_notes(table):
        gt = gt.tab_footnote(note)
    if check:
        for m in reconcile(table):
            gt = gt.tab_footnote(
                _mismatch_note(m), locations=loc.body(columns=m.column, rows=[m.row])
            )
    for line in source_lines(table):
        gt = gt.tab_source_note(line)
    return gt


def _cell_text(
    table: ReportTable, column: Column, row: int, reasons: list[str | None]
) -> str:
    value = table.frame[column.name][row]
    if column.numeric:
        if reasons[row] is not None:
            return format_missing(reasons[row])
        return format_number(value, column.unit, table.decimals(column))
    return "" if is_missing(value) else str(value)


def table_html(
    table: ReportTable, *, table_id: str | None = None, check: bool = True
) -> str:
    """The table as accessible HTML: a fragment to put in a report page.

    A ``<caption>`` names the table; column headings are ``<th scope="col">``,
    row headings ``<th scope="row">`` and group headings ``<th scope="rowgroup">``
    (one ``<tbody>`` per group); sub-totals and totals are ``<strong>``; the
    symbols, notes and sources follow in a block the table points to with
    ``aria-describedby``. No scripts, no external links; numbers are
    right-aligned with an inline style so the fragment reads right without CSS.

    Parameters
    ----------
    table
        The table.
    table_id
        Id of the ``<figure>`` (default: from the title); notes get ``<id>-notes``.
    check
        Mark (†) every total that :func:`reconcile` flags, with a note.

    Examples
    --------
    >>> import pandas as pd
    >>> from lacompare.formatting.tables import Column, ReportTable
    >>> f = pd.DataFrame({"team": ["A", "Total"], "n": [3, 3],
    ...                   "row_role": ["item", "total"]})
    >>> out = table_html(ReportTable("Staff", f))
    >>> '<caption>Staff</caption>' in out
    True
    >>> '<th scope="row"><strong>Total</strong></th>' in out
    True
    """
    esc = html.escape
    tid = table_id or _slug(table.title)
    roles = table.roles()
    flagged = {(m.row, m.column): m for m in reconcile(table)} if check else {}
    reasons = {c.name: table.missing_reasons(c) for c in table.columns if c.numeric}
    right = ' style="text-align:right"'
    out = [
        f'<figure class="lc-table" id="{esc(tid)}">',
        f'<table aria-describedby="{esc(tid)}-notes">',
        f"<caption>{esc(table.title)}</caption>",
        "<thead><tr>"
        + "".join(
            f'<th scope="col"{right if c.numeric or c.right else ""}>'
            f"{esc(c.heading)}</th>"
            for c in table.columns
        )
        + "</tr></thead>",
    ]
    groups = (
        list(table.frame[table.group]) if table.group else [None] * len(table.frame)
    )
    current: object = object()
    open_body = False
    for row, role in enumerate(roles):
        key = None if is_missing(groups[row]) else groups[row]
        if key != current or not open_body:
            if open_body:
                out.append("</tbody>")
            out.append("<tbody>")
            open_body = True
            if key is not None:
                out.append(
                    f'<tr class="group"><th scope="rowgroup" '
                    f'colspan="{len(table.columns)}">{esc(str(key))}</th></tr>'
                )
            current = key
        cells = []
        for column in table.columns:
            text = esc(_cell_text(table, column, row, reasons.get(column.name, [])))
            if (row, column.name) in flagged:
                text += "<sup>†</sup>"
            if role != "item":
                text = f"<strong>{text}</strong>"
            if column.name == table.stub:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                aligned = column.numeric or column.right
                cells.append(f"<td{right if aligned else ''}>{text}</td>")
        out.append(f'<tr class="{role}">' + "".join(cells) + "</tr>")
    if open_body:
        out.append("</tbody>")
    out.append("</table>")
    notes = [esc(n) for n in table_notes(table)]
    notes += [
        f"† {esc(m.label)}, {esc(m.heading)}: {esc(_mismatch_note(m))}"
        for m in flagged.values()
    ]
    out.append(f'<div class="lc-table-notes" id="{esc(tid)}-notes">')
    if notes:
        out.append("<ul>" + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    out += [f"<p>{esc(s)}</p>" for s in source_lines(table)]
    out += ["</div>", "</figure>"]
    return "\n".join(out)
