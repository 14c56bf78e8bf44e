"""compare with joint returns (issue 17, item 4): the shared figure is shown for
each member, flagged naming the partner, and counted once in n, ranks, averages
and neighbours' statistics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lacompare.analysis import compare
from lacompare.store import open_store
from lacompare.store._ingest import ingest

NORTH, WEST = "E06000061", "E06000062"
#: East Midlands authorities with figures of their own (2024).
OWN = {
    "Derby": 12.0,
    "Leicester": 14.0,
    "Nottingham": 16.0,
    "Derbyshire": 18.0,
    "Leicestershire": 20.0,
}
SHARED = 30.0


@pytest.fixture
def store(tmp_path: Path):
    path = tmp_path / "caseload.csv"
    rows = [f"{name},{value}" for name, value in OWN.items()]
    rows.append(f"North Northamptonshire / West Northamptonshire,{SHARED}")
    path.write_text("la,caseload\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with open_store(":memory:") as s:
        ingest(s, path, period="2024")
        codes = dict(
            s.con.execute("SELECT la_name, la_code FROM authorities").fetchall()
        )
        links = [
            # Derby's neighbours hold both Northamptonshires: one figure.
            ("Derby", "North Northamptonshire", 1),
            ("Derby", "West Northamptonshire", 2),
            ("Derby", "Leicester", 3),
            # West Northamptonshire's partner carries its own figure.
            ("West Northamptonshire", "North Northamptonshire", 1),
            ("West Northamptonshire", "Derby", 2),
            ("West Northamptonshire", "Nottingham", 3),
        ]
        s.con.execute(
            "INSERT INTO neighbour_sets VALUES ('t', 't', 'test', "
            "NULL, NULL, '2024', current_timestamp)"
        )
        for la, nb, rank in links:
            s.con.execute(
                "INSERT INTO neighbours VALUES ('t', ?, ?, ?, NULL, NULL)",
                [codes[la], codes[nb], rank],
            )
        yield s


def test_each_member_shows_the_shared_figure_flagged(store) -> None:
    t = compare(store, [NORTH, WEST], "caseload").table.set_index("la_code")
    assert t.loc[NORTH, "value"] == t.loc[WEST, "value"] == SHARED
    assert t.loc[WEST, "joint_return"] == (
        "joint return with North Northamptonshire (Northamptonshire Children's Trust)"
    )
    assert "West Northamptonshire" in t.loc[NORTH, "joint_return"]
    # The first member counts the figure; a reader counting rows skips the other.
    assert t.loc[NORTH, "joint_counted"] and not t.loc[WEST, "joint_counted"]


def test_the_joint_figure_is_counted_once(store) -> None:
    t = compare(store, [NORTH, WEST, "Derby"], "caseload").table.set_index("la_code")
    values = [*OWN.values(), SHARED]
    assert (t["n"] == len(values)).all()
    assert t["authorities_mean"].iloc[0] == pytest.approx(sum(values) / len(values))
    # Both members have the group's one rank (highest of a neutral measure).
    assert t.loc[NORTH, "rank"] == t.loc[WEST, "rank"] == 1
    assert (t["rank_of"] == len(values)).all()


def test_region_computed_from_authorities_counts_it_once(store) -> None:
    row = compare(store, "Derby", "caseload", against=["region"]).table.iloc[0]
    values = [*OWN.values(), SHARED]
    assert row["region_value"] == pytest.approx(sum(values) / len(values))
    assert row["region_source"] == f"computed: mean of {len(values)} authorities"


def test_neighbours_count_the_group_once_and_not_as_ones_own(store) -> None:
    t = compare(store, ["Derby", WEST], "caseload").table.set_index("la_code")
    derby = t.index[t["la_name"] == "Derby"][0]
    assert t.loc[derby, "neighbours_n"] == 2
    assert t.loc[derby, "neighbours_mean"] == pytest.approx((SHARED + 14.0) / 2)
    # West Northamptonshire's partner carries West's own figure: left out.
    assert t.loc[WEST, "neighbours_n"] == 2
    assert t.loc[WEST, "neighbours_mean"] == pytest.approx((12.0 + 16.0) / 2)


def test_the_notes_name_the_joint_return(store) -> None:
    notes = compare(store, WEST, "caseload").notes()
    joint = [n for n in notes if "joint return" in n]
    assert len(joint) == 1
    assert joint[0].startswith("West Northamptonshire: joint return with North")
    assert "counted once" in joint[0]


def test_a_value_of_one_authority_is_not_flagged(store) -> None:
    t = compare(store, "Derby", "caseload").table
    assert t["joint_return"].isna().all()


def test_every_authority_names_each_group_once(store) -> None:
    notes = compare(store, None, "caseload").notes()
    joint = [n for n in notes if "joint return" in n]
    assert joint == [
        "joint returns (one published figure for the group, shown for each member, "
        "counted once in n, ranks, quartiles and averages): North Northamptonshire "
        "and West Northamptonshire (Northamptonshire Children's Trust)"
    ]


def test_leaving_out_the_counted_member_leaves_out_the_shared_figure(store) -> None:
    c = compare(store, WEST, "caseload", exclude=["North Northamptonshire"])
    row = c.table.iloc[0]
    assert row["value"] == SHARED and row["n"] == len(OWN)
    assert pd.isna(row["rank"])  # its figure is not in the ranks
    why = c.excluded.set_index("la_code")["reason"]
    assert why[WEST] == "joint return with North Northamptonshire, left out with it"


def test_a_partnership_can_be_left_out_by_name(store) -> None:
    from lacompare.analysis import resolve_exclusions

    ex = resolve_exclusions(store, ["Northamptonshire Children's Trust"])
    assert ex["la_code"].tolist() == [NORTH, WEST]
    assert set(ex["reason"]) == {"excluded by user: Northamptonshire Children's Trust"}
    row = compare(
        store, "Derby", "caseload", exclude="Northamptonshire Children's Trust"
    ).table.iloc[0]
    assert row["n"] == len(OWN)
