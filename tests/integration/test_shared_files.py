"""Every file in ../shared/data that holds LA-level figures loads unedited.

The test walks every file under ../shared/data. Each one is either loaded (each data
sheet of a workbook separately) into one store with ``ingest`` and the spec shipped in
``lacompare/sources/specs/`` (or none, when detection is enough), or listed as
holding no authority figures (``[[other]]``, ``[[neighbours]]``), with the reason. A
file (or a sheet) that appears and is in neither list fails the test until it is
classified.

For every load it checks what a user would: no row that names no authority, values for
plausibly many authorities, the periods the file covers, and one value per authority,
measure, period and breakdown. Published figures are then read back from the store and
compared with the raw cells, read here independently (csv, python-calamine, DuckDB's
Parquet reader), and each sampled observation's source_row / source_column must point at
the cell it came from.

Which file is which, the spec and options it loads with and what it must give live in
``lacompare/sources/known_files.toml`` (the list ``lacompare build`` recognises files
by), so the test and the build cannot drift apart.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from lacompare.build._files import LoadEntry, read_known_files
from lacompare.sources.specs import IngestSpec, read_spec
from lacompare.store import open_store
from lacompare.store._ingest import IngestResult, ingest

pytestmark = pytest.mark.shared

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "lacompare" / "sources" / "specs"

# What each file is and how it loads is packaged data (so a user's copy of the same
# files is recognised by `lacompare build`): lacompare/sources/known_files.toml.
KNOWN = read_known_files()
Case = LoadEntry
CASES: list[Case] = KNOWN.loads
IOD = (
    "deprivation/File_11_-_IoD2019_Local_Authority_District_Summaries__"
    "upper-tier__.xlsx"
)
MYE = "population/mye23tablesew.xlsx"
OFSTED_2025 = "ofsted/LA_Inspection_Outcomes_as_at_31_March_2025.ods"
OFSTED_2024 = "ofsted/LA_Inspection_Outcomes_as_at_March_2024.ods"

# Files that hold no figures for authorities, and why. Statistical neighbour lists are
# figures about pairs of authorities; they belong to the neighbours loader, not ingest.
NOT_LA_FIGURES: dict[str, str] = {
    **KNOWN.other,
    **{n.path: f"statistical neighbour set {n.set_id}" for n in KNOWN.neighbours},
    **{d.path: "measure dictionary" for d in KNOWN.dictionaries},
}

# Sheets of the loaded workbooks that hold no authority figures, and why.
SHEETS_NOT_LA_FIGURES: dict[tuple[str, str], str] = KNOWN.other_sheets

WORKBOOK_SUFFIXES = {".xlsx", ".xls", ".xlsm", ".ods"}
DOC_NAMES = {"README.md", "PROVENANCE.md"}


def case_params() -> list[Any]:
    return [pytest.param(case, id=case.id) for case in CASES]


def spec_of(case: Case) -> IngestSpec | None:
    """The spec a case loads with: its spec file with the known-files options."""
    spec = case.ingest_spec()
    return read_spec(spec) if isinstance(spec, Path) else spec


# ------------------------------------------------------------------------------------
# Loading: one store for the module, each case loaded once, on first use. Two files
# can give the same key (releases that overlap, measure ids that coincide); the later
# load's value is current and the other kept as superseded, so what a load stored is
# read from observation_vintages, every value ever loaded.


@pytest.fixture(scope="module")
def loaded(shared_data):
    store = open_store(":memory:")
    results: dict[Case, IngestResult | BaseException] = {}

    def load(case: Case) -> IngestResult:
        if case not in results:
            flags: dict[str, Any] = {"skip_unresolved": case.skip_unresolved}
            if case.sheet:
                flags["sheet"] = case.sheet
            try:
                results[case] = ingest(
                    store, shared_data / case.path, spec=case.ingest_spec(), **flags
                )
            except Exception as exc:  # kept to fail that case's test, not the module
                results[case] = exc
        outcome = results[case]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    load.store = store  # type: ignore[attr-defined]
    load.root = shared_data  # type: ignore[attr-defined]
    yield load
    store.close()


def case_for(path: str, sheet: str | None = None, spec: str | None = None) -> Case:
    return next(
        c
        for c in CASES
        if c.path == path and c.sheet == sheet and (spec is None or c.spec == spec)
    )


def query(loaded, sql: str, params: list[Any] | None = None) -> list[tuple]:
    return loaded.store.con.execute(sql, params or []).fetchall()


# ------------------------------------------------------------------------------------
# Every file and sheet is classified.


def test_every_file_is_loaded_or_classified(shared_data):
    found = {
        p.relative_to(shared_data).as_posix()
        for p in shared_data.rglob("*")
        if p.is_file() and p.name not in DOC_NAMES
    }
    loaded_paths = {c.path for c in CASES}
    assert not loaded_paths & set(NOT_LA_FIGURES), "classified twice"
    unclassified = sorted(found - loaded_paths - set(NOT_LA_FIGURES))
    assert not unclassified, (
        "new files in ../shared/data: load them in CASES (with a "
        f"spec if needed) or list them in NOT_LA_FIGURES: "
        f"{unclassified}"
    )
    stale = sorted((loaded_paths | set(NOT_LA_FIGURES)) - found)
    assert not stale, f"classified files no longer in ../shared/data: {stale}"
    # The build recognises each one by its path, as the test classifies it.
    for rel in sorted(found):
        recognised = KNOWN.match(rel, shared_data / rel)
        assert recognised.how == "path" and recognised.kind != "unknown", rel


def test_a_renamed_or_moved_copy_is_recognised(shared_data, tmp_path):
    """A user's copy in another folder (by name) or renamed (by its headings)."""
    moved = KNOWN.match("downloads/" + Path(CLA_2025).name)
    assert (moved.kind, moved.how) == ("load", "name")
    assert moved.loads == tuple(KNOWN.loads_for(CLA_2025))
    renamed = tmp_path / "export (3).csv"
    renamed.write_bytes((shared_data / CLA_2025).read_bytes()[:4000])
    found = KNOWN.match(renamed.name, renamed)
    assert (found.kind, found.how) == ("load", "header")
    assert found.loads[0].path.startswith("cla/cla_number_and_rate_per_10k_children")
    stranger = tmp_path / "notes.csv"
    stranger.write_text("a,b\n1,2\n", encoding="utf-8")
    assert KNOWN.match(stranger.name, stranger).kind == "unknown"


