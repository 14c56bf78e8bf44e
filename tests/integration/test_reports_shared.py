"""The la-profile, variation and spend reports on the real public data.

A small store is built from ../shared/data (children looked after 2021-2025,
IDACI 2019, spending per child 2024-25, mid-2023 population, the DfE 2025
statistical neighbours) and every report is rendered as HTML, XLSX and (for
la-profile) PDF. The tests check the printed figures against the store, the
generated sentences, the sources and the outputs' structure. Skipped, saying
why, when ../shared/data is absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from html_tables import tables_of
from typer.testing import CliRunner

from lacompare.errors import InputError
from lacompare.report._reports import build_report, render_html, write_document
from lacompare.store import open_store
from lacompare.store._ingest import ingest

pytestmark = pytest.mark.shared

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "lacompare" / "sources" / "specs"
CLA = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
IDACI = "deprivation/idaci2019_upper_tier_la_summary.csv"
SPEND = "spend/csc_spending_per_child_2024_25_dashboard_derived.csv"
POPULATION = "population/ons_mid2023_population_by_la_age_0_25.csv"
CLA_BD = "population_type=Children looked after on 31 March each year"
CLA_SPEC = (
    "rate_per_10000[looked after on 31 March]=Children looked after per 10,000 children"
)
PROFILE_MEASURES = [
    CLA_SPEC,
    "csc_expenditure_per_child",
    "idaci_average_score=Deprivation affecting children (IDACI)",
]


def number(text: str) -> float:
    return float(text.replace(",", "").replace("£", "").replace("%", ""))


def printed_equals(text: str, value: float) -> bool:
    clean = text.replace(",", "").replace("£", "").replace("%", "")
    decimals = len(clean.split(".")[1]) if "." in clean else 0
    return abs(float(clean) - value) <= 0.5 * 10**-decimals + 1e-9


def plain_text(html: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))


def assert_self_contained(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html
    for img in re.findall(r"<img [^>]*>", html):
        assert 'src="data:image/svg+xml;base64,' in img
        assert len(re.search(r'alt="([^"]*)"', img).group(1)) > 30


@pytest.fixture(scope="module")
def db(shared_data, tmp_path_factory):
    """A store file with the shared tables, neighbours and a binary factor."""
    from lacompare.analysis import load_neighbour_set

    folder = tmp_path_factory.mktemp("shared-reports")
    path = folder / "shared.duckdb"
    with open_store(path) as store:
        ingest(store, shared_data / CLA)
        ingest(store, shared_data / IDACI, period="2019")
        ingest(
            store,
            shared_data / SPEND,
            spec=SPECS / "dfe_dashboard_csc_spending_per_child_2024_25.toml",
        )
        ingest(
            store,
            shared_data / POPULATION,
            spec=SPECS / "ons_mid2023_population_age_0_25_derived.toml",
        )
        store.con.execute(
            "UPDATE measures SET polarity = 'higher-is-worse', "
            "unit = NULL WHERE measure = 'rate_per_10000'"
        )
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
        # A made-up yes/no factor (every third authority of 2021), to exercise
        # the Mann-Whitney path.
        codes = sorted(
            store.query(
                "SELECT DISTINCT la_code FROM observations WHERE measure = "
                "'rate_per_10000' AND period = '2021'"
            )["la_code"]
        )
        flags = folder / "programme.csv"
        pd.DataFrame(
            {
                "la_code": codes,
                "in_programme": [int(i % 3 == 0) for i in range(len(codes))],
            }
        ).to_csv(flags, index=False)
        ingest(store, flags, period="2021")
    return path


@pytest.fixture(scope="module")
def store(db):
    with open_store(db, read_only=True) as s:
        yield s


@pytest.fixture(scope="module")
def profiles(store):
    from lacompare.report._profile import prepare_profiles

    return prepare_profiles(store, PROFILE_MEASURES)


@pytest.fixture(scope="module")
def leeds(store, profiles):
    from lacompare.report._profile import profile_document

    doc = profile_document(profiles, profiles.resolve("Leeds"))
    return doc, render_html(doc)


def neighbour_mean(
    store, la_name: str, measure: str, breakdown: str, period: str
) -> float:
    """The neighbours' mean computed straight from the store's tables."""
    return float(
        store.query(
            """SELECT avg(o.value) AS v FROM neighbours n
           JOIN authorities a ON a.la_code = n.la_code
           JOIN observations o ON o.la_code = n.neighbour_code
           WHERE n.set_id = 'dfe-2025' AND a.la_name = ? AND o.measure = ?
             AND o.breakdown = ? AND o.period = ?""",
            [la_name, measure, breakdown, period],
        )["v"].iloc[0]
    )


# ------------------------------------------------------------------ la-profile


def test_profile_figures_equal_the_store(store, leeds):
    doc, html = leeds
    value = store.query(
        "SELECT value FROM observations o JOIN authorities a "
        "USING (la_code) WHERE a.la_name = 'Leeds' AND measure = "
        "'rate_per_10000' AND breakdown = ? AND period = '2025'",
        [CLA_BD],
    )["value"].iloc[0]
    region = store.query(
        "SELECT value FROM totals WHERE measure = 'rate_per_10000' "
        "AND breakdown = ? AND period = '2025' AND area_name = "
        "'Yorkshire and The Humber'",
        [CLA_BD],
    )["value"].iloc[0]
    england = store.query(
        "SELECT value FROM totals WHERE measure = "
        "'rate_per_10000' AND breakdown = ? AND period = '2025' "
        "AND area_code = 'E92000001'",
        [CLA_BD],
    )["value"].iloc[0]
    nb = neighbour_mean(store, "Leeds", "rate_per_10000", CLA_BD, "2025")
    headline = tables_of(html)["Leeds: headline measures"]
    header = headline[0]
    row = next(r for r in headline if r[0].startswith("Children looked after"))
    cells = dict(zip(header, row, strict=True))
    assert cells["Period"] == "2025"
    assert number(cells["Leeds"]) == value
    assert printed_equals(cells["Neighbours' average"], nb)
    assert number(cells["Yorkshire and The Humber"]) == region
    assert number(cells["England"]) == england
    assert cells["Polarity"] == "Higher is worse"
    assert cells["Quartile band"].startswith(("A:", "B:", "C:", "D:"))
    spend = next(r for r in headline if r[0].startswith("Children's social care"))
    assert dict(zip(header, spend, strict=True))["Polarity"] == "Neutral"


def test_profile_sentences_are_polarity_aware(store, leeds):
    doc, html = leeds
    text = plain_text(html)
    nb = neighbour_mean(store, "Leeds", "rate_per_10000", CLA_BD, "2025")
    expected = (
        f"Leeds's children looked after per 10,000 children (85 in 2025) is "
        f"higher (worse) than its statistical neighbours' average "
        f"({nb:.0f})"
    )
    assert expected in text
    assert (
        "It is above the Yorkshire and The Humber figure (77) and above "
        "England (67)." in text
    )
    assert re.search(r"Between 2021 and 2025 it rose from \d+ to 85; England", text)
    # A neutral measure is higher or lower, never better or worse.
    idaci = next(
        b.text
        for s in doc.sections
        for b in s.blocks
        if b.kind == "p" and b.text.startswith("Leeds's deprivation")
    )
    assert "(better)" not in idaci and "(worse)" not in idaci
    assert re.search(
        r"in the (highest|second-highest|second-lowest|lowest) "
        r"quarter of authorities",
        idaci,
    )
    assert "where 1 is the highest" in idaci


def test_profile_names_significant_differences(profiles):
    from lacompare.report._profile import profile_document

    doc = profile_document(profiles, profiles.resolve("Blackpool"))
    text = plain_text(render_html(doc))
    assert "Blackpool's children looked after per 10,000 children" in text
    assert "It is significantly higher than the average of authorities" in text
    assert "worst quarter (band D)" in text
    assert any(
        p.startswith(
            "Significantly different (by the test in the table): children looked after"
        )
        for p in doc.key_points
    )
    section = next(
        s for s in doc.sections if s.title == "Where it is significantly different"
    )
    assert "99.8%" in section.blocks[0].items[0]


def test_profile_is_self_contained_with_sources(store, leeds):
    doc, html = leeds
    assert_self_contained(html)
    # Two one-period rankings, one trend, and the expected-spend section's chart.
    assert [f.name for f in doc.figures()][-1] == "Expected spend"
    assert len(doc.figures()) == 4
    sources = html[html.index('id="sources"') :]
    loaded = store.query("SELECT file, loaded_at FROM sources")
    # The population is a factor of the expected-spend model, so it is a source.
    for name in (CLA, IDACI, SPEND, POPULATION):
        row = loaded[loaded["file"].str.endswith(Path(name).name)].iloc[0]
        assert Path(name).name in sources
        assert pd.Timestamp(row["loaded_at"]).strftime("%Y-%m-%d %H:%M") in sources
    assert "dfe_statistical_neighbours_2025.csv" in sources


def test_profile_xlsx_numbers_equal_the_store(store, leeds, tmp_path):
    import openpyxl

    doc, _ = leeds
    path = write_document(doc, tmp_path / "leeds.xlsx", "xlsx")
    wb = openpyxl.load_workbook(path)
    assert "Headline values" in wb.sheetnames and "Sources" in wb.sheetnames
    ws = wb["Headline values"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "Measure")
    header = rows[head]
    body = {r[0]: dict(zip(header, r, strict=False)) for r in rows[head + 1 :]}
    cla = body["Children looked after per 10,000 children"]
    assert cla["Leeds"] == 85
    assert cla["Neighbours' average"] == pytest.approx(
        neighbour_mean(store, "Leeds", "rate_per_10000", CLA_BD, "2025")
    )
    # The catalogue's label (the store's is DfE's longer one).
    spend = body["Children's social care spend per child"]
    stored = store.query(
        "SELECT value FROM observations o JOIN authorities a USING "
        "(la_code) WHERE a.la_name = 'Leeds' AND measure = "
        "'csc_expenditure_per_child'"
    )["value"].iloc[0]
    assert spend["Leeds"] == stored
    assert isinstance(spend["Rank"], (int, float))
    assert ws.freeze_panes is not None


def test_profile_pdf_pages(leeds, tmp_path):
    pytest.importorskip("weasyprint", reason="PDF needs the pdf extra (WeasyPrint)")
    pytest.importorskip("PIL", reason="Pillow reads the page images")
    from PIL import Image, ImageStat

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm not installed (Debian: apt-get install poppler-utils)")
    doc, _ = leeds
    pdf = write_document(doc, tmp_path / "leeds.pdf", "pdf")
    subprocess.run(
        [pdftoppm, "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert 4 <= len(pages) <= 12
    for page in pages:
        assert ImageStat.Stat(Image.open(page).convert("L")).var[0] > 50, page.name
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert re.search(r"Headline measures\s*\.+\s*\d+", text.split("\f")[0])
        assert f"Page {len(pages)} of {len(pages)}" in text


def test_profile_errors_are_one_line(store, profiles):
    with pytest.raises(InputError, match="no authority 'Leedz'"):
        build_report("la-profile", store, authority="Leedz", data=profiles)
    with pytest.raises(InputError, match="has no values in the store"):
        build_report(
            "la-profile", store, authority="Leeds", measures=["no_such_measure"]
        )
    with pytest.raises(InputError, match="several breakdowns"):
        build_report(
            "la-profile", store, authority="Leeds", measures=["rate_per_10000"]
        )


# ------------------------------------------------------------------- variation


@pytest.fixture(scope="module")
def variation(store):
    doc = build_report(
        "variation",
        store,
        measure=CLA_SPEC,
        factors="idaci_average_score=Deprivation (IDACI score),"
        "in_programme=In the programme",
        exclude="Isles of Scilly",
    )
    return doc, render_html(doc)


def test_variation_regional_tables_equal_the_store(store, variation):
    from lacompare.analysis import summarise

    doc, html = variation
    table = next(
        v
        for k, v in tables_of(html).items()
        if k.startswith("The average children looked after")
    )
    header = table[0]
    assert header[:6] == [
        "Region",
        "Authorities (N)",
        "Minimum",
        "Maximum",
        "Mean",
        "Median",
    ]
    body = {r[0]: r for r in table[1:]}
    assert "Inner London" in body and "Outer London" in body  # London split
    expected = summarise(
        store,
        "rate_per_10000",
        by="london_region",
        per_la="mean",
        breakdown=CLA_BD,
        exclude="Isles of Scilly",
    ).table.set_index("region")
    for region, cells in body.items():
        row = expected.loc[region]
        assert int(cells[1]) == row["n"]
        for i, stat in enumerate(("min", "max", "mean", "median", "sd"), 2):
            assert printed_equals(cells[i], row[stat]), (region, stat)
    # Straight from the observations, for regions untouched by reorganisation.
    raw = store.query(
        """SELECT coalesce(a.london_region, a.region) AS g, avg(o.value) AS v
           FROM observations o JOIN authorities a USING (la_code)
           WHERE o.measure = 'rate_per_10000' AND o.breakdown = ?
                 AND o.value IS NOT NULL GROUP BY a.la_code, g""",
        [CLA_BD],
    )
    for region in ("North East", "Outer London", "Inner London", "South East"):
        vals = raw.loc[raw["g"] == region, "v"]
        assert int(body[region][1]) == len(vals)
        assert printed_equals(body[region][4], vals.mean())


def test_variation_tests_report_n_and_p(store, variation):
    from scipy import stats

    from lacompare.analysis import read_la_values, summarise
    from lacompare.formatting import format_p

    doc, html = variation
    text = plain_text(html)
    rate = summarise(
        store,
        "rate_per_10000",
        by="london_region",
        per_la="mean",
        breakdown=CLA_BD,
        exclude="Isles of Scilly",
    ).values
    rate = rate.dropna(subset=["value"]).set_index("la_code")["value"]
    idaci = read_la_values(store, ["idaci_average_score"], registry=False).values[
        "idaci_average_score"
    ]
    both = pd.concat([rate, idaci], axis=1, join="inner").dropna()
    res = stats.spearmanr(both.iloc[:, 1], both.iloc[:, 0])
    detail = f"r_s = {res.statistic:.2f}, {format_p(res.pvalue)}, n = {len(both)}"
    assert (
        f"There was a statistically significant strong positive association "
        f"between deprivation (IDACI score) and the average children looked "
        f"after per 10,000 children ({detail})"
    ) in text
    assert "Mann-Whitney U = " in text and "in the programme" in text
    tests = tables_of(html)[
        "Tests of association with children looked after per 10,000 children"
    ]
    assert len(tests) == 1 + 4  # two factors × (average, change)
    assert {r[2] for r in tests[1:]} == {
        "Spearman's rank correlation",
        "Mann-Whitney U",
    }
    assert all(r[3].isdigit() for r in tests[1:])  # n
    assert "p (Holm-adjusted)" in tests[0]


def test_variation_has_charts_change_and_limitations(variation, tmp_path):
    import openpyxl

    doc, html = variation
    assert_self_contained(html)
    titles = [s.title for s in doc.sections]
    assert any(t.startswith("Change in children looked after") for t in titles)
    assert "Limitations" in titles
    alts = [f.description for f in doc.figures()]
    # Regions with London split in two: ten groups.
    assert any(a.startswith("Box plot") and "in 10 groups" in a for a in alts)
    assert any("Histogram" in a or "histogram" in a for a in alts)
    assert any(a.startswith("Scatter plot") for a in alts)
    limits = next(s for s in doc.sections if s.title == "Limitations")
    assert "not causes" in limits.blocks[0].items[0]
    path = write_document(doc, tmp_path / "variation.xlsx", "xlsx")
    ws = openpyxl.load_workbook(path)["Tests (values)"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "Factor")
    ps = [r[rows[head].index("p")] for r in rows[head + 1 :]]
    assert len(ps) == 4 and all(isinstance(p, float) and 0 <= p <= 1 for p in ps)


# ----------------------------------------------------------------------- spend


@pytest.fixture(scope="module")
def spend(store):
    doc = build_report(
        "spend",
        store,
        target="csc_expenditure_per_child",
        exclude=["City of London", "Isles of Scilly"],
    )
    return doc, render_html(doc)


def test_spend_model_fit_and_predictions(store, spend, tmp_path):
    import openpyxl

    from lacompare.analysis import model_spend

    doc, html = spend
    model = model_spend(
        store,
        "csc_expenditure_per_child",
        exclude=["City of London", "Isles of Scilly"],
    )
    fit = model.fit.iloc[0]
    table = {r[0]: r[1] for r in tables_of(html)["Model fit"][1:]}
    assert table["Cross-validated R² (10-fold)"] == f"{fit['cv_r2']:,.3f}"
    assert table["Authorities in the model (n)"] == str(int(fit["n"]))
    path = write_document(doc, tmp_path / "spend.xlsx", "xlsx")
    wb = openpyxl.load_workbook(path)
    rows = list(wb["Fit (values)"].iter_rows(values_only=True))
    values = {r[0]: r[1] for r in rows if r and isinstance(r[1], (int, float))}
    assert values["Cross-validated R² (10-fold)"] == pytest.approx(fit["cv_r2"])
    rows = list(wb["Predictions"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "Authority")
    actual = {r[0]: r[2] for r in rows[head + 1 :]}
    stored = store.query(
        """SELECT a.la_name, o.value FROM observations o JOIN authorities a
           USING (la_code) WHERE measure = 'csc_expenditure_per_child'
           AND a.valid_to IS NULL"""
    ).set_index("la_name")["value"]
    assert len(actual) == model.n
    for name, value in actual.items():
        assert value == stored[name], name


def test_spend_heatmaps_and_chart(spend):
    doc, html = spend
    assert_self_contained(html)
    heatmaps = [f for f in doc.figures() if (f.name or "").startswith("Heatmap")]
    assert len(heatmaps) == 9  # one per region
    assert all("quintile" in f.description for f in heatmaps)
    assert any((f.name or "") == "Predicted vs actual" for f in doc.figures())
    factors = tables_of(html)[
        "Factors of the model of children's social care spend per child"
    ]
    names = [r[0] for r in factors[1:]]
    assert names[:2] == ["Deprivation (IDACI)", "Population aged 0-25"]
    assert "Crime" in names  # a factor with no measure is listed, not hidden
    assert "cannot say what any authority should spend" in plain_text(html)


def test_spend_report_explains_expected_spend_and_compares_models(
    store, spend, tmp_path
):
    import openpyxl

    doc, html = spend
    text = plain_text(html)
    # Three highest and three lowest expected spend, each a chart and a sentence.
    why = [f for f in doc.figures() if (f.name or "").startswith("Why ")]
    assert len(why) == 6
    assert all("expected" in f.description for f in why)
    # "Most of" only where the factors named give most of the difference;
    # otherwise the factors pulling the other way are named as offsets.
    explained = (
        r"(?:Most|Part) of [^.]+'s (?:higher|lower) expected spend"
        r"|'s expected spend is £[\d,]+ (?:above|below) the average: [^.]+ partly "
        r"offset by"
    )
    assert len(re.findall(explained, text)) == 6
    assert (
        len(
            re.findall(
                r"It spends £[\d,]+, (?:£[\d,]+ (?:more|less) than "
                r"expected|as expected)",
                text,
            )
        )
        == 6
    )
    assert "Forms of the model compared" in tables_of(html)
    assert "cross-validation repeated 10 times" in text
    assert "not deflated" in text and "mid-2023 population aged 16-64" in text
    # The XLSX has every authority's contributions, which add up to predicted
    # minus the average prediction.
    path = write_document(doc, tmp_path / "spend.xlsx", "xlsx")
    rows = list(
        openpyxl.load_workbook(path)["Contributions"].iter_rows(values_only=True)
    )
    head = next(i for i, r in enumerate(rows) if r[0] == "Authority")
    body = [r for r in rows[head + 1 :] if isinstance(r[2], (int, float))]
    mean = sum(r[2] for r in body) / len(body)
    for r in body:
        assert sum(v for v in r[3:] if isinstance(v, (int, float))) == pytest.approx(
            r[2] - mean, abs=1e-6
        )


def test_spend_report_explains_a_named_authority_first(store):
    doc = build_report(
        "spend",
        store,
        target="csc_expenditure_per_child",
        authority="Blackpool",
        exclude=["City of London"],
    )
    first = next(f for f in doc.figures() if (f.name or "").startswith("Why "))
    assert first.name == "Why Blackpool"


def test_la_profile_explains_expected_spend_with_the_spend_reports_model(store):
    from lacompare.analysis import model_spend

    doc = build_report(
        "la-profile",
        store,
        authority="Blackpool",
        measures=["csc_expenditure_per_child"],
    )
    figure = next(f for f in doc.figures() if f.name == "Expected spend")
    assert "Blackpool's expected spend" in figure.description
    text = plain_text(render_html(doc))
    model = model_spend(store, "csc_expenditure_per_child")
    row = model.predictions.set_index("la_name").loc["Blackpool"]
    # The same model as the spend report: the same prediction.
    assert f"It spends £{row['actual']:,.0f} per child, " in text
    assert f"than expected (£{row['predicted']:,.0f})" in text
    assert re.search(
        r"Most of Blackpool's (higher|lower) expected spend"
        r"|Blackpool's expected spend is £[\d,]+ (above|below) the average: ",
        text,
    )
    assert "not a cause" in text


# ------------------------------------------------------------------------- CLI


def test_cli_writes_each_template(db, tmp_path):
    from lacompare.cli import app

    runner = CliRunner()
    cases = [
        [
            "la-profile",
            "--authority",
            "York",
            "-m",
            CLA_SPEC,
            "-m",
            "idaci_average_score",
            "--format",
            "xlsx",
        ],
        [
            "variation",
            "--measure",
            CLA_SPEC,
            "--factors",
            "idaci_average_score",
            "--periods",
            "2023:2025",
        ],
        ["spend", "--target", "csc_expenditure_per_child", "--folds", "5"],
    ]
    for args in cases:
        out = tmp_path / f"{args[0]}.{'xlsx' if 'xlsx' in args else 'html'}"
        result = runner.invoke(
            app, ["report", *args, "--db", str(db), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.exists() and out.stat().st_size > 10_000
        assert f"wrote {out}" in result.output
    text = (tmp_path / "variation.html").read_text()
    assert "2023 to 2025" in text
    result = runner.invoke(
        app, ["report", "spend", "--db", str(db), "--date", "2024-10-04"]
    )
    assert result.exit_code == 1
    assert "spend does not take --date" in result.output
    assert len(result.output.strip().splitlines()) == 1
