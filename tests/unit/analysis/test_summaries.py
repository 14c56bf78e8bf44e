"""Group summaries: statistics agree with numpy to 1e-9; London splits Inner/Outer;
exclusions and missing authorities are listed with reasons; the demo's SENDIAS
regional rows are reproduced; the ``summary`` command prints CSV and tables."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from analysis_cli import save_store, summary_app
from typer.testing import CliRunner

from lacompare.analysis import REGION_ORDER, summarise, summarise_by_group
from lacompare.errors import InputError
from lacompare.store import open_store

#: authority → (london_region or region, values 2013…2017; None = suppressed)
DATA = {
    "E06000001": ("North East", [90, 95, 100, 104, 110]),  # Hartlepool
    "E06000002": ("North East", [100, 102, None, 98, 97]),  # Middlesbrough
    "E06000003": ("North East", [70, 71, 73, 75, 80]),  # Redcar
    "E09000007": ("Inner London", [60, 58, 55, 53, 50]),  # Camden
    "E09000019": ("Inner London", [80, 86, 85, 84, 83]),  # Islington
    "E09000001": ("Inner London", [98, 100, 115, 108, 109]),  # City of London
    "E09000003": ("Outer London", [36, 35, 35, 36, 37]),  # Barnet
    "E09000005": ("Outer London", [None, None, None, None, None]),  # Brent
    "E06000052": ("South West", [40, 41, 42, 44, 43]),  # Cornwall
    "E06000053": ("South West", [0, 0, 0, 0, 0]),  # Isles of Scilly
}
POP = {
    "E06000001": 20000,
    "E06000002": 32000,
    "E06000003": 26000,
    "E09000007": 40000,
    "E09000019": 37000,
    "E09000001": 700,
    "E09000003": 90000,
    "E09000005": 80000,
    "E06000052": 105000,
    "E06000053": 400,
}
YEARS = ["2013", "2014", "2015", "2016", "2017"]


@pytest.fixture
def rates(store):
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    store.con.execute(
        "INSERT INTO measures (measure, unit, reference_date) VALUES "
        "('rate', 'per 10,000', '31 March'), "
        "('pop', 'persons', 'mid-year')"
    )
    for la, (_, values) in DATA.items():
        for year, value in zip(YEARS, values, strict=True):
            store.con.execute(
                "INSERT INTO observation_cells (la_code, measure, period, value, "
                "missing_reason, source_id) VALUES (?, 'rate', ?, ?, ?, 1)",
                [la, year, value, None if value is not None else "suppressed"],
            )
        for year in ("2012", "2013", "2014", "2015", "2016"):
            store.con.execute(
                "INSERT INTO observation_cells (la_code, measure, period, value, "
                "source_id) VALUES (?, 'pop', ?, ?, 1)",
                [la, year, POP[la]],
            )
    return store


def _expected(groups, exclude=()):
    """numpy statistics of each authority's mean, by group."""
    out = {}
    for la, (group, values) in DATA.items():
        if la in exclude:
            continue
        v = [x for x in values if x is not None]
        if v:
            out.setdefault(group, []).append(np.mean(v))
            out.setdefault("England", []).append(np.mean(v))
    return {g: np.array(v) for g, v in out.items() if g in groups}


def test_statistics_agree_with_numpy(rates):
    result = summarise(rates, "rate", by="london_region", periods="2013:2017")
    table = result.table.set_index("region")
    expected = _expected(set(table.index))
    for group, v in expected.items():
        row = table.loc[group]
        assert row["n"] == len(v)
        assert row["mean"] == pytest.approx(v.mean(), rel=1e-9)
        assert row["median"] == pytest.approx(np.median(v), rel=1e-9)
        if len(v) > 1:
            assert row["sd"] == pytest.approx(v.std(ddof=1), rel=1e-9)
        else:
            assert math.isnan(row["sd"])
        assert row["min"] == v.min() and row["max"] == v.max()
        assert row["range"] == pytest.approx(v.max() - v.min(), rel=1e-12)
        assert row["q1"] == pytest.approx(np.quantile(v, 0.25), rel=1e-9)
        assert row["q3"] == pytest.approx(np.quantile(v, 0.75), rel=1e-9)


