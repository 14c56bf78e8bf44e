"""One authority's neighbours in several sets side by side: who joined, left or
moved (``neighbour_changes``), a computed set not written to the store
(``computed_set_rows``), and DfE's 2021 and 2025 sets read from ../shared/data."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from lacompare.analysis.neighbours import (
    computed_set_rows,
    load_neighbour_set,
    neighbour_changes,
)
from lacompare.errors import InputError
from lacompare.store import open_store

LEEDS = "E08000035"


def write_set(path, rows):
    frame = pd.DataFrame(rows, columns=["la_name", "rank", "neighbour_name"])
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def store(tmp_path):
    s = open_store(":memory:")
    old = [
        ("Leeds", 1, "Sheffield"),
        ("Leeds", 2, "Bradford"),
        ("Leeds", 3, "Wakefield"),
        ("Leeds", 4, "Bristol, City of"),
    ]
    new = [
        ("Leeds", 1, "Bradford"),
        ("Leeds", 2, "Sheffield"),
        ("Leeds", 3, "Wakefield"),
        ("Leeds", 4, "Kirklees"),
    ]
    load_neighbour_set(s, write_set(tmp_path / "a.csv", old), "old", valid_for="2021")
    load_neighbour_set(s, write_set(tmp_path / "b.csv", new), "new", valid_for="2025")
    yield s
    s.close()


def test_changes_name_who_joined_left_and_moved(store):
    c = neighbour_changes(store, "leeds")
    assert (c.la_code, c.la_name) == (LEEDS, "Leeds")
    assert list(c.table.columns) == [
        "neighbour_code",
        "neighbour_name",
        "neighbour_region",
        "old",
        "new",
    ]
    # Ordered by the newer set's rank; the one that left comes last.
    assert c.table["neighbour_name"].tolist() == [
        "Bradford",
        "Sheffield",
        "Wakefield",
        "Kirklees",
        "Bristol, City of",
    ]
    change = c.changes.set_index("neighbour_name")["change"].to_dict()
    assert change == {
        "Bradford": "closer",
        "Sheffield": "further",
        "Wakefield": "same",
        "Kirklees": "joined",
        "Bristol, City of": "left",
    }
    places = c.changes.set_index("neighbour_name")["places"]
    assert places["Bradford"] == 1 and places["Sheffield"] == -1
    (pair,) = c.pair_summary()
    assert pair["shared"] == 3
    assert pair["joined"] == ["Kirklees"] and pair["left"] == ["Bristol, City of"]
    assert pair["moved"] == ["Bradford 2→1", "Sheffield 1→2"]
    # Names with commas are listed with semicolons, never ambiguously.
    assert "left: Bristol, City of." in c.summary_lines()[0]


def test_sets_in_the_order_asked_and_unknown_ones_refused(store):
    c = neighbour_changes(store, LEEDS, ["new", "old"])
    assert list(c.table.columns[3:]) == ["new", "old"]
    assert set(c.changes["change"]) >= {"joined", "left"}
    assert c.changes.set_index("neighbour_name").at["Kirklees", "change"] == "left"
    with pytest.raises(InputError, match="no neighbour set 'nope'"):
        neighbour_changes(store, LEEDS, ["old", "nope"])


def test_an_authority_missing_from_a_set_is_said(store):
    # Sheffield is a neighbour in both sets but has no neighbours of its own.
    with pytest.raises(InputError, match=r"Sheffield \(E08000039\) has no neigh"):
        neighbour_changes(store, "Sheffield")
    with pytest.raises(InputError, match="Leedz"):
        neighbour_changes(store, "Leedz")


def test_an_authority_in_one_set_only_has_a_note(tmp_path):
    s = open_store(":memory:")
    load_neighbour_set(
        s, write_set(tmp_path / "a.csv", [("Leeds", 1, "York")]), "a", valid_for="2025"
    )
    load_neighbour_set(
        s,
        write_set(tmp_path / "b.csv", [("York", 1, "Leeds")]),
        "b",
        valid_for="2025",
    )
    c = neighbour_changes(s, "Leeds")
    assert c.sets["present"].tolist() == [True, False]
    assert "Leeds is not in b" in c.sets["note"].iloc[1]
    assert c.changes.empty
    assert any(line.startswith("b: Leeds is not in b") for line in c.summary_lines())


def test_computed_set_is_nearest_by_z_scores_and_not_stored():
    s = open_store(":memory:")
    codes = ["E06000001", "E06000002", "E06000003", "E06000004"]
    values = [1.0, 2.0, 10.0, 11.5]
    s.write_cells(
        [
            {"la_code": c, "measure": "v", "period": "2024", "value": v}
            for c, v in zip(codes, values, strict=True)
        ],
        file="f",
    )
    got = computed_set_rows(s, ["v"], k=1)
    nearest = dict(zip(got.rows["la_code"], got.rows["neighbour_code"], strict=True))
    assert nearest == {
        "E06000001": "E06000002",
        "E06000002": "E06000001",
        "E06000003": "E06000004",
        "E06000004": "E06000003",
    }
    assert "v" in got.label and got.method == "computed"
    assert s.query("SELECT count(*) AS n FROM neighbour_sets")["n"].iloc[0] == 0
    c = neighbour_changes(s, "Hartlepool", [], extra=[got])
    assert c.table["neighbour_name"].tolist() == ["Middlesbrough"]


@pytest.mark.shared
def test_dfe_2021_and_2025_for_leeds_as_published(shared_data):
    """Leeds' two DfE sets as the published files list them (DfE codes 383)."""
    folder = shared_data / "stat_neighbours"

    def published(name: str) -> list[str]:
        with (folder / name).open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        row = next(r for r in rows[1:] if r[0] == "383")
        first = 5 if name.startswith("New_") else 4
        return [row[first + 2 * i] for i in range(10)]

    s = open_store(":memory:")
    load_neighbour_set(s, "dfe-2021", "dfe-2021", valid_for="2021-22")
    load_neighbour_set(s, "dfe-2025", "dfe-2025", valid_for="2025-26")
    c = neighbour_changes(s, "Leeds")
    dfe = s.query("SELECT la_code, dfe_code FROM authorities").dropna()
    to_dfe = dict(zip(dfe["la_code"], dfe["dfe_code"].astype(str), strict=True))
    for set_id, name in (
        ("dfe-2021", "New_Statistical_Neighbour_Groupings_April_2021.csv"),
        ("dfe-2025", "sn_model_2025_wide.csv"),
    ):
        ranked = c.table.dropna(subset=[set_id]).sort_values(set_id)
        assert ranked["neighbour_code"].map(to_dfe).tolist() == published(name)
    joined = c.changes[c.changes["change"] == "joined"]
    assert set(joined["neighbour_code"].map(to_dfe)) == set(
        published("sn_model_2025_wide.csv")
    ) - set(published("New_Statistical_Neighbour_Groupings_April_2021.csv"))


