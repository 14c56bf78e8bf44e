"""The curated registry files: structure, completeness and internal consistency."""

from __future__ import annotations

import re
from datetime import date, timedelta
from importlib import resources

import pandas as pd
import pytest

from lacompare.geography import (
    read_aliases,
    read_areas,
    read_authorities,
    resolve_authority,
)
from lacompare.geography._registry import AUTHORITY_COLUMNS

REGIONS = {
    "North East": "E12000001",
    "North West": "E12000002",
    "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004",
    "West Midlands": "E12000005",
    "East of England": "E12000006",
    "London": "E12000007",
    "South East": "E12000008",
    "South West": "E12000009",
}
LA_TYPES = {"London borough", "metropolitan district", "shire county", "unitary"}

# (dfe_code, la_code or '' when no GSS code exists, valid_to, successors)
PREDECESSORS = [
    ("820", "", "2009-03-31", {"E06000055", "E06000056"}),
    ("875", "", "2009-03-31", {"E06000049", "E06000050"}),
    ("837", "E06000028", "2019-03-31", {"E06000058"}),
    ("836", "E06000029", "2019-03-31", {"E06000058"}),
    ("835", "E10000009", "2019-03-31", {"E06000059", "E06000058"}),
    ("825", "E10000002", "2020-03-31", {"E06000060"}),
    ("928", "E10000021", "2021-03-31", {"E06000061", "E06000062"}),
    ("909", "E10000006", "2023-03-31", {"E06000063", "E06000064"}),
    ("815", "E10000023", "2023-03-31", {"E06000065"}),
    ("933", "E10000027", "2023-03-31", {"E06000066"}),
]


@pytest.fixture(scope="module")
def reg() -> pd.DataFrame:
    return read_authorities()


@pytest.fixture(scope="module")
def current(reg: pd.DataFrame) -> pd.DataFrame:
    return reg[reg["valid_to"] == ""]


def _key(row: pd.Series) -> str:
    return row["la_code"] or row["dfe_code"]


def _codes(text: str) -> set[str]:
    return {c for c in text.split(";") if c}


def test_columns_are_exactly_the_documented_ones(reg: pd.DataFrame) -> None:
    assert tuple(reg.columns) == AUTHORITY_COLUMNS


def test_exactly_153_current_authorities(current: pd.DataFrame) -> None:
    assert len(current) == 153
    assert current["dfe_code"].is_unique
    assert current["la_code"].is_unique


def test_every_current_row_has_codes_region_and_type(current: pd.DataFrame) -> None:
    for col in ("la_code", "dfe_code", "la_name", "region", "region_code", "la_type"):
        assert (current[col] != "").all(), col
    assert current["la_code"].str.match(r"^E(06|08|09|10)\d{6}$").all()
    assert current["dfe_code"].str.match(r"^\d{3}$").all()


def test_city_of_london_and_isles_of_scilly_are_present(current: pd.DataFrame) -> None:
    rows = current.set_index("la_code")
    assert rows.loc["E09000001", ["dfe_code", "la_name", "london_region"]].tolist() == [
        "201",
        "City of London",
        "Inner London",
    ]
    assert rows.loc["E06000053", ["dfe_code", "la_name"]].tolist() == [
        "420",
        "Isles of Scilly",
    ]


def test_regions_types_and_london_split_are_valid(reg: pd.DataFrame) -> None:
    assert set(reg["la_type"]) <= LA_TYPES
    assert (reg["region"].map(REGIONS) == reg["region_code"]).all()
    london = reg["region"] == "London"
    assert set(reg.loc[london, "london_region"]) == {"Inner London", "Outer London"}
    assert (reg.loc[~london, "london_region"] == "").all()
    # DfE's Inner London is ONS's statistical one: Haringey, Newham in; Greenwich out.
    split = reg.set_index("dfe_code")["london_region"]
    assert split["309"] == split["316"] == "Inner London"
    assert split["203"] == "Outer London"
    assert (reg.loc[london, "la_type"] == "London borough").all()


def test_codes_are_unique(reg: pd.DataFrame) -> None:
    gss = [c for c in reg["la_code"] if c]
    former = [c for cs in reg["former_codes"] for c in _codes(cs)]
    assert len(gss + former) == len(set(gss + former))
    keys = reg.apply(_key, axis=1)
    assert keys.is_unique
    # A DfE code is shared only by successive entities of one authority.
    for dfe, rows in reg.groupby("dfe_code"):
        if len(rows) > 1:
            spans = sorted(zip(rows["valid_from"], rows["valid_to"], strict=True))
            assert spans[0][1] and spans[1][0], dfe
            end = date.fromisoformat(spans[0][1])
            assert date.fromisoformat(spans[1][0]) == end + timedelta(days=1), dfe