WORKBOOKS = sorted({c.path for c in CASES if Path(c.path).suffix in WORKBOOK_SUFFIXES})


@pytest.mark.parametrize("workbook", WORKBOOKS)
def test_every_sheet_of_a_loaded_workbook_is_classified(shared_data, workbook):
    sheets = set(raw_workbook(shared_data / workbook).sheet_names)
    loaded_sheets = {c.sheet for c in CASES if c.path == workbook}
    skipped = {s for (wb, s) in SHEETS_NOT_LA_FIGURES if wb == workbook}
    assert None not in loaded_sheets, "a workbook case must name its sheet"
    assert sheets == loaded_sheets | skipped, (
        f"unclassified sheets {sorted(sheets - loaded_sheets - skipped)}; "
        f"no longer there {sorted((loaded_sheets | skipped) - sheets)}"
    )


def test_every_shipped_spec_is_used_and_parses():
    from lacompare.sources.specs import read_spec

    shipped = {p.name for p in SPECS.glob("*.toml")}
    used = {c.spec for c in CASES if c.spec and "/" not in c.spec}
    assert shipped == used, (
        f"unused {sorted(shipped - used)}; missing {sorted(used - shipped)}"
    )
    for name in sorted(shipped):
        text = (SPECS / name).read_text("utf-8")
        assert text.startswith("# Publisher: "), f"{name} must open with its publisher"
        assert "# Why each option:" in text, f"{name}: say why each option is needed"
        read_spec(SPECS / name)


# ------------------------------------------------------------------------------------
# Each load.


@pytest.mark.parametrize("case", case_params())
def test_file_loads(loaded, case):
    result = loaded(case)
    assert not result.dry_run and result.source_id is not None
    assert result.observations > 0
    assert result.authorities >= case.min_authorities, result.summary_lines()
    # No lower-tier district or other area is loaded as an authority (153 today, plus
    # the abolished ones a long series carries).
    assert result.authorities <= 165, result.summary_lines()
    if case.periods is not None:
        assert tuple(result.periods) == case.periods
    if case.period_range is not None:
        first, last, at_least = case.period_range
        assert len(result.periods) >= at_least
        for period in result.periods:
            assert first <= dt.date.fromisoformat(period).isoformat() <= last, period
    if case.path.startswith("lait/"):
        # LAIT's own year labels, kept as published ('2024-25 (OT)' = outturn).
        assert {"2016", "2025", "2016-17 (OT)", "2024-25 (OT)"} <= set(result.periods)
    duplicates = query(
        loaded,
        """
        SELECT la_code, measure, period, breakdown, count(*)
        FROM observation_vintages
        WHERE source_id = ? GROUP BY ALL HAVING count(*) > 1 LIMIT 5""",
        [result.source_id],
    )
    assert duplicates == [], "one value per authority, measure, period and breakdown"
    # A spec's as_of is the date its authorities are matched on: every authority with a
    # value existed then (not moved onto a predecessor or a successor).
    as_of = spec_as_of(case)
    if as_of:
        wrong = query(
            loaded,
            """
            SELECT DISTINCT o.la_code FROM observation_vintages o
            JOIN authorities a USING (la_code) WHERE o.source_id = ?
            AND (o.value IS NOT NULL OR o.label IS NOT NULL)
            AND NOT (coalesce(a.valid_from, DATE '1900-01-01') <= ?::DATE
                     AND ?::DATE <= coalesce(a.valid_to, DATE '2100-01-01'))""",
            [result.source_id, as_of, as_of],
        )
        assert wrong == [], f"authorities that did not exist on {as_of}"
    # A missing value is never stored as a number.
    assert query(
        loaded,
        "SELECT count(*) FROM observation_vintages WHERE "
        "source_id = ? AND value IS NOT NULL AND missing_reason IS NOT NULL",
        [result.source_id],
    ) == [(0,)]


def stored(store) -> dict[str, list[tuple]]:
    """Everything a load leaves a user to read, in a fixed order. A total's members'
    sum is rounded: DuckDB's parallel sum of doubles is not the same to the last bit
    from one run to the next, however the members are kept."""
    return {
        "observations": store.con.execute(
            "SELECT * EXCLUDE (source_id) FROM observations ORDER BY ALL"
        ).fetchall(),
        "totals": store.con.execute(
            "SELECT * EXCLUDE (source_id) REPLACE (round(members_sum, 4) AS "
            "members_sum) FROM totals ORDER BY ALL"
        ).fetchall(),
        "measures": store.con.execute("SELECT * FROM measures ORDER BY ALL").fetchall(),
        "load_issues": store.con.execute(
            "SELECT * EXCLUDE (source_id) FROM load_issues ORDER BY ALL"
        ).fetchall(),
    }


