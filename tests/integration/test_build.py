"""`lacompare build` from ../shared/data: one store with everything, checked against
the published figures and against sums computed here from the raw files."""

from __future__ import annotations

import csv
import math

import pytest

from lacompare.build import build_store
from lacompare.build._files import read_known_files
from lacompare.store import open_store

pytestmark = pytest.mark.shared

DWP = "deprivation/dwp_children_relative_low_income_ltla_counts_fye2015_to_fye2022.csv"
CLA = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
CUMBRIA_DISTRICTS = [
    "Allerdale",
    "Barrow-in-Furness",
    "Carlisle",
    "Copeland",
    "Eden",
    "South Lakeland",
]


@pytest.fixture(scope="module")
def built(shared_data):
    with open_store(":memory:") as store:
        result = build_store(store, shared_data, policy="aggregate")
        yield store, result


def q(store, sql, params=None):
    return store.con.execute(sql, params or []).fetchall()


def test_every_file_and_sheet_is_accounted_for(built, shared_data):
    store, result = built
    assert result.of_status("unknown") == [] and result.of_status("failed") == []
    known = read_known_files()
    loaded = {(f.relative, f.sheet) for f in result.of_status("loaded")}
    assert loaded == {(e.path, e.sheet) for e in known.loads}
    files = {
        p.relative_to(shared_data).as_posix()
        for p in shared_data.rglob("*")
        if p.is_file()
    }
    assert files == {f.relative for f in result.files}
    assert {f.relative for f in result.of_status("neighbours")} == {
        n.path for n in known.neighbours
    }
    assert {f.relative for f in result.of_status("dictionary")} == {
        d.path for d in known.dictionaries
    }
    assert q(
        store, "SELECT unit, polarity FROM measures WHERE measure = 'InfMort'"
    ) == [("Rate per 1000 live births", "higher-is-worse")]
    assert q(
        store,
        "SELECT set_id, count(DISTINCT la_code) FROM neighbours GROUP BY 1 ORDER BY 1",
    ) == [("dfe-2021", 152), ("dfe-2025", 153)]
    # Every set-aside file or sheet says why.
    assert all(f.detail for f in result.of_status("set-aside"))
    text = "\n".join(result.summary_lines())
    assert "not recognised" not in text and "loaded" in text


def test_row_counts_match_each_load(built):
    store, result = built
    for f in result.of_status("loaded"):
        # Every value each load kept, current or superseded by a later release.
        n = q(
            store,
            "SELECT count(*) FROM observation_vintages WHERE source_id = ?",
            [f.source_id],
        )[0][0]
        assert n == f.observations > 0, f.id
    assert result.observations == sum(
        f.observations for f in result.of_status("loaded")
    )


def test_england_children_looked_after_2025(built):
    store, _ = built
    rows = q(
        store,
        """SELECT t.measure, t.value FROM totals t JOIN sources s
                       USING (source_id) WHERE s.file LIKE ? AND t.area_code =
                       'E92000001' AND t.period = '2025' AND t.breakdown LIKE
                       '%on 31 March%' AND t.measure IN ('children_count',
                       'rate_per_10000') ORDER BY 1""",
        [f"%{CLA}"],
    )
    assert rows == [("children_count", 81770.0), ("rate_per_10000", 67.0)]


def test_derived_rates_agree_with_the_published_ones(built):
    _, result = built
    cla = result.agreement["cla_rate_per_10000_derived"]
    assert (cla.n, cla.agree) == (755, 755)
    for name in ("cin_rate_per_10000_derived", "cpp_rate_per_10000_derived"):
        a = result.agreement[name]
        assert a.n > 1400
        # Every pair that does not agree is listed with its difference.
        assert len(a.issues) == a.n - a.agree == len(a.differ)
        assert a.agree >= 0.99 * a.n, a.summary_lines()


def test_low_income_districts_sum_to_cumbria_as_in_the_raw_file(built, shared_data):
    store, _ = built
    with open(shared_data / DWP, newline="", encoding="utf-8-sig") as fh:
        rows = {r[0]: r for r in csv.reader(fh)}
    header = rows["Year"]
    col = header.index("2019/20")
    expected = sum(float(rows[name][col]) for name in CUMBRIA_DISTRICTS)
    got = q(
        store,
        "SELECT value FROM observations WHERE measure = "
        "'children_in_relative_low_income_families_upper_tier' AND la_code = "
        "'E10000006' AND period = '2019-20'",
    )
    assert got == [(expected,)]
    # A unitary is carried as published (County Durham, from its own row).
    durham = q(
        store,
        "SELECT value FROM observations WHERE measure = "
        "'children_in_relative_low_income_families_upper_tier' AND la_code = "
        "'E06000047' AND period = '2014-15'",
    )
    assert durham == [(float(rows["County Durham"][header.index("2014/15")]),)]


def test_population_district_sums_equal_the_published_counties(built):
    _, result = built
    d = result.aggregated["population_all_ages_upper_tier"]
    checks = d.checks
    assert len(checks) >= 21 * 13
    assert checks["published"].notna().all()
    assert (checks["sum"] - checks["published"]).abs().max() < 0.5
    assert not d.issues.of_kind("district-sum-differs")


