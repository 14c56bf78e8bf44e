"""Report tables: printing, sub-totals, reconciliation, great-tables and HTML output.

The ``seed`` fixture (conftest.py) gives seed 001's budget and headcount tables,
typed as printed.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from lacompare.cells import missing_reasons
from lacompare.formatting.tables import (
    MISSING_SYMBOLS,
    Column,
    ReportTable,
    format_number,
    format_table,
    reconcile,
    symbols_used,
    table_html,
    table_notes,
    with_subtotals,
)

# --- reconciliation on the seed's budget ------------------------------------------


def test_seed_budget_totals_reconcile(seed) -> None:
    table = seed.budget_table()
    assert reconcile(table) == []
    f = table.frame
    assert seed.value_of(f, "Non pay team costs") == -220
    assert seed.value_of(f, "Supporting Families - income") == -1792
    items = f["row_role"] == "item"
    # The printed totals, and what their printed parts add up to: Social Care,
    # Specialist and the grand total are exact; Targeted Services' parts add to
    # 3,766 against a printed 3,765 — a rounding difference reconcile allows.
    blocks = (f["row_role"] != "item").cumsum().shift(fill_value=0)
    sums = f[items].groupby(blocks[items])["budget"].sum().tolist()
    assert sums == [81_531, 3_766, 4_355]
    subtotals = f.loc[f["row_role"] == "subtotal", "budget"].tolist()
    assert subtotals == [81_531, 3_765, 4_355]
    grand = seed.value_of(f, "Total Social Care & Early Help")
    assert sum(subtotals) == grand == 89_651


def test_altered_line_is_flagged(seed) -> None:
    frame = seed.budget_frame()
    frame.loc[frame["line"] == "Legal Costs", "budget"] = 1_600
    mismatches = reconcile(seed.budget_table(frame))
    assert len(mismatches) == 1
    m = mismatches[0]
    assert (m.label, m.column, m.printed, m.parts_sum) == (
        "Social Care",
        "budget",
        81_531,
        81_631,
    )
    assert m.difference == -100 and m.tolerance == 6.5  # 12 parts + the total
    assert "Social Care (2024/25 budget (£000)): printed 81,531" in str(m)


def test_altered_subtotal_flags_it_and_the_total(seed) -> None:
    frame = seed.budget_frame()
    frame.loc[frame["line"] == "Early Help - Specialist services", "budget"] = 4_365
    flagged = [(m.label, m.parts_sum) for m in reconcile(seed.budget_table(frame))]
    assert flagged == [
        ("Early Help - Specialist services", 4_355),
        ("Total Social Care & Early Help", 89_661),
    ]


def test_tolerance_is_half_a_unit_per_part_plus_the_total() -> None:
    def check(total: float) -> list:
        f = pd.DataFrame(
            {
                "line": ["a", "b", "Total"],
                "v": [1.0, 2.0, total],
                "row_role": ["item", "item", "total"],
            }
        )
        return reconcile(
            ReportTable(
                "t", f, [Column("line", role="label"), Column("v", unit="£000")]
            )
        )

    assert check(4.0) == [] and check(2.0) == []  # ±1.5 for 2 parts
    assert len(check(5.0)) == 1 and len(check(1.0)) == 1
    # With one decimal printed the allowance shrinks tenfold.
    f = pd.DataFrame(
        {
            "line": ["a", "b", "T"],
            "v": [1.0, 2.0, 3.2],
            "row_role": ["item", "item", "total"],
        }
    )
    cols = [Column("line", role="label"), Column("v", unit="£m", decimals=1)]
    assert [m.tolerance for m in reconcile(ReportTable("t", f, cols))] == [0.15]
    # Counts a publisher rounded to the nearest 10: ±15 for two parts.
    f = pd.DataFrame(
        {
            "la": ["a", "b", "All"],
            "n": [10, 20, 40],
            "row_role": ["item", "item", "total"],
        }
    )
    cols = [Column("la", role="label"), Column("n", unit="children")]
    assert len(reconcile(ReportTable("t", f, cols))) == 1  # whole: exact by default
    cols[1] = Column("n", unit="children", rounding=10)
    assert reconcile(ReportTable("t", f, cols)) == []


def test_missing_part_or_total_is_not_checked(seed) -> None:
    frame = seed.budget_frame()
    frame["budget__missing"] = None
    frame.loc[frame["line"] == "Youth Service", ["budget", "budget__missing"]] = (
        None,
        "suppressed",
    )
    assert reconcile(seed.budget_table(frame)) == []


# --- headcount: sub-totals computed and printed -------------------------------------


def test_seed_headcount_subtotals(seed) -> None:
    frame = with_subtotals(
        seed.headcount_items(),
        "division",
        ["headcount"],
        label="Total",
        total_label=None,
    )
    subtotals = frame[frame["row_role"] == "subtotal"]
    assert subtotals["headcount"].tolist() == [641, 623]
    assert subtotals["service"].tolist() == ["Total", "Total"]
    assert frame["headcount"].dtype.kind == "i"
    table = ReportTable(
        "Staffing establishment", frame, seed.HEADCOUNT_COLUMNS, group="division"
    )
    assert reconcile(table) == []
    # Whole persons: no rounding allowance.
    assert table.rounding(seed.HEADCOUNT_COLUMNS[1]) == 0


def test_printed_headcount_totals_checked_exactly(seed) -> None:
    items = seed.headcount_items().assign(row_role="item")
    totals = pd.DataFrame(
        {
            "division": ["Childrens Social Work & Early Help", "SEND and Education"],
            "service": ["Total", "Total"],
            "headcount": [641, 623],
            "row_role": ["subtotal", "subtotal"],
        }
    )
    # Printed order: each division's lines, then its total.
    frame = pd.concat(
        [items.iloc[:7], totals.iloc[:1], items.iloc[7:], totals.iloc[1:]],
        ignore_index=True,
    )
    table = ReportTable("Staffing", frame, seed.HEADCOUNT_COLUMNS, group="division")
    assert reconcile(table) == []
    frame.loc[frame.index[-1], "headcount"] = 624  # off by one person
    flagged = reconcile(
        ReportTable("Staffing", frame, seed.HEADCOUNT_COLUMNS, group="division")
    )
    assert [(m.printed, m.parts_sum, m.tolerance) for m in flagged] == [(624, 623, 0)]


def test_with_subtotals_grand_total_and_missing_parts() -> None:
    f = pd.DataFrame(
        {
            "type": ["Unitary", "Unitary", "County"],
            "la": ["A", "B", "C"],
            "cla": [10.0, None, 5.0],
            "rate": [60.0, 70.0, 80.0],
        }
    )
    out = with_subtotals(f, "type", ["cla"], label="All {group} authorities")
    assert out["la"].tolist() == [
        "A",
        "B",
        "All Unitary authorities",
        "C",
        "All County authorities",
        "Total",
    ]
    assert out["row_role"].tolist() == [
        "item",
        "item",
        "subtotal",
        "item",
        "subtotal",
        "total",
    ]
    # A missing part makes its totals missing (never understated), with a reason.
    assert out["cla"].isna().tolist() == [False, True, True, False, False, True]
    assert out.loc[2, "cla__missing"] == "not-available"
    # Rates do not add up: not applicable in total rows.
    assert out.loc[5, "rate__missing"] == "not-applicable"
    assert pd.isna(out.loc[5, "rate"])
    assert pd.isna(out.loc[5, "type"])
    summed = with_subtotals(f, "type", ["cla"], skipna=True)
    assert summed["cla"].tolist()[-1] == 15.0
    none = with_subtotals(f.assign(cla=None), "type", ["cla"], skipna=True)
    assert none["cla"].isna().all()  # nothing to add is not 0
    with pytest.raises(ValueError, match="already has total rows"):
        with_subtotals(out, "type", ["cla"])


# --- printing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "printed"),
    [
        (-1792, "£000", 0, "(1,792)"),
        (81531, "£000", 0, "81,531"),
        (2.675, "£ per head", 2, "2.68"),  # half up, not the float's 2.67
        (0.5, "persons", 0, "1"),  # half up, not to even
        (-4.35, "%", 1, "-4.4"),
        (0.534, "proportion", 1, "53.4"),
        (-0.4, "£000", 0, "0"),  # rounds to zero: no "(0)"
        (None, "£", 0, ""),
    ],
)
def test_format_number(value: float, unit: str, decimals: int, printed: str) -> None:
    assert format_number(value, unit, decimals) == printed


def test_every_missing_reason_has_one_symbol_meaning() -> None:
    assert set(missing_reasons()) <= set(MISSING_SYMBOLS)
    meanings: dict[str, set[str]] = {}
    for symbol, meaning in MISSING_SYMBOLS.values():
        meanings.setdefault(symbol, set()).add(meaning)
    assert all(len(m) == 1 for m in meanings.values())


def test_table_validation() -> None:
    f = pd.DataFrame({"a": ["x"], "v": [1], "row_role": ["grand"]})
    with pytest.raises(ValueError, match="unknown row role"):
        ReportTable("t", f)
    with pytest.raises(ValueError, match="no column"):
        ReportTable("t", f[["a", "v"]], [Column("nope")])


def test_symbols_and_notes(seed) -> None:
    table = seed.missing_table()
    assert symbols_used(table) == [
        ("[c]", "suppressed to protect confidentiality"),
        ("[x]", "not available"),
        ("[z]", "not applicable"),
        ("–", "no figure"),
    ]
    notes = table_notes(seed.budget_table())
    assert notes[0] == "Income is shown in brackets."
    assert "Negative amounts are shown in brackets: (220)." in notes
    assert (
        "Figures are rounded, so totals may not equal the sum of their parts." in notes
    )


# --- great-tables --------------------------------------------------------------------


def _row_of(html_text: str, text: str) -> str:
    """The <tr> holding ``text``."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html_text, flags=re.S)
    return next(r for r in rows if f">{text}<" in r)