@pytest.mark.parametrize("case", case_params())
def test_a_file_gives_the_same_values_however_they_are_kept(
    shared_data, case, monkeypatch
):
    # A large table is kept one row per file row, its values in lists; the
    # observations view must give back exactly what one row per value holds. (A long
    # table, one value per row, is always kept one row per value.)
    from lacompare.store import _ingest

    flags: dict[str, Any] = {"skip_unresolved": case.skip_unresolved}
    if case.sheet:
        flags["sheet"] = case.sheet
    kept = {}
    for form, threshold in (("cells", 1 << 62), ("rows", 0)):
        monkeypatch.setattr(_ingest, "COMPACT_VALUES", threshold)
        with open_store(":memory:") as store:
            result = ingest(
                store, shared_data / case.path, spec=case.ingest_spec(), **flags
            )
            lists = store.con.execute(
                "SELECT count(*) FROM observation_rows"
            ).fetchall()[0][0]
            assert (lists > 0) == (form == "rows" and result.layout != "long")
            kept[form] = (result.summary_lines(), stored(store))
        if result.layout == "long":
            return
    assert kept["rows"][0] == kept["cells"][0]
    for table, rows in kept["cells"][1].items():
        other = kept["rows"][1][table]
        assert len(other) == len(rows), table
        wrong = next(
            (pair for pair in zip(rows, other, strict=True) if pair[0] != pair[1]), None
        )
        assert wrong is None, f"{table}: {wrong}"


@pytest.mark.parametrize("case", case_params())
def test_every_row_names_an_authority(loaded, case):
    result = loaded(case)
    assert result.unresolved == [], [u["value"] for u in result.unresolved[:10]]


def measures_of(loaded, case: Case, like: str = "%") -> set[str]:
    rows = query(
        loaded,
        "SELECT DISTINCT measure FROM observation_vintages WHERE "
        "source_id = ? AND measure LIKE ?",
        [loaded(case).source_id, like],
    )
    return {r[0] for r in rows}


def test_specs_give_each_year_the_same_measure_ids(loaded):
    """Headings that change between editions map to one id, so years can be compared."""
    ro3 = [c for c in CASES if c.spec and c.spec.startswith("mhclg_ro3")]
    ro3_ids = [measures_of(loaded, c, "ro3_csc%") for c in ro3]
    assert len(ro3) == 3 and all(ids == ro3_ids[0] for ids in ro3_ids)
    assert len(ro3_ids[0]) == 13 * 7 + 1  # 13 service lines x C1-C7, the agency memo
    rsx = [c for c in CASES if c.spec and c.spec.startswith("mhclg_rsx")]
    rsx_ids = [measures_of(loaded, c) for c in rsx]
    assert len(rsx) == 3 and all(ids == rsx_ids[0] for ids in rsx_ids)
    assert "children_social_care_net_current_expenditure_c7_c3_c6" in rsx_ids[0]
    s251 = [measures_of(loaded, c) for c in CASES if c.spec and "s251" in c.spec]
    assert all(ids == s251[1] for ids in s251[1:])  # 2009-10 on: the same ten columns
    assert {"s251_total_expenditure", "s251_net_current_expenditure"} <= s251[0]
    for c in CASES:
        if c.spec and c.spec.startswith("dfe_cla_sfr"):
            assert "cla_at_31_march" in measures_of(loaded, c), c.id
    for c in CASES:
        if c.spec and c.spec.startswith("ofsted_ilacs_") and "2018_2024" not in c.spec:
            assert "ofsted_overall_effectiveness" in measures_of(loaded, c), c.id
    units = dict(
        query(
            loaded,
            "SELECT measure, unit FROM measures WHERE measure IN "
            "('ro3_csc_net_current_expenditure', 's251_total_expenditure', "
            "'cla_at_31_march', 'ofsted_overall_effectiveness')",
        )
    )
    assert units == {
        "ro3_csc_net_current_expenditure": "£ thousand",
        "s251_total_expenditure": "£",
        "cla_at_31_march": "children",
        "ofsted_overall_effectiveness": "category",
    }


def test_every_key_has_one_current_value_across_every_file(loaded):
    """Overlapping releases and coinciding measure ids give some keys twice; the store
    shows one of them (the later load's) and the load that superseded the other says
    so."""
    for case in CASES:
        try:
            loaded(case)
        except Exception:  # that case's own test reports it
            continue
    assert query(
        loaded,
        """SELECT count(*) FROM (SELECT 1 FROM observations
        GROUP BY la_code, measure, period, breakdown HAVING count(*) > 1)""",
    ) == [(0,)]
    superseded = query(
        loaded,
        """SELECT DISTINCT superseded_by FROM
        observation_vintages WHERE superseded_by IS NOT NULL""",
    )
    reported = {
        r[0]
        for r in query(
            loaded,
            "SELECT DISTINCT source_id FROM "
            "load_issues WHERE kind IN ('conflict', "
            "'duplicate-key')",
        )
    }
    assert {r[0] for r in superseded} <= reported


