"""Snapshot values, extracts, thresholds, the synthetic generator and the CLI."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from lacompare.cli import app
from lacompare.errors import InputError
from lacompare.snapshot import (
    derive_snapshot_change,
    generate_extract,
    load_extract,
    load_snapshot,
    read_extract,
    read_snapshot_values,
    read_thresholds,
    summarise_extract,
    summarise_snapshot,
)

runner = CliRunner()


def test_bad_value_names_file_row_and_column(write, store) -> None:
    path = write(
        "s.csv",
        "date,measure,value\n2024-10-04,open_cases[CP],415\n"
        "2024-10-04,open_cases[CLA],lots\n",
    )
    with pytest.raises(InputError) as err:
        load_snapshot(store, path, authority="Leicester")
    assert str(err.value) == (
        f"{path}, row 3, column value: cannot read 'lots' as a number"
    )
    # All or nothing: the good first row was not stored either.
    assert len(read_snapshot_values(store)) == 0


def test_unknown_measure_needs_a_unit_and_count_must_be_whole(write, store) -> None:
    path = write("s.csv", "measure,value\nmy_measure,4\n")
    with pytest.raises(
        InputError, match="row 2, column unit: measure 'my_measure' needs a unit"
    ):
        load_snapshot(store, path, authority="Leicester", date="2024-10-04")
    path = write("t.csv", "measure,value\nNo of CLA (all ages),60.5\n")
    with pytest.raises(InputError, match="is not a whole number"):
        load_snapshot(store, path, authority="Leicester", date="2024-10-04")
    path = write("u.csv", "measure,value,unit\nmy_measure,4.25,%\nmy_measure,5,%\n")
    with pytest.raises(InputError, match="row 3, column measure: .* given twice"):
        load_snapshot(store, path, authority="Leicester", date="2024-10-04")


def test_missing_values_keep_their_reason_and_reload_replaces(write, store) -> None:
    path = write(
        "s.csv",
        'measure,value,rounded\nLADO cases open,c,\n"CLA rate (per 10,000)",68.4,no\n',
    )
    first = load_snapshot(store, path, authority="Leicester", date="2024-10-04")
    assert first.issues.counts() == {"missing-value": 1}
    values = read_snapshot_values(store).set_index("measure")
    assert pd.isna(values.loc["open_cases", "value"])
    assert values.loc["open_cases", "missing_reason"] == "suppressed"
    assert values.loc["rate_per_10000", "half_width"] == 0  # given unrounded
    again = load_snapshot(store, path, authority="Leicester", date="2024-10-04")
    assert again.replaced == 2 and len(read_snapshot_values(store)) == 2


def test_change_from_zero_and_missing() -> None:
    base = pd.DataFrame(
        {
            "measure": ["a", "b", "c"],
            "breakdown": "",
            "label": ["A", "B", "C"],
            "unit": "count",
            "value": [5.0, 0.0, 3.0],
            "half_width": 0.0,
            "decimals": 0,
        }
    )
    now = base.assign(value=[6.0, 0.0, None])
    out = derive_snapshot_change(now, base.iloc[:2])
    assert out["pct_text"].tolist() == ["20.0%", "-", ".."]
    assert out["pct_reason"].tolist()[1:] == ["base-zero", "no-value"]


def _extract() -> pd.DataFrame:
    d = dt.date
    rows = [
        # case, child, family, type, team, team_type, worker, start, end
        ("1", "k1", None, "CP", "T1", "CIN", "W1", d(2024, 1, 1), None),
        ("2", "k2", None, "CIN", "T1", "CIN", "W1", d(2024, 1, 1), None),
        ("3", "k3", None, "CLA", "T2", "CIN", "W2", d(2024, 1, 1), None),
        ("4", "k4", None, "CIN", "T2", "CIN", "W2", d(2023, 1, 1), d(2024, 6, 1)),
        ("5", "k5", None, "CIN", "T2", "CIN", None, d(2024, 9, 1), None),
    ]
    rows += [
        (
            f"e{i}",
            f"c{i}",
            f"f{i // 3}",
            "EH",
            "C1",
            "EH clusters",
            "E1",
            d(2024, 1, 1),
            None,
        )
        for i in range(27)
    ]
    cols = [
        "case_id",
        "child_id",
        "family_id",
        "case_type",
        "team",
        "team_type",
        "worker",
        "start_date",
        "end_date",
    ]
    return pd.DataFrame(rows, columns=cols).assign(synthetic=False)


def test_extract_counts_rates_and_caseloads() -> None:
    values, log = summarise_extract(_extract(), "2024-10-04", population=2000)
    v = values.set_index(["measure", "breakdown"])["value"]
    assert v[("open_cases", "CIN")] == 4  # CIN + CP + CLA, k4 closed
    assert v[("open_cases", "CP")] == 1 and v[("rate_per_10000", "CP")] == 5.0
    assert v[("caseload_highest", "CIN")] == 2 and v[("caseload_lowest", "CIN")] == 1
    assert v[("team_caseload_highest", "CIN")] == 2
    assert v[("workers_over_threshold", "CIN")] == 0
    # EH clusters: 27 individuals (over 25) in 9 families (over 8).
    assert v[("caseload_highest", "EH clusters - individuals")] == 27
    assert v[("workers_over_threshold", "EH clusters - individuals")] == 1
    assert v[("open_cases", "EH clusters - families")] == 9
    assert v[("workers_over_threshold", "EH clusters - families")] == 1
    assert log.counts() == {"unallocated": 1}
    earlier, _ = summarise_extract(_extract(), "2024-05-01", population=2000)
    assert (
        earlier.set_index(["measure", "breakdown"])["value"][("open_cases", "CIN")] == 4
    )  # k4 open then, k5 not yet


def test_thresholds_are_data_with_a_source() -> None:
    from importlib import resources

    text = (
        resources.files("lacompare.snapshot")
        .joinpath("data", "thresholds.csv")
        .read_text()
    )
    assert "Source: Leicester City Council" in text
    assert {(t.breakdown, t.threshold) for t in read_thresholds()} >= {
        ("CIN", 20),
        ("EH clusters - individuals", 25),
        ("EH clusters - families", 8),
    }


def test_synthetic_extract_is_labelled_seeded_and_loads(tmp_path, store) -> None:
    one = generate_extract(seed=3, scale=0.2)
    assert one.equals(generate_extract(seed=3, scale=0.2))
    assert not one.equals(generate_extract(seed=4, scale=0.2))
    assert (one["synthetic"] == "yes").all()
    assert one["case_id"].str.startswith("SYN-").all()
    assert one["worker"].str.startswith("Synthetic worker").all()
    path = tmp_path / "x.csv"
    one.to_csv(path, index=False)
    frame, _, _ = read_extract(path)
    assert frame["synthetic"].all()
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('pop', 'x')")
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, "
        "breakdown,"
        " value, source_id) VALUES ('E06000016', 'population_estimate',"
        " '2023', '', 88000, 1)"
    )
    result = load_extract(
        store, path, authority="Leicester", dates=["2024-07-05", "2024-10-04"]
    )
    assert any("SYNTHETIC" in line for line in result.summary_lines())
    comparison = summarise_snapshot(store, None, "2024-10-04")
    assert comparison.earlier_date == dt.date(2024, 7, 5)
    assert any("SYNTHETIC" in n for n in comparison.notes())
    t = comparison.table.set_index(["measure", "breakdown"])
    cin = t.loc[("open_cases", "CIN")]
    rate = t.loc[("rate_per_10000", "CIN")]
    assert rate["value"] == pytest.approx(cin["value"] / 88000 * 10_000)
    assert rate["half_width"] == 0  # computed: exact, so % change is a point
    assert "to" not in rate["pct_text"]


def test_extract_errors_name_the_row(write) -> None:
    path = write(
        "x.csv",
        "case_id,case_type,team,team_type,worker,start_date\n"
        "1,CIN,T,CIN,W,2024-01-01\n2,XYZ,T,CIN,W,2024-01-01\n",
    )
    with pytest.raises(InputError, match=r"row 3, column case_type: case type 'XYZ'"):
        read_extract(path)


def test_cli_snapshot_load_show_and_errors(write, tmp_path) -> None:
    db = tmp_path / "s.duckdb"
    path = write(
        "s.csv",
        "date,measure,value\n2024-07-05,No of CLA (all ages),623\n"
        "2024-10-04,No of CLA (all ages),602\n",
    )
    done = runner.invoke(
        app,
        ["snapshot", "load", str(path), "--authority", "Leicester", "--db", str(db)],
    )
    assert done.exit_code == 0, done.output
    assert "loaded 2 snapshot values" in done.output
    shown = runner.invoke(
        app, ["snapshot", "--date", "2024-10-04", "--db", str(db), "--format", "csv"]
    )
    assert shown.exit_code == 0, shown.output
    row = shown.output.splitlines()[1].split(",")
    assert row[:2] == ["open_cases", "CLA"] and row[-4:-1] == ["602", "-21", "-3.4%"]
    bad = runner.invoke(app, ["snapshot", "--date", "2024-10-05", "--db", str(db)])
    assert (
        bad.exit_code == 1
        and "no snapshot of E06000016 on 2024-10-05" in bad.output
        and "Traceback" not in bad.output
    )
    out = tmp_path / "syn.csv"
    made = runner.invoke(
        app,
        ["snapshot", "synthetic", "--out", str(out), "--seed", "2", "--months", "6"],
    )
    assert made.exit_code == 0 and "SYNTHETIC" in made.output
    assert out.read_text().startswith("synthetic,case_id")