def test_format_table_budget(seed) -> None:
    out = format_table(seed.budget_table()).as_raw_html()
    assert "2024/25 budget (£000)" in out
    assert ">(1,792)<" in out and ">(220)<" in out and ">55,972<" in out
    for total in ("81,531", "3,765", "4,355", "89,651"):
        assert "font-weight: bold" in _row_of(out, total)
    assert "font-weight: bold" not in _row_of(out, "55,972")
    assert "border-top: 2px solid" in _row_of(out, "89,651")
    assert "Income is shown in brackets." in out
    assert "Source: Leicester City Council" in out
    assert "<script" not in out and "Does not equal" not in out


def test_format_table_missing_symbols_and_footnotes(seed) -> None:
    out = format_table(seed.missing_table()).as_raw_html()
    for symbol in ("[c]", "[x]", "[z]", "–"):
        assert f">{symbol}<" in out
    assert "[c] suppressed to protect confidentiality" in out
    assert "[x] not available" in out and "– no figure" in out
    assert "Share placed out of area (%)" in out and ">53.4<" in out
    assert ">0<" not in out  # a missing value never prints as 0


def test_format_table_footnotes_a_mismatch(seed) -> None:
    frame = seed.budget_frame()
    frame.loc[frame["line"] == "Legal Costs", "budget"] = 1_600
    out = format_table(seed.budget_table(frame)).as_raw_html()
    assert (
        "Does not equal the sum of its parts within rounding: the parts sum to 81,631."
    ) in out
    assert "gt_footnote_marks" in _row_of(out, "Social Care")