def test_reloading_a_file_replaces_it(shared_data):
    path = shared_data / "cla" / "cla_number_and_rate_per_10k_children_2021_to_2025.csv"
    with open_store(":memory:") as store:

        def counts() -> tuple[int, ...]:
            return tuple(
                store.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in ("observations", "totals", "sources", "measures")
            )

        first = ingest(store, path)
        before = counts()
        again = ingest(store, path)
        assert again.replaced == first.source_id
        assert counts() == before
        assert before[0] == first.observations == again.observations


# ------------------------------------------------------------------------------------
# Published figures, read back from the store.


CLA_2025 = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
AT_31_MARCH = "%Children looked after on 31 March%"


def cla_total(loaded, area: str, period: str, measure: str = "children_count") -> tuple:
    result = loaded(case_for(CLA_2025))
    rows = query(
        loaded,
        """
        SELECT value, check_result, members, members_sum FROM totals WHERE source_id = ?
        AND area_code = ? AND period = ? AND measure = ? AND breakdown LIKE ?""",
        [result.source_id, area, period, measure, AT_31_MARCH],
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_england_children_looked_after_at_31_march_2025(loaded):
    # Set aside with the totals, never loaded as an authority.
    assert cla_total(loaded, "E92000001", "2025", "rate_per_10000")[:2] == (
        67,
        "not-additive",
    )
    value, check, members, members_sum = cla_total(loaded, "E92000001", "2025")
    assert value == 81770
    # City of London's count is suppressed (c), so the sum of the members cannot be
    # checked: 81,766 from the other authorities.
    assert (check, members_sum) == ("incomplete", 81766)
    assert members >= 150


def test_a_region_total_agrees_with_its_authorities(loaded):
    value, check, members, members_sum = cla_total(loaded, "E12000001", "2025")
    assert (value, check, members, members_sum) == (6040, "agrees", 12, 6038)


def test_a_not_applicable_member_does_not_block_the_sum_check(loaded):
    # 2023: no suppressed authority, but Northamptonshire, Cumberland, Westmorland and
    # Furness and the Isles of Scilly carry z; the 153 counts sum to 83,750 exactly.
    value, check, _, members_sum = cla_total(loaded, "E92000001", "2023")
    assert (value, members_sum) == (83750, 83750)
    assert check == "agrees"


def test_a_suppressed_count_is_missing_never_zero(loaded):
    case = case_for(CLA_2025)
    result = loaded(case)
    rows = query(
        loaded,
        """
        SELECT value, missing_reason, raw, source_row FROM observation_vintages
        WHERE source_id = ? AND la_code = 'E09000001' AND period = '2025'
        AND measure = 'children_count'
        AND breakdown LIKE ?""",
        [result.source_id, AT_31_MARCH],
    )
    assert rows == [(None, "suppressed", "c", rows[0][3])]
    line = raw_grid(loaded, case)[rows[0][3] - 1]
    assert "City of London" in line and line[-2:] == ["c", "c"]


@dataclass(frozen=True)
class Spot:
    """A published value: where it is in the raw file, where it must be in the store."""

    path: str
    sheet: str | None
    row: dict[str, str]  # the raw row: {heading: cell as text}
    heading: str | tuple[str, ...]  # the column (or words all in its heading)
    la_code: str
    measure: str
    period: str
    published: float | str | None  # None: compared with the raw cell only
    breakdown: str = "%"

    @property
    def id(self) -> str:
        sheet = f"[{self.sheet}]" if self.sheet else ""
        return f"{self.path}{sheet}:{self.measure}:{self.la_code}"


# One authority's value per format, found in the raw file by its name or code (not by
# the stored source_row), compared with the store and with the figure as published.
SPOTS = [
    Spot(
        "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv",
        None,
        {
            "time_period": "2025",
            "la_name": "Hartlepool",
            "population_type": "Children looked after on 31 March each year",
        },
        "children_count",
        "E06000001",
        "children_count",
        "2025",
        332,
        "%Children looked after on 31 March%",
    ),
    # MHCLG revenue outturn: £ thousand, stored as printed.
    Spot(
        "spend/RO3_LA_Data_2024-25_data_by_LA.ods",
        "RO3_LA_Data_202425",
        {"ONS Code": "E08000035"},
        "TOTAL CHILDREN SOCIAL CARE - Net Current Expenditure (C7 = C3 - C6)",
        "E08000035",
        "ro3_csc_net_current_expenditure",
        "2024-25",
        256657,
    ),
    Spot(
        "spend/RO3_2022-23_data_by_LA.ods",
        "RO3_LA_Data_2022-23",
        {"ONS Code": "E06000052"},
        ("Children's social care - Children Looked After Net Current Expenditure",),
        "E06000052",
        "ro3_csc_cla_net_current_expenditure",
        "2022-23",
        45442,
    ),
    Spot(
        "spend/RSX_2023-24_data_by_LA.ods",
        "RSX_LA_Data_2023-24",
        {"ONS Code": "E06000001"},
        "Children Social Care - Net Current Expenditure (C7 = C3 - C6)",
        "E06000001",
        "children_social_care_net_current_expenditure_c7_c3_c6",
        "2023-24",
        40682,
    ),
    # DfE S251 outturn: pounds; the S251 line is the breakdown.
    Spot(
        "spend/s251_outturn_2008_09_to_2013_14/s251_outturn_1314.csv",
        None,
        {"LA": "383", "LineNumber": "16"},
        "NetCurrentExpenditure",
        "E08000035",
        "s251_net_current_expenditure",
        "2013-14",
        61166297,
        "%16 Total Children Looked After%",
    ),
    # DfE SFR underlying data (latin-1 CSVs), by name and by DfE code.
    Spot(
        "cla/historic_sfr_2010_2017/cla_2010_SFR27_March.csv",
        None,
        {"geog_n": "Cornwall"},
        "MarTotal_2010",
        "E06000052",
        "cla_at_31_march",
        "2010",
        449,
    ),
    # The 2010 file numbers England 921, Isle of Wight's DfE code: the spec matches on
    # names, so Isle of Wight has its own 179, not England's 64,400.
    Spot(
        "cla/historic_sfr_2010_2017/cla_2010_SFR27_March.csv",
        None,
        {"geog_n": "Isle of Wight"},
        "MarTotal_2010",
        "E06000046",
        "cla_at_31_march",
        "2010",
        179,
    ),
    Spot(
        "cla/historic_sfr_2010_2017/cla_2015_SFR34_CLA.csv",
        None,
        {"geog_c": "383"},
        "CLA_Mar2015",
        "E08000035",
        "cla_at_31_march",
        "2015",
        1245,
    ),
    Spot(
        IOD,
        "IDACI",
        {"Upper Tier Local Authority District code (2019)": "E06000001"},
        "IDACI - Average score",
        "E06000001",
        "idaci_average_score",
        "2019",
        0.283,
    ),
    Spot(
        MYE,
        "MYE2 - Persons",
        {"Code": "E06000052"},
        "17",
        "E06000052",
        "population_age_17",
        "2023",
        6044,
    ),
    # Matched on April 2023 boundaries: the new North Yorkshire and Cumberland.
    Spot(
        MYE,
        "MYE2 - Persons",
        {"Code": "E06000065"},
        "All ages",
        "E06000065",
        "population_all_ages",
        "2023",
        627629,
    ),
    Spot(
        MYE,
        "MYE2 - Females",
        {"Code": "E06000063"},
        "0",
        "E06000063",
        "population_female_age_0",
        "2023",
        None,
    ),
    # Ofsted judgements: categories, stored as the words.
    # An authority abolished since is matched as on its inspection date.
    Spot(
        "ofsted/ilacs_inspection_history_2018_to_2025.csv",
        None,
        {"Local authority name": "Northamptonshire"},
        "Overall effectiveness",
        "E10000021",
        "ofsted_overall_effectiveness",
        "2019-06-17",
        "Inadequate",
    ),
    Spot(
        OFSTED_2025,
        "Inspections_as_at_31_March",
        {"Local authority area code": "E08000035"},
        "Overall effectiveness",
        "E08000035",
        "ofsted_overall_effectiveness",
        "2025-03-31",
        "Outstanding",
    ),
    Spot(
        "iassn_2021/services.csv",
        None,
        {"local_authority": "Leeds"},
        "pop_0_25",
        "E08000035",
        "pop_0_25",
        "2021",
        284601,
    ),
    # LAIT: its published CLA rates equal DfE's (Cornwall 60, Leeds 85 per 10,000).
    Spot(
        "lait/lait_core_csc_measures_long.csv",
        None,
        {"measure_short": "LAC", "year": "2025", "la_number": "908"},
        "value",
        "E06000052",
        "LAC",
        "2025",
        60,
    ),
    Spot(
        "lait/lait_bds_long_0.parquet",
        None,
        {"Short Desc": "LAC", "Years": "2025", "LA Number": "383"},
        "Values",
        "E08000035",
        "LAC",
        "2025",
        85,
    ),
]


@pytest.mark.parametrize("spot", SPOTS, ids=[s.id for s in SPOTS])
def test_a_published_value_matches_the_raw_cell(loaded, spot):
    case = case_for(spot.path, spot.sheet)
    result = loaded(case)
    stored = query(
        loaded,
        """
        SELECT value, label, source_row, source_column FROM observation_vintages
        WHERE source_id = ? AND la_code = ? AND measure = ? AND period = ?
        AND breakdown LIKE ?""",
        [result.source_id, spot.la_code, spot.measure, spot.period, spot.breakdown],
    )
    assert len(stored) == 1, stored
    value, label, source_row, source_column = stored[0]
    grid = raw_grid(loaded, case)
    header, first = locate_header(grid, case)
    col = find_column(header, spot.heading)
    hits = find_rows(grid, header, first, spot.row)
    assert len(hits) == 1, hits
    cell = grid[hits[0]][col]
    if isinstance(spot.published, str):
        assert label == cell_text(cell).strip() == spot.published
    else:
        assert value == number(cell)
        assert spot.published is None or value == spot.published
    # The stored provenance points at this very cell.
    assert (source_row, source_column) == (hits[0] + 1, header[col])


def test_lait_rates_equal_the_dfe_release(loaded):
    """Two publications of one statistic agree (LAIT collates DfE's CLA rates)."""
    lait = loaded(case_for("lait/lait_core_csc_measures_long.csv"))
    ees = loaded(case_for("cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"))
    pairs = query(
        loaded,
        """
        SELECT l.value, e.value FROM observation_vintages l
        JOIN observation_vintages e USING (la_code)
        WHERE l.source_id = ? AND l.measure = 'LAC' AND l.period = '2025'
        AND e.source_id = ? AND e.measure = 'rate_per_10000' AND e.period = '2025'
        AND e.breakdown LIKE '%Children looked after on 31 March%'
        AND l.value IS NOT NULL AND e.value IS NOT NULL""",
        [lait.source_id, ees.source_id],
    )
    assert len(pairs) >= 145
    assert sum(a == b for a, b in pairs) >= 0.98 * len(pairs)


DASHBOARD_SPEND = "spend/csc_spending_per_child_2024_25_dashboard_derived.csv"
DASHBOARD_FILES = [
    DASHBOARD_SPEND,
    "spend/cla_share_of_csc_spending_2024_25_dashboard_derived.csv",
    "cin_cpp/cin_rates_per_10k_2013_to_2025_dashboard_derived.csv",
]


@pytest.mark.parametrize("path", DASHBOARD_FILES)
def test_dashboard_symbols_are_never_numbers(loaded, path):
    """The DfE dashboard codes x, c and z as -300, -100 and -400 in its numeric copies;
    the specs load the copies with the symbols, so no negative count or cost is stored.
    """
    result = loaded(case_for(path))
    for table in ("observation_vintages", "totals"):
        assert query(
            loaded,
            f"SELECT count(*) FROM {table} WHERE source_id = ? AND value < 0",
            [result.source_id],
        ) == [(0,)]
    if path == DASHBOARD_SPEND:
        # Birmingham's 2024-25 return is missing: 'x', stored as missing, not £-300k.
        rows = query(
            loaded,
            """
            SELECT measure, value, missing_reason, raw FROM observation_vintages
            WHERE source_id = ? AND la_code = 'E08000025' AND measure IN
            ('children_social_care_total_expenditure_c3_c1_c2',
             'csc_expenditure_per_child')
            ORDER BY measure""",
            [result.source_id],
        )
        assert [r[1:3] for r in rows] == [(None, "not-available")] * 2
        assert [r[3].strip() for r in rows] == ["x", "x"]


def test_dashboard_spend_is_the_published_rsx_figure(loaded):
    """The dashboard's children's social care spend is RSX 2024-25 total expenditure."""
    dashboard = loaded(case_for(DASHBOARD_SPEND))
    rsx = loaded(
        case_for("spend/RSX_LA_Data_2024-25_data_by_LA.ods", "RSX_LA_Data_202425")
    )
    pairs = query(
        loaded,
        """
        SELECT d.la_code, d.value, r.value FROM observation_vintages d
        JOIN observation_vintages r
        USING (la_code, measure) WHERE d.source_id = ? AND r.source_id = ?
        AND measure = 'children_social_care_total_expenditure_c3_c1_c2'
        AND d.value IS NOT NULL AND r.value IS NOT NULL""",
        [dashboard.source_id, rsx.source_id],
    )
    assert len(pairs) >= 145
    differ = [p for p in pairs if not math.isclose(p[1], p[2], abs_tol=0.5)]
    assert len(differ) <= 0.02 * len(pairs), differ[:5]


# ------------------------------------------------------------------------------------
# Provenance: sampled observations of every format point at their raw cell.

PROVENANCE_CASES = [
    case_for("cla/cla_number_and_rate_per_10k_children_2019_to_2023.csv"),
    case_for("cin_cpp/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"),
    case_for("spend/RO3_2022-23_data_by_LA.ods", "RO3_LA_Data_2022-23"),
    case_for("spend/RO3_LA_Data_2024-25_data_by_LA.ods", "RO3_LA_Data_202425"),
    case_for("spend/s251_outturn_2008_09_to_2013_14/s251_outturn_0809.csv"),
    case_for("spend/s251_outturn_2008_09_to_2013_14/s251_outturn_1112.csv"),
    case_for("cla/historic_sfr_2010_2017/cla_2014_SFR36_CLA.csv"),
    case_for(IOD, "IMD"),
    case_for("deprivation/iod2019_upper_tier_all_domains_wide.csv"),
    case_for(MYE, "MYE2 - Females"),
    case_for(MYE, "MYE3"),
    case_for("population/ons_mid2023_population_by_la_age_0_25.csv"),
    case_for(OFSTED_2025, "ILACS_inspection_history"),
    case_for(OFSTED_2024, "Inspections_31_March_2024"),
    case_for("ofsted/ilacs_inspection_history_2018_to_2025.csv"),
    case_for("lait/lait_bds_long_0.parquet"),
    case_for("lait/lait_core_csc_measures_long.csv"),
    case_for("iassn_2021/services.csv"),
    case_for(
        "deprivation/children_relative_low_income_ltla_with_pop0_16_2015_to_2020_"
        "derived.csv"
    ),
]


@pytest.mark.parametrize("case", PROVENANCE_CASES, ids=[c.id for c in PROVENANCE_CASES])
def test_sampled_observations_point_at_their_raw_cell(loaded, case):
    result = loaded(case)
    sample = query(
        loaded,
        """
        SELECT value, label, missing_reason, raw, source_row, source_column, la_code
        FROM observation_vintages WHERE source_id = ?
        ORDER BY hash(source_row * 7919 + length(source_column)), source_column
        LIMIT 12""",
        [result.source_id],
    )
    # Add a suppressed or otherwise missing value when the file has one.
    sample += query(
        loaded,
        """
        SELECT value, label, missing_reason, raw, source_row, source_column, la_code
        FROM observation_vintages WHERE source_id = ? AND missing_reason IS NOT NULL
        AND missing_reason <> 'blank' ORDER BY source_row, source_column LIMIT 2""",
        [result.source_id],
    )
    grid = raw_grid(loaded, case)
    header, _ = locate_header(grid, case)
    assert len(sample) >= 12
    for value, label, missing, raw, row, column, la_code in sample:
        cell = grid[row - 1][find_column(header, column)]
        text = cell_text(cell)
        if label is not None:
            assert label == text.strip(), (row, column)
        elif value is not None:
            assert math.isclose(value, number(cell), rel_tol=1e-12), (row, column, cell)
        else:
            assert missing, (row, column)
            assert (text.strip() if text else None) == (raw.strip() if raw else None), (
                row,
                column,
                cell,
                raw,
            )
        # The row names the authority the value was stored for.
        assert row_names(grid[row - 1], la_code, loaded), (row, la_code)


# ------------------------------------------------------------------------------------
# Reading raw files independently of lacompare's readers.


@cache
def raw_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    return list(csv.reader(text.splitlines()))


@cache
def raw_workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path))


