"""compare(): rank respects polarity, quartile bands flip with it, z agrees with
scipy, neighbours/region/England come from the right place, funnel limits are exact,
and all authorities at once equals one at a time."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from analysis_cli import save_store, summary_app
from scipy import stats
from typer.testing import CliRunner

from lacompare.analysis import compare, funnel_limits
from lacompare.analysis._funnel import _poisson_quantile
from lacompare.derive import derive_rate
from lacompare.errors import InputError


@pytest.fixture
def north_east(store):
    """The 12 North East authorities with three measures and a neighbour set."""
    codes = [
        r[0]
        for r in store.con.execute(
            "SELECT la_code FROM authorities WHERE region = 'North East' "
            "ORDER BY la_code"
        ).fetchall()
    ]
    rng = np.random.default_rng(7)
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    store.con.execute(
        "INSERT INTO measures (measure, unit, polarity, reference_date) VALUES "
        "('good', '%', 'higher-is-better', NULL), "
        "('bad', '%', 'higher-is-worse', NULL), "
        "('plain', 'persons', 'neutral', NULL), "
        "('cla', 'children', 'neutral', '31 March'), "
        "('pop', 'persons', 'neutral', 'mid-year')"
    )
    rows = []
    for i, la in enumerate(codes):
        rows += [
            (la, "good", "2023", float(i)),
            (la, "good", "2024", float(i + 1)),
            (la, "bad", "2024", float(i)),
            (la, "plain", "2024", float(i)),
            (la, "cla", "2024", float(rng.integers(100, 600))),
            (la, "pop", "2023", float(rng.integers(20000, 60000))),
        ]
    frame = pd.DataFrame(rows, columns=["la_code", "measure", "period", "value"])
    store.con.register("f", frame)
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, value, "
        "source_id) SELECT *, 1 FROM f"
    )
    store.con.unregister("f")
    # A suppressed value, and a neighbour set (each authority's next three).
    store.con.execute(
        "UPDATE observation_cells SET value = NULL, missing_reason = "
        "'suppressed' WHERE la_code = ? AND measure = 'plain'",
        [codes[-1]],
    )
    store.con.execute(
        "INSERT INTO neighbour_sets (set_id, method, valid_for) "
        "VALUES ('old', 'test', '2020'), ('new', 'test', '2024')"
    )
    for k, la in enumerate(codes):
        for r in range(1, 4):
            store.con.execute(
                "INSERT INTO neighbours (set_id, la_code, neighbour_code, rank) "
                "VALUES ('new', ?, ?, ?), ('old', ?, ?, ?)",
                [
                    la,
                    codes[(k + r) % len(codes)],
                    r,
                    la,
                    codes[(k - r) % len(codes)],
                    r,
                ],
            )
    return store, codes


def test_rank_band_and_z(north_east):
    store, codes = north_east
    table = compare(store, None, ["good", "bad"]).table
    for measure, best_first in (("good", -1), ("bad", 1)):
        t = table[table["measure"] == measure].set_index("la_code").loc[codes]
        v = t["value"].to_numpy()
        assert (t["period"] == "2024").all()  # latest period by default
        expected = stats.rankdata(best_first * v, method="min")
        assert t["rank"].astype(int).tolist() == expected.astype(int).tolist()
        assert (t["rank_of"] == 12).all() and (t["rank_order"] == "best").all()
        bands = ["ABCD"[int(np.ceil(4 * r / 12)) - 1] for r in expected]
        assert t["quartile"].tolist() == bands
        np.testing.assert_allclose(t["z"], stats.zscore(v, ddof=1), rtol=1e-9)
    good = table[table["measure"] == "good"].set_index("la_code")
    bad = table[table["measure"] == "bad"].set_index("la_code")
    # the highest value is best for 'good' and worst for 'bad'
    assert (
        good.loc[codes[-1], "quartile"] == "A" and bad.loc[codes[-1], "quartile"] == "D"
    )


def test_neutral_ranks_highest_first_and_missing_is_kept(north_east):
    store, codes = north_east
    t = compare(store, None, "plain").table.set_index("la_code")
    assert t.loc[codes[-2], "rank"] == 1 and t.loc[codes[-2], "rank_order"] == "highest"
    assert t.loc[codes[-1], "missing_reason"] == "suppressed"
    assert pd.isna(t.loc[codes[-1], "rank"]) and t.loc[codes[0], "n"] == 11


def test_one_authority_equals_all_at_once(north_east):
    store, codes = north_east
    every = compare(store, "all", ["good", "bad", "plain"]).table
    one = compare(store, "Darlington", ["good", "bad", "plain"]).table
    darlington = every[every["la_code"] == one["la_code"].iloc[0]].reset_index(
        drop=True
    )
    pd.testing.assert_frame_equal(one, darlington, check_dtype=False)


@pytest.fixture
def three_regions(store):
    """A seeded store: 3 regions' current authorities, 6 measures (each polarity,
    reference dates, ties, two periods), ~10% missing with reasons, one authority
    with values from two sources, published England and region totals for two
    measures, a derived rate, and a neighbour set of 5 nearest by code."""
    codes = [
        r[0]
        for r in store.con.execute(
            "SELECT la_code FROM authorities WHERE valid_to IS NULL AND region IN "
            "('North East', 'North West', 'London') ORDER BY la_code"
        ).fetchall()
    ]
    rng = np.random.default_rng(20240331)
    store.con.execute(
        "INSERT INTO sources (file, sha256) VALUES ('a', 'x'), ('b', 'y')"
    )
    store.con.execute(
        "INSERT INTO measures (measure, unit, polarity, reference_date) VALUES "
        "('up', '%', 'higher-is-better', NULL), "
        "('down', '%', 'higher-is-worse', '31 March'), "
        "('flat', 'count', 'neutral', 'financial year'), "
        "('tied', 'count', 'higher-is-worse', NULL), "
        "('kids', 'children', 'neutral', '31 March'), "
        "('pop', 'persons', 'neutral', 'mid-year')"
    )
    rows = []
    for la in codes:
        for period in ("2023", "2024"):
            for m, v in (
                ("up", rng.normal(60, 10)),
                ("down", rng.normal(20, 5)),
                ("flat", rng.lognormal(5, 1)),
                ("tied", float(rng.integers(0, 4))),
                ("kids", float(rng.integers(50, 900))),
            ):
                gone = rng.random() < 0.1
                rows.append(
                    (
                        la,
                        m,
                        period,
                        None if gone else round(v, 1),
                        rng.choice(["suppressed", "low"]) if gone else None,
                    )
                )
        rows.append((la, "pop", "2023", float(rng.integers(20_000, 90_000)), None))
    frame = pd.DataFrame(
        rows, columns=["la_code", "measure", "period", "value", "missing_reason"]
    )
    store.con.register("f", frame)
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, value, "
        "missing_reason, source_id) SELECT *, 1 FROM f"
    )
    store.con.unregister("f")
    # a later source replaces one authority's value
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, value, "
        "source_id) VALUES (?, 'up', '2024', 99.5, 2)",
        [codes[3]],
    )
    store.con.execute(
        "INSERT INTO totals (area_code, area_name, measure, period, "
        "value, source_id) VALUES "
        "('E92000001', 'England', 'up', '2024', 61.5, 1), "
        "('E12000002', 'North West', 'up', '2024', 58.25, 1), "
        "('E12000007', 'London', 'down', '2024', 18.5, 1)"
    )
    derive_rate(store, "kids", "pop", name="kids_rate")
    store.con.execute(
        "INSERT INTO neighbour_sets (set_id, method, valid_for) "
        "VALUES ('near', 'test', '2024')"
    )
    for k, la in enumerate(codes):
        for r in range(1, 6):
            store.con.execute(
                "INSERT INTO neighbours (set_id, la_code, "
                "neighbour_code, rank) VALUES ('near', ?, ?, ?)",
                [la, codes[(k + r) % len(codes)], r],
            )
    return store, codes


@pytest.mark.parametrize("exclude", [None, ["London"]])
def test_one_authority_equals_all_filtered(three_regions, exclude):
    store, codes = three_regions
    measures = ["up", "down", "flat", "tied", "kids_rate"]
    every = compare(store, "all", measures, exclude=exclude)
    assert len(every.table) == len(codes) * len(measures)
    assert every.table["value"].isna().any()  # missing values are in the test
    assert (every.table["region_source"] == "published").any()
    assert every.table["test"].str.startswith("funnel").any()
    for code in (codes[0], codes[3], codes[len(codes) // 2], codes[-1]):
        one = compare(store, code, measures, exclude=exclude)
        expected = every.table[every.table["la_code"] == code].reset_index(drop=True)
        pd.testing.assert_frame_equal(one.table, expected, rtol=1e-12)
        assert one.neighbour_set == every.neighbour_set == "near"
    pd.testing.assert_frame_equal(
        compare(store, codes[:4], measures, exclude=exclude).table,
        every.table[every.table["la_code"].isin(codes[:4])].reset_index(drop=True),
        rtol=1e-12,
    )
    t = every.table.set_index(["la_code", "measure"])
    assert t.loc[(codes[3], "up"), "value"] == 99.5  # the later source wins


def test_neighbours_mean_and_median(north_east):
    store, codes = north_east
    t = compare(store, codes[0], "good").table.iloc[0]
    assert t["neighbour_set"] == "new"  # the latest set by valid_for
    values = [float(i + 1) for i in (1, 2, 3)]
    assert t["neighbours_n"] == 3
    assert t["neighbours_mean"] == pytest.approx(np.mean(values), rel=1e-12)
    assert t["neighbours_median"] == pytest.approx(np.median(values), rel=1e-12)
    old = compare(store, codes[0], "good", neighbour_set="old").table.iloc[0]
    assert old["neighbours_mean"] == pytest.approx(np.mean([12.0, 11.0, 10.0]))
    with pytest.raises(InputError, match="no neighbour set 'x'"):
        compare(store, codes[0], "good", neighbour_set="x")


def test_region_and_england_published_else_computed(north_east):
    store, codes = north_east
    t = compare(store, codes[0], "good").table.iloc[0]
    assert t["england_source"] == "computed: mean of 12 authorities"
    assert t["england_value"] == pytest.approx(np.mean(np.arange(1, 13)))
    assert t["region_source"] == "computed: mean of 12 authorities"
    store.con.execute(
        "INSERT INTO totals (area_code, area_name, measure, period, "
        "value, source_id) VALUES ('E92000001', 'England', 'good', "
        "'2024', 55.5, 1), ('E12000001', 'North East', 'good', '2024', "
        "6.25, 1)"
    )
    t = compare(store, codes[0], "good").table.iloc[0]
    assert (t["england_value"], t["england_source"]) == (55.5, "published")
    assert (t["region_value"], t["region_source"]) == (6.25, "published")
    t = compare(store, codes[0], "good", against=["england"]).table.iloc[0]
    assert pd.isna(t["region_value"]) and pd.isna(t["neighbours_mean"])


def _exact_limit(theta, n, p):
    """Spiegelhalter's interpolated Poisson limit, one value at a time."""
    lam = theta * n
    y = stats.poisson.ppf(p, lam)
    f_y, f_below = stats.poisson.cdf(y, lam), stats.poisson.cdf(y - 1, lam)
    alpha = (f_y - p) / (f_y - f_below)
    return (y - alpha) / n