def test_format_table_groups(seed) -> None:
    frame = with_subtotals(seed.headcount_items(), "division", ["headcount"])
    out = format_table(
        ReportTable("Staffing", frame, seed.HEADCOUNT_COLUMNS, group="division")
    ).as_raw_html()
    # Two division headings; the grand total sits under an empty one (a rule),
    # not under a heading "nan".
    assert out.count('class="gt_group_heading_row"') == 2
    assert out.count('class="gt_empty_group_heading"') == 1 and ">nan<" not in out
    assert "font-weight: bold" in _row_of(out, "1,264")


# --- accessible HTML -----------------------------------------------------------------


def test_table_html_accessible(seed) -> None:
    frame = with_subtotals(seed.headcount_items(), "division", ["headcount"])
    table = ReportTable(
        "Staffing establishment",
        frame,
        seed.HEADCOUNT_COLUMNS,
        group="division",
        sources=["001 §4.3"],
    )
    out = table_html(table, table_id="staff")
    assert "<caption>Staffing establishment</caption>" in out
    assert '<th scope="col">Service</th>' in out
    assert '<th scope="col" style="text-align:right">Headcount (persons)</th>' in out
    assert out.count('scope="rowgroup"') == 2 and out.count("<tbody>") == 3
    assert '<th scope="row">Corporate Parenting</th>' in out
    assert (
        '<tr class="subtotal"><th scope="row"><strong>Total Childrens Social Work '
        '&amp; Early Help</strong></th><td style="text-align:right"><strong>641'
        "</strong></td></tr>"
    ) in out
    assert "<strong>1,264</strong>" in out
    assert 'aria-describedby="staff-notes"' in out and 'id="staff-notes"' in out
    assert "<p>Source: 001 §4.3</p>" in out
    assert "<script" not in out and "http" not in out and "onclick" not in out


def test_table_html_symbols_and_flags(seed) -> None:
    out = table_html(seed.missing_table())
    assert '<td style="text-align:right">[c]</td>' in out
    assert "<li>[c] suppressed to protect confidentiality</li>" in out
    frame = seed.budget_frame()
    frame.loc[frame["line"] == "Legal Costs", "budget"] = 1_600
    out = table_html(seed.budget_table(frame))
    assert "<strong>81,531<sup>†</sup></strong>" in out
    assert "† Social Care, 2024/25 budget (£000): Does not equal" in out
    assert ">(1,792)<" in out