@cache
def raw_sheet(path: Path, sheet: str) -> list[list[Any]]:
    return raw_workbook(path).get_sheet_by_name(sheet).to_python(skip_empty_area=False)


class ParquetRows:
    """A Parquet file's rows through DuckDB's own reader, fetched when asked for.

    Item 0 is the column names and item n the file's row n - 1, as a CSV would have
    them (lacompare numbers Parquet rows the same way).
    """

    def __init__(self, path: Path) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.source = f"read_parquet('{path}', file_row_number = true)"
        self.names = [
            r[0]
            for r in self.con.execute(
                f"DESCRIBE SELECT * FROM read_parquet('{path}')"
            ).fetchall()
        ]

    def __len__(self) -> int:
        rows = self.con.execute(f"SELECT count(*) FROM {self.source}").fetchall()
        return rows[0][0] + 1

    def __getitem__(self, index: int) -> list[Any]:
        if index == 0:
            return list(self.names)
        cols = ", ".join(f'"{n}"' for n in self.names)
        row = self.con.execute(
            f"SELECT {cols} FROM {self.source} WHERE file_row_number = ?", [index - 1]
        ).fetchall()
        return list(row[0])

    def where(self, conditions: dict[str, str]) -> list[int]:
        """Items whose cells, as text, equal the conditions."""
        sql = " AND ".join(
            f"regexp_replace(CAST(\"{k}\" AS VARCHAR), '\\.0$', '') = ?"
            for k in conditions
        )
        return [
            r[0] + 1
            for r in self.con.execute(
                f"SELECT file_row_number FROM {self.source} WHERE {sql}",
                list(conditions.values()),
            ).fetchall()
        ]