def test_cli_changes_prints_the_side_by_side_table_and_the_changes(tmp_path):
    from typer.testing import CliRunner

    from lacompare.cli import app

    db = tmp_path / "s.duckdb"
    with open_store(db) as s:
        old = [("Leeds", 1, "Sheffield"), ("Leeds", 2, "Bradford")]
        new = [("Leeds", 1, "Bradford"), ("Leeds", 2, "Kirklees")]
        load_neighbour_set(s, write_set(tmp_path / "a.csv", old), "old", "x", "2021")
        load_neighbour_set(s, write_set(tmp_path / "b.csv", new), "new", "y", "2025")
    run = CliRunner().invoke(
        app, ["neighbours", "changes", "Leeds", "--no-computed", "--db", str(db)]
    )
    assert run.exit_code == 0, run.output
    assert "Leeds: rank in each neighbour set" in run.output
    assert "old → new: 1 in both. joined: Kirklees. left: Sheffield." in run.output
    run = CliRunner().invoke(
        app,
        ["neighbours", "changes", "Leeds", "--no-computed", "--db", str(db)]
        + ["--format", "csv"],
    )
    assert run.exit_code == 0, run.output
    rows = list(csv.DictReader(run.output.splitlines()))
    assert {r["neighbour_name"]: r["change"] for r in rows} == {
        "Bradford": "closer",
        "Kirklees": "joined",
        "Sheffield": "left",
    }
    run = CliRunner().invoke(app, ["neighbours", "changes", "Nowhere", "--db", str(db)])
    assert run.exit_code != 0 and "Traceback" not in run.output


def test_a_computed_set_that_cannot_be_computed_is_said(store):
    """A store without the default recipe's measures: the DfE-style sets are
    compared and the computed one is listed as not computed, with the reason."""
    c = neighbour_changes(store, "Leeds", add_computed=True)
    assert c.sets["set_id"].tolist() == ["old", "new", "computed"]
    row = c.sets.iloc[-1]
    assert not row["present"]
    assert row["note"].startswith("not computed: ")
    assert "iod2025_idaci_average_score" in row["note"]
    assert "computed" not in c.table.columns or c.table["computed"].isna().all()
