"""One way to name a variable, ``measure[breakdown]@period``, for models, correlate
and test: each measure of a test may have its own breakdown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from lacompare.analysis._variables import Variable, parse_variable, split_variables
from lacompare.analysis.models import fit_regression
from lacompare.analysis.significance import (
    correlate,
    correlation_matrix,
    kruskal,
    mann_whitney,
    read_la_values,
)
from lacompare.errors import InputError

TOL = {"rtol": 1e-9, "atol": 1e-12}
MARCH = "31 March"
STARTING = "starting, all ages"  # a comma inside the brackets


def put(store, rows):
    """Insert (la_code, measure, period, breakdown, value) rows."""
    if not store.con.execute("SELECT count(*) FROM sources").fetchall()[0][0]:
        store.con.execute("INSERT INTO sources (file, sha256) VALUES ('t.csv', 'x')")
    frame = pd.DataFrame(
        rows, columns=["la_code", "measure", "period", "breakdown", "value"]
    ).astype({"value": float})
    store.con.register("_t", frame)
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, breakdown, value, "
        "source_id) SELECT la_code, measure, period, breakdown, value, 1 FROM _t"
    )
    store.con.unregister("_t")


def fill(store):
    """A CLA-like rate under two breakdowns (two periods) and IDACI with none."""
    codes = [
        r[0]
        for r in store.con.execute(
            "SELECT la_code FROM authorities WHERE valid_to IS NULL ORDER BY la_code"
        ).fetchall()
    ]
    rng = np.random.default_rng(11)
    idaci = rng.uniform(0.05, 0.4, len(codes))
    march = 40 + 200 * idaci + rng.normal(0, 12, len(codes))
    starting = 10 + 30 * idaci + rng.normal(0, 6, len(codes))
    rows = [(c, "idaci", "2019", "", v) for c, v in zip(codes, idaci, strict=True)]
    for period, shift in (("2023", -5.0), ("2024", 0.0)):
        rows += [
            (c, "rate", period, MARCH, v + shift)
            for c, v in zip(codes, march, strict=True)
        ]
        rows += [
            (c, "rate", period, STARTING, v + shift)
            for c, v in zip(codes[:-3], starting[:-3], strict=True)
        ]  # 3 gaps
    put(store, rows)
    return store


@pytest.fixture
def rates(store):
    return fill(store)


def pairs(store, x, y, **kw):
    v = read_la_values(store, [x, y], **kw).values.dropna()
    return v.iloc[:, 0].to_numpy(), v.iloc[:, 1].to_numpy()


# ----------------------------------------------------------------- the grammar


@pytest.mark.parametrize(
    "text,expected",
    [
        ("rate", ("rate", None, None)),
        (" rate [31 March] ", ("rate", "31 March", None)),
        ("rate[]", ("rate", "", None)),
        ("rate@2013:2017", ("rate", None, "2013:2017")),
        ("rate[age=0-4, sex=all] @ 2024-25", ("rate", "age=0-4, sex=all", "2024-25")),
    ],
)
def test_parse_variable(text, expected):
    var = parse_variable(text)
    assert tuple(var) == expected
    # The canonical spelling reads back as the same variable.
    assert parse_variable(var.name) == var


@pytest.mark.parametrize("bad", ["", "[31 March]", "rate[31 March", "@2024"])
def test_unreadable_variables_are_errors(bad):
    with pytest.raises(InputError, match="measure\\[breakdown\\]@period"):
        parse_variable(bad)


def test_split_keeps_commas_inside_brackets():
    assert split_variables(f"idaci, rate[{STARTING}]@2024,rate") == [
        "idaci",
        f"rate[{STARTING}]@2024",
        "rate",
    ]


def test_models_and_tests_read_the_same_variable(rates):
    # One factor: OLS R² is Pearson's r², so both read the same authorities' values.
    ols = fit_regression(rates, f"rate[{MARCH}]", ["idaci"])
    r = correlate(rates, f"rate[{MARCH}]", "idaci", "pearson")
    assert ols.n == r.n == 153
    assert ols.r2 == pytest.approx(r.r**2, rel=1e-12)
    assert Variable("rate", MARCH, None).name == r.x == "rate[31 March]"


# ------------------------------------------------------- correlate, per breakdown


def test_correlate_a_rate_with_a_breakdown_against_idaci(rates):
    res = correlate(rates, f"rate[{MARCH}]", "idaci")
    x, y = pairs(rates, f"rate[{MARCH}]", "idaci")
    ref = stats.spearmanr(x, y)
    assert (res.x, res.y, res.n) == ("rate[31 March]", "idaci", len(x))
    np.testing.assert_allclose([res.r, res.p], [ref.statistic, ref.pvalue], **TOL)
    assert res.breakdowns == {"rate[31 March]": MARCH, "idaci": ""}
    assert res.periods == {"rate[31 March]": ["2024"], "idaci": ["2019"]}
    row = res.to_frame().iloc[0]
    assert (row["x_breakdown"], row["y_breakdown"]) == (MARCH, "")
    assert list(res.data.columns[-2:]) == ["rate[31 March]", "idaci"]


def test_one_breakdown_for_both_measures_cannot_pair_them(rates):
    # The old way: one breakdown for both; the rate has no total, IDACI only one.
    with pytest.raises(InputError, match=r"choose one as rate\[breakdown\]"):
        correlate(rates, "rate", "idaci")
    with pytest.raises(
        InputError, match="'idaci' has no values with breakdown '31 March'"
    ):
        correlate(rates, "rate", "idaci", breakdown=MARCH)


def test_breakdown_is_the_default_for_measures_that_name_none(rates):
    named = correlate(rates, f"rate[{MARCH}]", "idaci")
    default = correlate(rates, "rate", "idaci[]", breakdown=MARCH)
    assert (default.r, default.n) == (named.r, named.n)
    assert default.x == "rate" and default.breakdowns["rate"] == MARCH
    # An explicit breakdown beats the default.
    other = correlate(rates, f"rate[{STARTING}]", "idaci[]", breakdown=MARCH)
    assert other.n == named.n - 3 and other.r != named.r


def test_one_measure_under_two_breakdowns(rates):
    res = correlate(rates, f"rate[{MARCH}]", f"rate[{STARTING}]", "pearson")
    x, y = pairs(rates, f"rate[{MARCH}]", f"rate[{STARTING}]")
    ref = stats.pearsonr(x, y)
    assert res.n == len(x) == 150
    np.testing.assert_allclose(res.r, ref.statistic, **TOL)
    gaps = res.excluded["reason"].str.contains(
        f"no value for rate\\[{STARTING}\\]", regex=True
    )
    assert gaps.sum() == 3
    with pytest.raises(InputError, match="same variable"):
        correlate(rates, f"rate[{MARCH}]", f" rate [{MARCH}]")


def test_a_variable_may_name_its_period(rates):
    res = correlate(rates, f"rate[{MARCH}]@2023", "idaci", "pearson")
    assert res.periods[f"rate[{MARCH}]@2023"] == ["2023"]
    latest = correlate(rates, f"rate[{MARCH}]", "idaci", "pearson")
    # 2023 is the 2024 value less 5 everywhere: the same r, other values.
    assert res.r == pytest.approx(latest.r, rel=1e-12)
    assert (res.data.iloc[:, -2] + 5).tolist() == pytest.approx(
        latest.data.iloc[:, -2].tolist()
    )
    # A period mapping keyed by measure id reaches every variable of that measure.
    both = read_la_values(
        rates, [f"rate[{MARCH}]", f"rate[{STARTING}]"], period={"rate": "2023"}
    )
    assert both.periods == {f"rate[{MARCH}]": ["2023"], f"rate[{STARTING}]": ["2023"]}
    with pytest.raises(InputError, match="not asked about: spend"):
        read_la_values(rates, [f"rate[{MARCH}]"], period={"spend": "2023"})


def test_matrix_columns_are_the_variables(rates):
    m = correlation_matrix(rates, [f"rate[{MARCH}]", f"rate[{STARTING}]", "idaci"])
    assert list(m.r.columns) == [f"rate[{MARCH}]", f"rate[{STARTING}]", "idaci"]
    assert m.n.loc[f"rate[{MARCH}]", "idaci"] == 153
    assert m.n.loc[f"rate[{STARTING}]", "idaci"] == 150


# --------------------------------------------------------- test, per breakdown


def test_mann_whitney_and_kruskal_take_a_breakdown(rates):
    spec = f"rate[{STARTING}]"
    v = read_la_values(rates, [spec]).values[spec].dropna()
    region = (
        rates.query("SELECT la_code, region FROM authorities")
        .set_index("la_code")["region"]
        .reindex(v.index)
    )
    mw = mann_whitney(rates, spec, "region:London")
    ref = stats.mannwhitneyu(v[region == "London"], v[region != "London"])
    assert mw.measure == spec and mw.n == len(v) == 150
    np.testing.assert_allclose([mw.u, mw.p], [ref.statistic, ref.pvalue], **TOL)
    assert spec in mw.data.columns
    kw = kruskal(rates, "rate", by="region", breakdown=STARTING)
    names = sorted(region.unique())
    ref = stats.kruskal(*[v[region == g] for g in names])
    np.testing.assert_allclose([kw.h, kw.p], [ref.statistic, ref.pvalue], **TOL)
    assert kw.n == 150 and len(kw.excluded) == 3


def test_a_grouping_measure_takes_its_own_breakdown(rates):
    codes = [
        r[0]
        for r in rates.con.execute(
            "SELECT la_code FROM authorities WHERE valid_to IS NULL ORDER BY la_code"
        ).fetchall()
    ]
    put(
        rates,
        [(c, "flag", "2024", "funded", float(i % 2)) for i, c in enumerate(codes)],
    )
    res = mann_whitney(rates, f"rate[{MARCH}]", "flag[funded]")
    assert res.groups == ("1", "0") and res.n == 153
    with pytest.raises(InputError, match="choose one as flag\\[breakdown\\]"):
        mann_whitney(rates, f"rate[{MARCH}]", "flag")


# ------------------------------------------------------------------------ CLI


@pytest.fixture
def db(tmp_path):
    from lacompare.store import open_store

    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        fill(store)
    return path


def invoke(*args):
    from lacompare.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_correlate_per_measure_breakdowns(db, rates):
    out = invoke("correlate", f"rate[{MARCH}]", "idaci", "--format", "csv", "--db", db)
    assert out.exit_code == 0, out.output
    row = pd.read_csv(pd.io.common.StringIO(out.output)).iloc[0]
    expected = correlate(rates, f"rate[{MARCH}]", "idaci")
    assert (row["x"], row["x_breakdown"], row["n"]) == ("rate[31 March]", MARCH, 153)
    assert row["r"] == pytest.approx(expected.r, rel=1e-12)
    out = invoke("correlate", "rate", "idaci[]", "--breakdown", MARCH, "--db", db)
    assert out.exit_code == 0, out.output
    assert f"n = {expected.n}" in out.output
    # Several variables, commas inside brackets kept.
    out = invoke(
        "correlate",
        f"rate[{MARCH}],rate[{STARTING}]",
        "idaci",
        "--format",
        "csv",
        "--db",
        db,
    )
    assert out.exit_code == 0, out.output
    frame = pd.read_csv(pd.io.common.StringIO(out.output))
    assert frame["y"].tolist() == [f"rate[{STARTING}]", "idaci", "idaci"]


def test_cli_tests_per_measure_breakdowns(db):
    out = invoke(
        "test",
        "kruskal",
        f"rate[{STARTING}]",
        "--by",
        "region",
        "--format",
        "csv",
        "--db",
        db,
    )
    assert out.exit_code == 0, out.output
    assert pd.read_csv(pd.io.common.StringIO(out.output))["n"].iloc[0] == 150
    out = invoke(
        "test",
        "mann-whitney",
        "rate",
        "--breakdown",
        MARCH,
        "-g",
        "region:London",
        "--db",
        db,
    )
    assert out.exit_code == 0, out.output
    assert "Mann-Whitney U" in out.output


def test_cli_without_a_breakdown_says_how_to_name_one(db):
    out = invoke("correlate", "rate", "idaci", "--db", db)
    assert out.exit_code == 1
    text = " ".join(out.output.split())
    assert text.startswith("error:") and "choose one as rate[breakdown]" in text
    assert "Traceback" not in out.output


@pytest.mark.parametrize(
    "command",
    [["correlate"], ["test", "kruskal"], ["test", "mann-whitney"], ["model", "ols"]],
)
def test_cli_help_shows_the_brackets(command):
    # Rich would read an unescaped [breakdown] as markup and drop it.
    out = invoke(*command, "--help")
    assert out.exit_code == 0
    assert "measure[breakdown]" in " ".join(out.output.split())


def test_a_value_loaded_twice_is_read_from_the_latest_load():
    # Two vintages of the same figure (a revision): the later load is read, never
    # an average of the two (derive and compare read it the same way).
    from lacompare.analysis import read_la_values
    from lacompare.store import open_store

    with open_store(":memory:") as s:
        s.con.execute(
            "INSERT INTO sources (file, sha256) VALUES ('old', 'a'), ('new', 'b')"
        )
        s.con.execute(
            "INSERT INTO observation_cells (la_code, measure, period, value, "
            "source_id) VALUES ('E06000001', 'm', '2023', 10, 1), "
            "('E06000001', 'm', '2023', 12, 2), "
            "('E06000002', 'm', '2023', 5, 1)"
        )
        v = read_la_values(s, ["m"], period="2023")
    got = v.values["m"].dropna().to_dict()
    assert got == {"E06000001": 12.0, "E06000002": 5.0}