def test_aggregate_policy_continues_northamptonshire_from_its_successors(
    built, shared_data
):
    store, _ = built
    with open(shared_data / CLA, newline="", encoding="utf-8-sig") as fh:
        raw = [
            r
            for r in csv.DictReader(fh)
            if r["time_period"] == "2024"
            and r["geographic_level"] == "Local authority"
            and "31 March" in r["population_type"]
        ]
    parts = {
        r["la_name"]: float(r["children_count"])
        for r in raw
        if r["la_name"] in ("North Northamptonshire", "West Northamptonshire")
    }
    got = q(
        store,
        "SELECT value FROM observations WHERE measure = "
        "'children_count_harmonised' AND la_code = 'E10000021' AND period = "
        "'2024' AND breakdown LIKE '%on 31 March%'",
    )
    assert len(parts) == 2 and got == [(sum(parts.values()),)]
    # The rate is recomputed from summed counts and populations, never summed.
    rate = q(
        store,
        "SELECT value, source_column FROM observations WHERE measure = "
        "'cla_rate_per_10000_derived_harmonised' AND la_code = 'E10000021' AND "
        "period = '2024'",
    )
    pops = q(
        store,
        "SELECT value FROM observations WHERE measure = "
        "'population_0_17_harmonised' AND la_code = 'E10000021' AND period = "
        "'2023'",
    )
    assert len(rate) == 1 and len(pops) == 1
    assert math.isclose(rate[0][0], sum(parts.values()) / pops[0][0] * 10_000)


def test_crime_rate_per_1000_from_the_summed_crimes_and_the_population(built):
    store, result = built
    assert result.derived["crime_rate_per_1000"].values["value"].notna().sum() == 153
    [(crimes, population, rate)] = q(
        store,
        """
        SELECT c.value, p.value, r.value FROM observations c
        JOIN observations p ON p.la_code = c.la_code
             AND p.measure = 'population_all_ages' AND p.period = '2023'
        JOIN observations r ON r.la_code = c.la_code
             AND r.measure = 'crime_rate_per_1000'
        WHERE c.la_code = 'E06000063' AND c.measure = 'crimes_total_excluding_fraud'""",
    )
    assert rate == pytest.approx(1000 * crimes / population)


def test_the_spend_model_uses_the_five_factors_of_the_study(built):
    from lacompare.analysis.models import model_spend

    store, _ = built
    m = model_spend(store, "csc_expenditure_per_child", repeats=3)
    used = m.factors.set_index("family")["measure"].to_dict()
    assert used == {
        "deprivation": "iod2025_idaci_average_score",
        "population_0_25": "population_age_0_25",
        "disposable_income": "gdhi_per_head",
        "unemployment": "claimant_rate",
        "crime": "crime_rate_per_1000",
    }
    # North Yorkshire, Somerset and Buckinghamshire (recoded) and the new unitaries
    # are covered: IoD2025 and ONS's back-cast series have them all.
    assert m.n >= 145
    fitted = set(m.predictions["la_code"])
    assert {"E06000060", "E06000065", "E06000066", "E06000061", "E06000064"} <= fitted
    contributions = [c for c in m.predictions if c.startswith("contribution_")]
    assert contributions == [f"contribution_{f}" for f in used]
    total = m.predictions[contributions].sum(axis=1)
    predicted = m.predictions["predicted"]
    assert (total - (predicted - predicted.mean())).abs().max() < 1e-6
    assert (
        m.comparison is not None
        and m.comparison.chosen in m.comparison.table["variant"].tolist()
    )


def test_the_spend_panel_beside_the_cross_section(built):
    from lacompare.analysis._spend_panel import fit_spend_panel

    store, result = built
    assert (
        result.derived["cyp_expenditure_per_child"].values["value"].notna().sum() > 1000
    )
    panel = fit_spend_panel(store)
    # LAIT's spend from 2016-17, GDHI to 2023: the overlap, with every yearly factor.
    assert panel.years == (2017, 2023)
    assert panel.result.n_authorities >= 140
    assert set(panel.result.coefficients["term"]) == {
        "gdhi_per_head",
        "claimant_rate",
        "population_0_17",
    }


# Files that publish the same figures again (a later release, or the same table in
# another format): where they differ, the later load is the revision and wins.
REVISIONS = {
    (
        "cla_number_and_rate_per_10k_children_2020_to_2024.csv",
        "cla_number_and_rate_per_10k_children_2019_to_2023.csv",
    ),
    ("csww_indicators_2017_to_2025.csv", "csww_headline_measures_2017_to_2022.csv"),
    (
        "LA_Inspection_Outcomes_as_at_March_2024.ods",
        "LA_Inspection_Outcomes_as_at_31_March_2025.ods",
    ),
    (
        "ilacs_inspection_history_2018_to_2025.csv",
        "LA_Inspection_Outcomes_as_at_March_2024.ods",
    ),
}


def test_values_that_differ_between_files_are_only_revisions(built):
    """Two unrelated tables must never give one measure id to different figures:
    with vintages, the later load would silently take the place of the other."""
    import re

    store, _ = built
    rows = q(
        store,
        """SELECT s.file, l.message FROM load_issues l
                       JOIN sources s USING (source_id) WHERE l.kind = 'conflict'""",
    )
    clashes = set()
    for file, message in rows:
        found = re.match(
            r"[\d,]+ values \(([\d,]+) different\) also given by source "
            r"\d+ \(([^,\[]+)",
            message,
        )
        if found and found.group(1) != "0":
            clashes.add((file.rsplit("/", 1)[-1], found.group(2).strip()))
    assert clashes <= REVISIONS, clashes - REVISIONS


def test_compare_with_no_measures_shows_the_headline_indicators(built):
    from lacompare.analysis._headline import compare_headline

    store, _ = built
    result = compare_headline(store, "Leicester")
    table = result.table
    assert len(table) >= 5 and table["la_name"].eq("Leicester").all()
    cla = table[(table["measure"] == "rate_per_10000")].iloc[0]
    # England's CLA rate at 31 March 2025 is DfE's published 67, not a mean.
    assert (cla["period"], cla["england_value"]) == ("2025", 67)
    assert not str(cla["england_source"]).startswith("computed")
    assert "Children looked after" in cla["breakdown"]
