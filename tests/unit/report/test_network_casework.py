"""The network report's sections from what the returns hub publishes (issue 21,
item 5): the return rate "N of M (x%)", casework and tribunal over three years
with the change since the first, and funding by source with joint funding's
share of the budget. A small load built here; no hub, no PostgreSQL."""

from __future__ import annotations

import html
import re
import statistics

import pytest

from lacompare.report._network import build_network
from lacompare.report._network_data import read_network
from lacompare.report._reports import render_html
from lacompare.store import ingest, open_store

#: Eight services: six returned (two of them jointly commissioned), two did not.
#: casework and tribunal (supported, attended) for 2019, 2020, 2021 (years to March).
ROWS = [
    # name, casework 19/20/21, supported 19/20/21, attended 19/20/21, la, sc, h, other
    ("Leeds", (100, 120, 150), (10, 12, 15), (2, 3, 4), 90000, 5000, 5000, 0, 1),
    ("York", (200, 210, 290), (8, 8, 9), (1, 1, 2), 60000, 20000, 20000, 0, 1),
    ("Bradford", (50, 60, 70), (4, 5, 6), (1, 2, 2), 95000, 0, 0, 5000, 0),
    ("Kirklees", (None, 90, 120), (3, 4, 5), (0, 1, 1), 100000, 0, 0, 0, 0),
    ("Wakefield", (80, 90, 120), (6, 6, 6), (2, 2, 2), 70000, 0, 0, 30000, 0),
    ("Calderdale", (40, 44, 48), (2, 2, 3), (1, 1, 1), 100000, 0, 0, 0, 0),
    ("Manchester", None, None, None, None, None, None, None, None),
    ("Salford", None, None, None, None, None, None, None, None),
]
FIGURES = ("casework", "tribunal_supported", "tribunal_attended")


def _write_load(tmp_path, *, hub_measures: bool = True):
    header = ["local_authority", "pop_0_25", "per_head_2021", "fte_staff_2021"]
    header += ["pop_per_fte_2021"]
    if hub_measures:
        header += [f"{f}_{y}" for f in FIGURES for y in (2019, 2020, 2021)]
        header += ["share_la_2021", "share_social_care_2021", "share_health_2021"]
        header += ["share_other_2021", "share_joint_2021"]
        header += ["joint_health_and_social_care"]
    lines = [",".join(header)]
    for name, work, sup, att, la, sc, h, other, joint in ROWS:
        if work is None:  # no return: only the network's population
            lines.append(",".join([name, "100000"] + [""] * (len(header) - 2)))
            continue
        total = la + sc + h + other
        row = [name, "100000", f"{total / 100000}", "4", "25000"]
        if hub_measures:
            for years in (work, sup, att):
                row += ["" if v is None else str(v) for v in years]
            row += [str(100 * v / total) for v in (la, sc, h, other, sc + h)]
            row += [str(joint)]
        lines.append(",".join(row))
    data = tmp_path / "returns.csv"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    spec = tmp_path / "returns.toml"
    spec.write_text(
        '[source]\nla_columns = ["local_authority"]\nperiod = "2021"\n'
        'as_of = "2021-03-31"\n',
        "utf-8",
    )
    db = tmp_path / "store.duckdb"
    with open_store(db) as store:
        ingest(store, data, spec=spec)
    return db


def _text(doc) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", render_html(doc))).split())


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    db = _write_load(tmp_path_factory.mktemp("casework"))
    with open_store(db, read_only=True) as store:
        doc = build_network(store)
        data = read_network(store)
    return doc, data, _text(doc)


def test_return_rate_is_services_that_returned_of_all_listed(report):
    doc, data, text = report
    returned = sum(1 for r in ROWS if r[1] is not None)
    assert (data.returned, data.services) == (returned, len(ROWS))
    rate = f"{returned} of {len(ROWS)} ({round(100 * returned / len(ROWS))}%)"
    assert f"Return rate: {rate} services in the network sent a return" in text
    assert f"A national data report from {returned} services' returns" in text


def test_casework_over_three_years_counts_services_with_every_year(report):
    doc, data, text = report
    full = [r for r in ROWS if r[1] is not None and None not in r[1]]
    first = sum(r[1][0] for r in full)
    last = sum(r[1][2] for r in full)
    change = round(100 * (last - first) / first)
    # Kirklees gave no 2018-19 casework: not in the comparison.
    assert (
        f"Casework across the {len(full)} services that gave all 3 years was up "
        f"{change}% since 2018-19: from {first:,} cases in 2018-19 to {last:,} in "
        "2020-21."
    ) in text
    assert f"Casework was up {change}% since 2018-19 across the {len(full)}" in text
    table = next(
        t for t in doc.tables() if t.title.startswith("Casework, helpline and tribunal")
    )
    frame = table.frame.set_index("figure")
    supported = frame.loc["SEND tribunal cases supported"]
    returned = [r for r in ROWS if r[2] is not None]
    assert supported["n"] == len(returned)
    assert supported["y2019"] == sum(r[2][0] for r in returned)
    assert supported["y2021"] == sum(r[2][2] for r in returned)
    attended = frame.loc["SEND tribunal hearings attended directly"]
    total = [sum(r[3][i] for r in returned) for i in (0, 2)]
    assert attended["change"] == pytest.approx(100 * (total[1] - total[0]) / total[0])
    # Helpline was not in this load: its row says so rather than printing 0.
    helpline = frame.loc["Helpline enquiries"]
    assert helpline["n"] == 0 and helpline["change__missing"] == "not-available"
    headings = [c.heading for c in table.columns]
    assert headings[2:5] == ["2018-19", "2019-20", "2020-21"]


def test_joint_funding_share_over_jointly_commissioned(report):
    doc, data, text = report
    shares = [
        100 * (sc + h) / (la + sc + h + other)
        for _, work, _, _, la, sc, h, other, joint in ROWS
        if work is not None and joint
    ]
    assert (
        f"Among the {len(shares)} jointly commissioned services that gave their "
        f"funding by source, joint funding (health and social care) was "
        f"{min(shares):.0f}%–{max(shares):.0f}% of the budget (median "
        f"{statistics.median(shares):.0f}%)."
    ) in text
    assert "Funding by source: mean share of the budget, by region" in text


def test_no_hub_measures_no_sections(tmp_path):
    db = _write_load(tmp_path, hub_measures=False)
    with open_store(db, read_only=True) as store:
        text = _text(build_network(store))
    assert "Casework and tribunal" not in text and "Funding by source" not in text
    assert "Return rate: 6 of 8 (75%)" in text
