"""Named sub-total rows checked against their own group (issue 17, item 2): a 2002
table of the 150 authorities of that year, in sections by type, with the sub-totals
a committee table prints."""

from __future__ import annotations

import csv
import io

import pytest

from lacompare.geography import authorities_on
from lacompare.store._ingest import ingest

DAY = "2002-04-01"
SECTIONS = (
    ("London borough", "London sub-total"),
    ("metropolitan district", "Metropolitan sub-total"),
    ("shire county", "Shire County Sub-total"),
    ("unitary", "Shire Unitary Sub-total"),
)


def _table_2002(
    shires_label: str = "All Shires Total",
    shift: float = 0.0,
    shire_sub: str | None = None,
) -> tuple[str, dict[str, float]]:
    """The table as CSV text, and the totals it prints (computed here, exact)."""
    on = authorities_on(DAY)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Authority", "Children looked after"])
    printed: dict[str, float] = {}
    for i, (kind, label) in enumerate(SECTIONS):
        names = sorted(on.loc[on["la_type"] == kind, "la_name"])
        values = [float(10 * i + j + 1) for j in range(len(names))]
        for name, value in zip(names, values, strict=True):
            w.writerow([name, int(value)])
        if kind == "shire county" and shire_sub:
            label = shire_sub
        printed[label] = sum(values)
        w.writerow(
            [label, int(printed[label] + (shift if kind == "shire county" else 0))]
        )
    shires = (
        printed[shire_sub or "Shire County Sub-total"]
        + printed["Shire Unitary Sub-total"]
    )
    printed[shires_label] = shires
    w.writerow([shires_label, int(shires)])
    printed["England total"] = sum(v for k, v in printed.items() if k != shires_label)
    w.writerow(["England total", int(printed["England total"])])
    return out.getvalue(), printed


def test_a_2002_table_with_named_subtotals_loads_with_no_false_mismatch(store, write):
    text, printed = _table_2002()
    result = ingest(store, write("cla2002.csv", text), period="2002")
    assert result.authorities == 150 and result.unresolved == []
    assert result.totals_check.get("differs", 0) == 0
    assert result.totals_check == {"agrees": 6}
    checks = dict(
        store.con.execute(
            "SELECT area_name, check_result || ' ' || members FROM totals"
        ).fetchall()
    )
    # Each sub-total against its own group: 33 + 36 + 34 + 47 = 150 in 2002,
    # Cornwall, Durham, Northumberland, Shropshire, Wiltshire among the counties.
    assert checks == {
        "London": "agrees 33",
        "Metropolitan sub-total": "agrees 36",
        "Shire County Sub-total": "agrees 34",
        "Shire Unitary Sub-total": "agrees 47",
        "All Shires Total": "agrees 81",
        "England": "agrees 150",
    }


def test_subtotals_by_type_at_1_april_2002_reproduce_the_published(store, write):
    from lacompare.analysis.grouped import summarise_grouped

    text, printed = _table_2002()
    ingest(store, write("cla2002.csv", text), period="2002")
    measure = store.con.execute("SELECT DISTINCT measure FROM observations").fetchall()[
        0
    ][0]
    # A count of children: what the file's spec would say (sums need a unit).
    store.con.execute(
        "UPDATE measures SET unit = 'children' WHERE measure = ?", [measure]
    )
    t = summarise_grouped(store, measure, "la_type", as_of=DAY, subtotals="sum")
    sums = t[t["statistic"] == "sum"].set_index("group")["value"]
    for kind, label in SECTIONS:
        assert sums[kind] == pytest.approx(printed[label], abs=0.5)
    assert sums["shire county"] + sums["unitary"] == pytest.approx(
        printed["All Shires Total"], abs=0.5
    )
    assert sums["All authorities"] == pytest.approx(printed["England total"], abs=0.5)


def test_a_wrong_named_subtotal_still_differs(store, write):
    text, _ = _table_2002(shift=500)
    result = ingest(store, write("bad.csv", text), period="2002")
    assert store.con.execute(
        "SELECT check_result FROM totals WHERE area_name = 'Shire County Sub-total'"
    ).fetchall() == [("differs",)]
    assert result.issues.of_kind("total-differs")


def test_an_ambiguous_label_is_reported_as_such(store, write):
    # 'Shire sub-total' may be the counties alone or counties and unitaries: its
    # section (the counties) agrees, so it agrees.
    text, _ = _table_2002(shire_sub="Shire sub-total")
    result = ingest(store, write("amb.csv", text), period="2002")
    assert result.totals_check.get("differs", 0) == 0
    # Printed wrong, no reading adds up: ambiguous, never 'differs'.
    text, _ = _table_2002(shire_sub="Shire sub-total", shift=500)
    result = ingest(store, write("amb2.csv", text), period="2002")
    found = dict(
        store.con.execute(
            "SELECT area_name, check_result FROM totals WHERE source_id = ?",
            [result.source_id],
        ).fetchall()
    )
    assert found["Shire sub-total"] == "ambiguous"
    assert result.issues.of_kind("total-ambiguous")


def test_unnamed_subtotals_still_sum_their_section(store, write):
    text = (
        "la,spend\nHartlepool,1\nMiddlesbrough,2\nSub-total,3\n"
        "Leeds,10\nYork,20\nSub-total,30\nTotal,33\n"
    )
    result = ingest(store, write("t.csv", text), period="2024-25")
    assert result.totals_check == {"agrees": 3}