def test_funnel_limits_are_exact():
    for n in (700, 20_000, 93_851):
        for p in (0.001, 0.025, 0.975, 0.999):
            got = float(funnel_limits(0.0067, n, p))
            assert got == pytest.approx(_exact_limit(0.0067, n, p), rel=1e-12)
    # the funnel narrows with population, around the target
    widths = [
        float(funnel_limits(0.007, n, 0.975) - funnel_limits(0.007, n, 0.025))
        for n in (1_000, 10_000, 100_000)
    ]
    assert widths[0] > widths[1] > widths[2] > 0
    binom = float(funnel_limits(0.007, 20_000, 0.975, "binomial"))
    assert binom == pytest.approx(float(funnel_limits(0.007, 20_000, 0.975)), rel=0.01)


def test_poisson_funnel_limits_are_scipy_stats_own_without_importing_scipy():
    # compare must start fast (issue 19): scipy.stats takes half a second to
    # import and scipy.special a tenth, so an ordinary mean's quantile is summed
    # here (a huge one still goes to scipy.special); they agree with scipy.stats.
    means = np.concatenate(
        [
            [0, 1e-9, 0.3, 5, 140, 5e4, 99_999.5, 100_001, 3e7, np.nan, -1, np.inf],
            10 ** np.linspace(-3, 7, 400),
        ]
    )
    for p in (0.001, 0.025, 0.975, 0.999):
        dist = stats.poisson(means)
        y = dist.ppf(p)
        got = _poisson_quantile(means, p)
        np.testing.assert_array_equal(got[0], y)
        for have, want in zip(got[1:], (dist.cdf(y), dist.cdf(y - 1)), strict=True):
            np.testing.assert_allclose(have, want, rtol=1e-11, atol=1e-300)
    code = (
        "import sys; from lacompare.analysis import funnel_limits; "
        "funnel_limits([0.007, 0.01], [20000, 300], 0.975); "
        "print(sorted(m for m in ('scipy.stats', 'scipy.special') "
        "if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]"


def test_derived_rate_gets_funnel_flags(north_east):
    store, codes = north_east
    derive_rate(store, "cla", "pop", name="cla_rate")
    table = compare(store, None, "cla_rate").table.set_index("la_code")
    inputs = store.query(
        "SELECT la_code, role, input_value FROM derived_inputs "
        "WHERE measure = 'cla_rate'"
    ).pivot(index="la_code", columns="role", values="input_value")
    england = inputs["numerator"].sum() / inputs["denominator"].sum() * 1e4
    row = table.loc[codes[0]]
    assert row["england_value"] == pytest.approx(england, rel=1e-12)
    assert row["england_source"].startswith("computed: sum of numerators")
    assert row["test"].startswith("funnel limits: exact Poisson")
    n = inputs.loc[codes, "denominator"].to_numpy()
    for col, p in (("lower_95", 0.025), ("upper_998", 0.999)):
        expected = [_exact_limit(england / 1e4, x, p) * 1e4 for x in n]
        np.testing.assert_allclose(table.loc[codes, col], expected, rtol=1e-12)
    v = table.loc[codes, "value"].to_numpy()
    above = v > table.loc[codes, "upper_95"].to_numpy()
    below = v < table.loc[codes, "lower_95"].to_numpy()
    assert (
        table.loc[codes, "flag"].to_numpy()
        == np.select([above, below], ["above", "below"], "within")
    ).all()
    assert set(table["flag_level"].dropna()) <= {"95%", "99.8%"}


def test_z_flag_for_other_measures(store):
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    store.con.execute("INSERT INTO measures (measure) VALUES ('m')")
    # 40 authorities at 0..39 and one far out at 500.
    store.con.execute("""INSERT INTO observation_cells (la_code, measure, period, value,
                         source_id)
                         SELECT la_code, 'm', '2024',
                                CASE WHEN la_code = 'E06000001' THEN 500
                                     ELSE row_number() OVER (ORDER BY la_code) END, 1
                         FROM (SELECT la_code FROM authorities WHERE valid_to IS NULL
                               ORDER BY la_code LIMIT 41)""")
    t = compare(store, "E06000001", "m").table.iloc[0]
    assert t["z"] > Z998() and t["flag"] == "above" and t["flag_level"] == "99.8%"
    assert t["test"] == "|z| > 1.96 (95%) / 3.09 (99.8%) against 41 authorities"


def Z998():
    return stats.norm.ppf(0.999)


def test_exclude_from_distribution(north_east):
    store, codes = north_east
    t = compare(store, codes[0], "good", exclude=[codes[-1]])
    assert t.table.iloc[0]["n"] == 11
    assert t.excluded["la_code"].tolist() == [codes[-1]]


def test_bad_requests(north_east):
    store, _ = north_east
    with pytest.raises(InputError, match="no authority 'Atlantis'"):
        compare(store, "Atlantis", "good")
    with pytest.raises(InputError, match="no measure 'goood'"):
        compare(store, "Darlington", "goood")
    with pytest.raises(InputError, match="cannot compare against"):
        compare(store, "Darlington", "good", against=["planets"])


# --- the compare command -------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    return summary_app()


@pytest.fixture
def db(north_east, tmp_path):
    return save_store(north_east[0], tmp_path)


def test_compare_help(app):
    result = runner.invoke(app, ["compare", "--help"])
    assert result.exit_code == 0
    assert "Example: lacompare compare" in " ".join(result.output.split())


def test_compare_csv_and_table(app, db):
    result = runner.invoke(
        app,
        [
            "compare",
            "Darlington",
            "--measures",
            "good,bad",
            "--db",
            str(db),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("la_code,la_name,measure,")
    assert sum(line.startswith("E06000005,Darlington,") for line in lines) == 2
    result = runner.invoke(
        app, ["compare", "Darlington", "--measures", "good,bad", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "Darlington compared (neighbours: new)" in result.output
    assert "test: |z| > 1.96 (95%) / 3.09 (99.8%)" in result.output


def test_compare_unknown_authority_is_one_line(app, db):
    result = runner.invoke(
        app, ["compare", "Atlantis", "--measures", "good", "--db", str(db)]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no authority 'Atlantis'" in lines[0]


def test_breakdown_must_exist_and_may_be_named_by_part(store, write):
    from lacompare.store._ingest import ingest

    text = (
        "time_period,time_identifier,geographic_level,country_code,country_name,"
        "region_code,region_name,old_la_code,new_la_code,la_name,kind,rate\n"
        + "".join(
            f"2024,Reporting year,Local authority,E92000001,England,"
            f"E12000001,North East,{d},{c},{n},{k},{v}\n"
            for d, c, n in (
                ("805", "E06000001", "Hartlepool"),
                ("806", "E06000002", "Middlesbrough"),
            )
            for k, v in (("At 31 March", 10), ("Started", 3))
        )
    )
    ingest(store, write("e.csv", text))
    with pytest.raises(InputError, match="has no breakdown ''.*kind=At 31 March"):
        compare(store, "Hartlepool", ["rate"])
    result = compare(store, "Hartlepool", ["rate"], breakdown="31 March")
    assert result.table["value"].tolist() == [10.0]


def test_compare_stays_the_function_after_other_modules_load():
    # A submodule named like the function would replace it on the package once
    # imported (the web app and the profile report import the analysis modules).
    import lacompare
    import lacompare.analysis
    import lacompare.report._profile  # noqa: F401

    assert callable(lacompare.analysis.compare)
    assert lacompare.analysis.compare is lacompare.compare