@cache
def raw_parquet(path: Path) -> ParquetRows:
    return ParquetRows(path)


def find_rows(
    grid: Any, header: list[str], first: int, conditions: dict[str, str]
) -> list[int]:
    """Indexes of the rows (from ``first``) whose cells equal the conditions."""
    if isinstance(grid, ParquetRows):
        return grid.where(conditions)
    cols = {header.index(k): v for k, v in conditions.items()}
    return [
        i
        for i in range(first, len(grid))
        if all(
            c < len(grid[i]) and cell_text(grid[i][c]).strip() == v
            for c, v in cols.items()
        )
    ]


def raw_grid(loaded, case: Case) -> list[list[Any]]:
    """The file's rows as read here (row n of the file is item n - 1)."""
    path = loaded.root / case.path
    if path.suffix == ".parquet":
        return raw_parquet(path)
    if case.sheet:
        return raw_sheet(path, case.sheet)
    return raw_csv(path)


def spec_as_of(case: Case) -> str | None:
    spec = spec_of(case)
    return spec.as_of if spec else None


def spec_header(case: Case) -> tuple[int | None, int]:
    spec = spec_of(case)
    if spec is None:
        return None, 1
    return spec.header_row, spec.header_rows


def locate_header(grid: list[list[Any]], case: Case) -> tuple[list[str], int]:
    """The headings as lacompare names them: rows joined, the upper carried right."""
    if isinstance(grid, ParquetRows):
        return grid[0], 1
    header_row, header_rows = spec_header(case)
    if header_row is None:
        # The first row with a cell in each of the first three columns.
        header_row = 1 + next(
            i
            for i, r in enumerate(grid)
            if len(r) >= 3 and all(cell_text(c) for c in r[:3])
        )
    rows = grid[header_row - 1 : header_row - 1 + header_rows]
    width = max(len(r) for r in rows)
    parts: list[list[str]] = []
    for depth, row in enumerate(rows):
        cells = [
            " ".join((cell_text(row[i]) if i < len(row) else "").split())
            for i in range(width)
        ]
        if depth < len(rows) - 1:
            last = ""
            for i, c in enumerate(cells):
                last = c or last
                cells[i] = last
        parts.append(cells)
    names = []
    for i in range(width):
        bits = list(dict.fromkeys(p[i] for p in parts if p[i]))
        names.append(" ".join(bits))
    return names, header_row - 1 + header_rows