@pytest.mark.parametrize(("dfe", "la_code", "valid_to", "successors"), PREDECESSORS)
def test_every_predecessor_is_recorded(
    reg: pd.DataFrame, dfe: str, la_code: str, valid_to: str, successors: set[str]
) -> None:
    rows = reg[(reg["dfe_code"] == dfe) & (reg["valid_to"] != "")]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["la_code"] == la_code
    assert row["valid_to"] == valid_to
    assert _codes(row["successors"]) == successors
    assert row["la_type"] in LA_TYPES and row["region"] in REGIONS
    assert (
        row["change_date"]
        == (date.fromisoformat(valid_to) + timedelta(days=1)).isoformat()
    )


def test_predecessor_and_successor_links_are_symmetric(reg: pd.DataFrame) -> None:
    rows = {_key(r): r for _, r in reg.iterrows()}
    for key, row in rows.items():
        for succ in _codes(row["successors"]):
            assert succ in rows, (key, succ)
            assert key in _codes(rows[succ]["predecessors"]), (key, succ)
            assert rows[succ]["valid_from"], succ
            assert date.fromisoformat(rows[succ]["valid_from"]) == date.fromisoformat(
                row["valid_to"]
            ) + timedelta(days=1)
        for pred in _codes(row["predecessors"]):
            assert pred in rows, (key, pred)
            assert key in _codes(rows[pred]["successors"]), (key, pred)


def test_dates_are_iso_and_ordered(reg: pd.DataFrame) -> None:
    for col in ("valid_from", "valid_to", "change_date"):
        filled = reg.loc[reg[col] != "", col]
        assert filled.map(lambda s: bool(re.match(r"^\d{4}-\d{2}-\d{2}$", s))).all(), (
            col
        )
        filled.map(date.fromisoformat)
    both = reg[(reg["valid_from"] != "") & (reg["valid_to"] != "")]
    assert (both["valid_from"] < both["valid_to"]).all()
    assert (reg.loc[reg["valid_from"] != "", "valid_from"] > "1998-04-01").all()


def test_recodes_keep_one_row_with_former_codes(reg: pd.DataFrame) -> None:
    rows = reg.set_index("dfe_code")
    assert rows.loc["370", ["la_code", "former_codes"]].tolist() == [
        "E08000038",
        "E08000016",
    ]
    assert rows.loc["373", ["la_code", "former_codes"]].tolist() == [
        "E08000039",
        "E08000019",
    ]
    assert rows.loc["390", "former_codes"] == "E08000020"
    assert rows.loc["929", "former_codes"] == "E06000048"


def test_2009_unitaries_without_county_code_record_the_change(
    reg: pd.DataFrame,
) -> None:
    rows = reg.set_index("dfe_code")
    for dfe in ("908", "840", "929", "893", "865"):
        assert rows.loc[dfe, "change_date"] == "2009-04-01", dfe
        assert "never had a GSS code" in rows.loc[dfe, "change_note"], dfe
        assert rows.loc[dfe, "la_type"] == "unitary"


def test_data_files_start_with_provenance_comments() -> None:
    for name in ("authorities.csv", "aliases.csv", "areas.csv"):
        text = (
            resources.files("lacompare.geography")
            .joinpath("data", name)
            .read_text("utf-8")
        )
        head = text.splitlines()[0]
        assert head.startswith("# "), name
        comments = [line for line in text.splitlines() if line.startswith("# ")]
        assert any("Columns" in line for line in comments), name
        assert any("ource" in line for line in comments), name


def test_aliases_point_at_registry_entities_and_resolve_there() -> None:
    reg = read_authorities()
    keys = set(reg["la_code"]) | set(reg.loc[reg["la_code"] == "", "dfe_code"])
    aliases = read_aliases()
    assert list(aliases.columns) == ["alias", "la_code", "kind", "note"]
    assert set(aliases["kind"]) <= {"variant", "combined"}
    assert aliases["alias"].is_unique
    for row in aliases.itertuples():
        assert row.la_code in keys, row.alias
        m = resolve_authority(row.alias)
        assert m.la_code == row.la_code, row.alias
        if row.kind == "combined":
            assert row.note and m.note.startswith(row.note), row.alias


def test_areas_file_is_consistent() -> None:
    areas = read_areas()
    assert {"name", "area_code", "area_name", "area_type", "dfe_codes", "note"} <= set(
        areas.columns
    )
    assert areas["name"].is_unique
    codes = areas.loc[areas["area_code"] != "", "area_code"]
    assert codes.str.match(r"^[EKWSN]\d{8}$").all()
    named = areas[areas["area_type"] == "region"].drop_duplicates("area_code")
    assert dict(zip(named["area_name"], named["area_code"], strict=True)) == REGIONS
    # No DfE area number may collide with an authority's DfE code.
    dfe = {c for cs in areas["dfe_codes"] for c in _codes(cs)}
    assert not dfe & set(read_authorities()["dfe_code"])
    assert {"970", "999", "1000"} <= dfe