def test_table_shape_and_order(rates):
    result = summarise(rates, "rate", by="london_region", periods="2013:2017")
    assert list(result.table.columns) == [
        "region",
        "n",
        "missing",
        "mean",
        "median",
        "sd",
        "min",
        "max",
        "range",
        "q1",
        "q3",
    ]
    regions = result.table["region"].tolist()
    assert regions == [
        "North East",
        "Inner London",
        "Outer London",
        "South West",
        "England",
    ]
    assert [r for r in REGION_ORDER if r in regions] == regions[:-1]
    # Brent has rows but every value is suppressed: missing, and listed
    outer = result.table.set_index("region").loc["Outer London"]
    assert (outer["n"], outer["missing"]) == (1, 1)
    brent = result.excluded.set_index("la_code").loc["E09000005"]
    assert brent["reason"] == "no value: input-suppressed"


def test_region_grouping_keeps_london_whole(rates):
    table = summarise(rates, "rate", periods="2013:2017").table.set_index("region")
    assert "London" in table.index and "Inner London" not in table.index
    assert table.loc["London", "n"] == 4


def test_exclude_by_name_code_and_region(rates):
    result = summarise(
        rates,
        "rate",
        by="london_region",
        periods="2013:2017",
        exclude=["Isles of Scilly", "201"],
    )
    table = result.table.set_index("region")
    expected = _expected(set(table.index), exclude={"E06000053", "E09000001"})
    assert table.loc["England", "n"] == len(expected["England"])
    assert table.loc["England", "mean"] == pytest.approx(
        expected["England"].mean(), rel=1e-9
    )
    reasons = dict(
        zip(result.excluded["la_name"], result.excluded["reason"], strict=True)
    )
    assert reasons["Isles of Scilly"] == "excluded by user: Isles of Scilly"
    assert reasons["City of London"] == "excluded by user: 201"
    without_london = summarise(
        rates, "rate", periods="2013:2017", exclude=["London"]
    ).table
    assert "London" not in set(without_london["region"])
    with pytest.raises(InputError, match="cannot exclude 'Atlantis'"):
        summarise(rates, "rate", exclude=["Atlantis"])


def test_other_groupings(rates):
    by_type = summarise(rates, "rate", by="la_type", periods="2013:2017").table
    assert set(by_type["region"]) == {"unitary", "London borough", "England"}
    by_code = summarise(rates, "rate", by="region_code", periods="2013:2017").table
    assert "E12000001" in set(by_code["region"])
    with pytest.raises(InputError, match="cannot group by 'colour'"):
        summarise(rates, "rate", by="colour")


def test_per_authority_change_and_latest(rates):
    change = summarise(rates, "rate", periods="2013:2017", per_la="change")
    values = change.values.set_index("la_code")["value"]
    assert values["E06000001"] == pytest.approx(
        np.mean(np.diff([90, 95, 100, 104, 110]))
    )
    latest = summarise(rates, "rate", periods="2013:2016", per_la="latest")
    assert latest.values.set_index("la_code").loc["E06000001", "value"] == 104
    assert latest.periods == {"rate": ["2013", "2014", "2015", "2016"]}


def test_weighted_mean(rates):
    result = summarise(
        rates, "rate", by="london_region", periods="2013:2017", weights="pop"
    )
    table = result.table.set_index("region")
    v = np.array(
        [np.mean(DATA[la][1]) for la in ("E06000001", "E06000003")]
        + [np.mean([100, 102, 98, 97])]
    )
    w = np.array([POP["E06000001"], POP["E06000003"], POP["E06000002"]])
    assert table.loc["North East", "weighted_mean"] == pytest.approx(
        np.average(v, weights=w), rel=1e-9
    )
    assert table.loc["North East", "weighted_n"] == 3