def find_column(header: list[str], heading: str | tuple[str, ...]) -> int:
    if isinstance(heading, tuple):  # words that must all be in the heading
        hits = [i for i, h in enumerate(header) if all(w in h for w in heading)]
        assert len(hits) == 1, (heading, hits)
        return hits[0]
    return header.index(heading)


def row_names(row: list[Any], la_code: str, loaded) -> bool:
    """Whether a raw row names the authority: its ONS or DfE code, or its name."""
    found = query(
        loaded,
        "SELECT la_code, former_codes, dfe_code, la_name FROM "
        "authorities WHERE la_code = ?",
        [la_code],
    )
    assert found, la_code
    code, former, dfe, name = found[0]
    keys = {code, dfe, *re.split(r"[;, ]+", former or "")} - {"", None}
    texts = {cell_text(c).strip() for c in row}
    if keys & texts:
        return True

    def plain(text: str) -> str:
        text = text.lower().replace("&", " and ").replace("st.", "st ")
        text = re.sub(r"\b(city of|county of|ua|(pre lg))\b", " ", text)
        return " ".join(re.sub(r"[^a-z]+", " ", text).split())

    return plain(name) in {plain(t) for t in texts}


def cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        if math.isnan(cell):
            return ""
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, dt.datetime):
        if cell.time() == dt.time(0):
            return cell.date().isoformat()
        return cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


