"""Spec row steps: keep_rows (mixed geography levels) and area_lookup (CSP sums)."""

from __future__ import annotations

import duckdb
import pytest

from lacompare.errors import InputError, SpecError
from lacompare.sources import read_raw
from lacompare.sources._areas import (
    LOOKUP_HEADINGS,
    prepare_rows,
    read_area_lookup,
    select_rows,
    sum_areas,
)
from lacompare.sources.specs import IngestSpec
from lacompare.store import ingest


def _csv(tmp_path, text: str, name: str = "t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_keep_rows_sets_aside_other_levels_with_their_row_numbers(tmp_path):
    path = _csv(
        tmp_path,
        "code,geography,v\nK02000001,Country,1\n"
        "E06000001,County or Unitary Authority,2\nTLC11,ITL Level 3,3\n"
        "TLC12,ITL Level 3,4\nE08000025, local authority district ,5\n",
    )
    con = duckdb.connect()
    raw = select_rows(
        con,
        read_raw(con, path),
        {"Geography": ["County or Unitary Authority", "Local Authority District"]},
    )
    assert raw.n_rows == 2
    assert con.execute(f"SELECT c0, _row FROM {raw.relation}").fetchall() == [
        ("E06000001", 3),
        ("E08000025", 6),
    ]
    messages = sorted(i.message for i in raw.issues.of_kind("row-set-aside"))
    assert messages == [
        "set aside 1 row whose Geography is 'Country' (row 2)",
        "set aside 2 rows whose Geography is 'ITL Level 3' (rows 4, 5)",
    ]


def test_keep_rows_names_a_missing_column(tmp_path):
    path = _csv(tmp_path, "code,v\nE06000001,2\n")
    con = duckdb.connect()
    with pytest.raises(InputError, match="no column headed 'geography'"):
        select_rows(con, read_raw(con, path), {"geography": ["x"]})


def test_sum_areas_adds_csps_and_keeps_a_missing_member_missing(tmp_path):
    # Dorset's force total, BCP's two CSPs, Dorset's own CSP, an Unassigned row and a
    # Welsh CSP; one of BCP's cells is unavailable ([x]).
    path = _csv(
        tmp_path,
        "force,csp,name,crimes,homicide\n"
        'Dorset,,,"50,079 ",3\n'
        'Dorset,E22000063,Bournemouth,"18,801 ",1\n'
        'Dorset,E22000367,Dorset,"21,200 ",0\n'
        'Dorset,E22000067,Poole,"9,539 ",[x]\n'
        "Dorset,,Unassigned Dorset,539 ,0\n"
        "Gwent,W22000001,Newport,100,0\n",
    )
    con = duckdb.connect()
    raw = sum_areas(
        con, read_raw(con, path), "csp_upper_tier", "csp", ["force", "name"]
    )
    assert raw.headers == [*LOOKUP_HEADINGS, "crimes", "homicide"]
    rows = con.execute(f"SELECT * FROM {raw.relation}").fetchall()
    assert rows == [
        ("E06000058", "Bournemouth, Christchurch and Poole", "28340", "[x]", 3),
        ("E06000059", "Dorset", "21200", "0", 4),
    ]
    summed = [i.message for i in raw.issues.of_kind("rows-summed")]
    assert summed == [
        "Bournemouth, Christchurch and Poole (E06000058) is the sum of "
        "rows 3, 5 (E22000063, E22000067); its values point at row 3"
    ]
    aside = [i.message for i in raw.issues.of_kind("row-set-aside")]
    assert aside[0].startswith("set aside 2 rows with no csp")
    assert aside[0].endswith(": 2, 6")
    assert "W22000001" in aside[1] and aside[1].endswith(": 7")


def test_an_ingest_through_a_lookup_stores_the_sums_and_says_so(tmp_path):
    path = _csv(
        tmp_path,
        'csp,name,crimes\n,Cumbria,"36,869 "\n'
        'E22000031,Allerdale,"6,405 "\nE22000033,Carlisle,"10,078 "\n'
        'E22000034,Copeland,"4,666 "\nE22000032,Barrow-In-Furness,"6,063 "\n',
    )
    spec = IngestSpec.from_dict(
        {
            "source": {
                "area_lookup": "csp_upper_tier",
                "area_column": "csp",
                "exclude_columns": ["name"],
                "period": "2025-06-30",
                "unit": "crimes",
            }
        }
    )
    with __import__("lacompare").open_store(":memory:") as store:
        result = ingest(store, path, spec=spec)
        values = store.con.execute(
            "SELECT la_code, value, source_row FROM observations ORDER BY la_code"
        ).fetchall()
    # Cumbria's districts went to Cumberland and Westmorland and Furness in 2023.
    assert values == [("E06000063", 21149.0, 3), ("E06000064", 6063.0, 6)]
    text = "\n".join(result.summary_lines())
    assert "set aside 1 row with no csp" in text
    assert "1 authorities are sums of several rows" in text


def test_an_area_lookup_needs_its_column():
    con = duckdb.connect()
    spec = IngestSpec.from_dict({"source": {"area_lookup": "csp_upper_tier"}})
    with pytest.raises(SpecError, match="needs area_column"):
        prepare_rows(con, None, spec)  # type: ignore[arg-type]


def test_a_keep_rows_that_is_not_a_table_of_lists_is_refused():
    with pytest.raises(SpecError, match="keep_rows must be a table"):
        IngestSpec.from_dict({"source": {"keep_rows": {"geography": "Region"}}})


def test_the_shipped_csp_lookup_covers_every_current_authority_once_each_csp():
    from lacompare.geography import read_authorities

    lookup = read_area_lookup("csp_upper_tier")
    current = read_authorities()
    current = set(current.loc[current["valid_to"].fillna("") == "", "la_code"])
    assert {la for la, _, _ in lookup.values()} == current
    assert all(code.startswith("E22") for code in lookup)


def test_a_long_table_measure_is_renamed_by_its_spec(tmp_path, store):
    path = _csv(
        tmp_path,
        "areacd,indicator,period,observation\n"
        "E06000001,Claimant Count,2023-01-01/P1Y,4.1\n"
        "E06000001,Claimant Count,2024-01-01/P1Y,4.4\n",
    )
    spec = IngestSpec.from_dict(
        {
            "source": {
                "layout": "long",
                "la_columns": ["areacd"],
                "period_column": "period",
                "measure_column": "indicator",
                "value_column": "observation",
            },
            "measures": {
                "Claimant Count": {
                    "measure": "claimant_rate",
                    "unit": "%",
                    "polarity": "higher-is-worse",
                }
            },
        }
    )
    ingest(store, path, spec=spec)
    assert store.con.execute(
        "SELECT measure, period, value FROM observations ORDER BY period"
    ).fetchall() == [("claimant_rate", "2023", 4.1), ("claimant_rate", "2024", 4.4)]
    assert store.con.execute(
        "SELECT unit, polarity FROM measures WHERE measure = 'claimant_rate'"
    ).fetchall() == [("%", "higher-is-worse")]