def test_authorities_that_did_not_exist_are_not_missing(store):
    # North Northamptonshire (from 2021) with a blank row in 2019: not 'missing'.
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    store.con.execute("INSERT INTO measures (measure) VALUES ('m')")
    store.con.execute("""INSERT INTO observation_cells (la_code, measure, period, value,
                         missing_reason, source_id) VALUES
                         ('E06000061', 'm', '2019', NULL, 'not-applicable', 1),
                         ('E10000021', 'm', '2019', 50, NULL, 1)""")
    result = summarise(store, "m", periods="2019:2019")
    row = result.table.set_index("region").loc["East Midlands"]
    assert (row["n"], row["missing"]) == (1, 0)
    assert result.excluded["reason"].tolist() == ["did not exist in 2019:2019"]


def test_several_measures(rates):
    table = summarise(rates, ["rate", "pop"], periods=None).table
    assert list(table.columns[:3]) == ["region", "measure", "n"]
    assert table["measure"].tolist()[0] == "rate"


def test_pooled_wrapper_counts_every_value(rates):
    legacy = summarise_by_group(rates, ["rate"], by="london_region")
    assert list(legacy.columns) == [
        "region",
        "measure",
        "n",
        "missing",
        "mean",
        "median",
        "sd",
        "min",
        "max",
    ]
    row = legacy.set_index("region").loc["North East"]
    pooled = [
        x
        for la in ("E06000001", "E06000002", "E06000003")
        for x in DATA[la][1]
        if x is not None
    ]
    assert (row["n"], row["missing"]) == (len(pooled), 1)
    assert row["mean"] == pytest.approx(np.mean(pooled), rel=1e-9)


# --- the SENDIAS demo's regional rows ------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from lacompare.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo"))


def test_demo_regional_rows_reproduced(demo):
    """summarise() gives the demo's regional_summary.csv rows for funding per head
    (the SENDIAS report's regional table), region by region."""
    with demo.regional_summary.open() as fh:
        written = [r for r in csv.DictReader(fh) if r["measure"] == "per_head_2021"]
    with open_store(demo.db, read_only=True) as store:
        ours = summarise(store, "per_head_2021", by="region").table.set_index("region")
    assert [r["region"] for r in written] == ours.index.tolist()
    for row in written:
        got = ours.loc[row["region"]]
        assert got["n"] == int(row["n"])
        for col in ("mean", "median", "min", "max"):
            assert got[col] == pytest.approx(float(row[col]), rel=1e-12)
        if row["sd"]:
            assert got["sd"] == pytest.approx(float(row["sd"]), rel=1e-12)


# --- the summary command -------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    return summary_app()


@pytest.fixture
def db(rates, tmp_path):
    return save_store(rates, tmp_path)


def test_summary_help(app):
    result = runner.invoke(app, ["summary", "--help"])
    assert result.exit_code == 0
    assert "Example: lacompare summary" in " ".join(result.output.split())


def test_summary_csv(app, db):
    result = runner.invoke(
        app,
        [
            "summary",
            "rate",
            "--by",
            "london_region",
            "--periods",
            "2013:2017",
            "--per-la",
            "mean",
            "--exclude",
            "Isles of Scilly",
            "--db",
            str(db),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    rows = list(
        csv.DictReader(
            io.StringIO(
                text[: text.index("rate: per-authority")]
                if "rate: per-authority" in text
                else text
            )
        )
    )
    assert list(rows[0])[:11] == [
        "region",
        "n",
        "missing",
        "mean",
        "median",
        "sd",
        "min",
        "max",
        "range",
        "q1",
        "q3",
    ]
    england = [r for r in rows if r["region"] == "England"][0]
    assert int(england["n"]) == 8


def test_summary_table(app, db):
    result = runner.invoke(
        app,
        [
            "summary",
            "rate",
            "--by",
            "london_region",
            "--periods",
            "2013:2017",
            "--exclude",
            "Isles of Scilly",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Inner London" in result.output and "England" in result.output
    assert (
        "left out (excluded by user: Isles of Scilly): Isles of Scilly" in result.output
    )


def test_summary_bad_measure_is_one_line(app, db):
    result = runner.invoke(app, ["summary", "nope", "--db", str(db)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