def number(cell: Any) -> float:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).strip().replace(",", "").replace("£", "").rstrip("%")
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    return float(text)


# ------------------------------------------------------------------------------------
# The five factors' new files: published figures read back.

ECONOMY = "economy/ons_els_claimant_count_rate.csv"
GDHI = "economy/ons_els_gdhi_per_head.csv"
CRIME = "crime/ons_pfa_tables_ye_jun2025_tableC2_csp.csv"
IOD2025 = "deprivation/iod2025/iod2025_upper_tier_la_published_avg_scores_DERIVED.csv"


def _els_cell(root: Path, rel: str, code: str, period: str) -> str:
    with (root / rel).open(encoding="utf-8-sig", newline="") as handle:
        return next(
            r["observation"]
            for r in csv.DictReader(handle)
            if r["areacd"] == code and r["period"] == f"{period}-01-01/P1Y"
        )


def test_claimant_rate_england_and_authorities_as_published(loaded):
    result = loaded(case_for(ECONOMY))
    # England is a published total (not computed from the authorities).
    england = query(
        loaded,
        """SELECT value, check_result FROM totals WHERE source_id = ?
        AND area_code = 'E92000001' AND period = '2023'""",
        [result.source_id],
    )
    assert england == [
        (float(_els_cell(loaded.root, ECONOMY, "E92000001", "2023")), "not-additive")
    ]
    assert england[0][0] == 3.6
    # Every current authority, every year, on current codes back-cast by ONS
    # (Cumberland in 2001; Barnsley's pre-2025 code read as Barnsley).
    assert result.authorities == 153 and len(result.periods) == 25
    for code, la in (("E06000063", "E06000063"), ("E08000016", "E08000038")):
        stored = query(
            loaded,
            """SELECT value FROM observation_vintages
            WHERE source_id = ? AND la_code = ? AND period = '2001'""",
            [result.source_id, la],
        )
        assert stored == [(float(_els_cell(loaded.root, ECONOMY, code, "2001")),)]


def test_gdhi_per_head_keeps_authorities_and_sets_aside_other_levels(loaded):
    result = loaded(case_for(GDHI))
    assert result.measures == ["gdhi_per_head"]
    assert result.authorities == 153 and result.observations == 153 * 27
    aside = " ".join(i.message for i in result.issues.of_kind("row-set-aside"))
    assert "'ITL Level 3'" in aside and "'Combined Authority or City Region'" in aside
    kensington = query(
        loaded,
        """SELECT value FROM observation_vintages
        WHERE source_id = ? AND la_code = 'E09000020' AND period = '2023'""",
        [result.source_id],
    )
    assert kensington == [(float(_els_cell(loaded.root, GDHI, "E09000020", "2023")),)]


def test_crime_is_summed_from_csps_to_upper_tier(loaded):
    result = loaded(case_for(CRIME))
    assert result.authorities == 153
    with (loaded.root / CRIME).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[8:]

    def count(text: str) -> int:
        return int(text.replace(",", "").strip())

    # Devon: its district CSP (Exeter) and the three CSPs that span several districts.
    devon_csps = {
        "Exeter",
        "East and Mid Devon",
        "North Devon",
        "South Devon and Dartmoor",
    }
    devon = sum(count(r[6]) for r in rows if r[3].strip() in devon_csps)
    # Cumberland: three of Cumbria's pre-2023 district CSPs.
    cumberland = sum(
        count(r[6]) for r in rows if r[4] in ("E07000026", "E07000028", "E07000029")
    )
    stored = dict(
        query(
            loaded,
            """SELECT la_code, value FROM observation_vintages
        WHERE source_id = ? AND measure = 'crimes_total_excluding_fraud'
        AND la_code IN ('E10000008', 'E06000063')""",
            [result.source_id],
        )
    )
    assert stored == {"E10000008": devon, "E06000063": cumberland}
    # Force totals and Unassigned rows are reported, not added to any authority.
    aside = " ".join(i.message for i in result.issues.of_kind("row-set-aside"))
    assert "set aside 85 rows with no Community Safety Partnership code" in aside


def test_iod2025_is_a_separate_edition_with_every_current_authority(loaded):
    result = loaded(case_for(IOD2025))
    assert result.authorities == 153 and result.periods == ["2025"]
    assert all(m.startswith("iod2025_") for m in result.measures)
    stored = dict(
        query(
            loaded,
            """SELECT la_code, value FROM observation_vintages
        WHERE source_id = ? AND measure = 'iod2025_idaci_average_score'
        AND la_code IN ('E06000001', 'E06000061', 'E06000064')""",
            [result.source_id],
        )
    )
    assert stored == {"E06000001": 0.494, "E06000061": 0.324, "E06000064": 0.245}
