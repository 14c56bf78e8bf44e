"""Lower-tier districts: the curated file, the matcher and the ONS code types.

The file is checked against the public sources it was written from (ONS LTLA-UTLA
April 2023 lookup, mySociety's register) and against the authority registry; the
matcher against every name in the DWP children-in-low-income files, which mix
upper-tier authorities, districts (including those abolished in 2019-2023) and
Welsh, Scottish and Northern Irish areas.
"""

from __future__ import annotations

import doctest
import re
from collections.abc import Callable
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lacompare.geography._districts as districts_module
from lacompare.geography import (
    ONS_CODE_TYPES,
    DistrictMatch,
    match_district,
    match_districts,
    normalise_name,
    ons_code_type,
    read_areas,
    read_authorities,
    read_district_aliases,
    read_districts,
    resolve_authority,
)
from lacompare.geography._districts import DISTRICT_COLUMNS

DISTRICT_CODE = re.compile(r"^E07\d{6}$")
UPPER_TIER_CODE = re.compile(r"^E(06|08|09|10)\d{6}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Districts abolished since 2009, by the day their successors took over.
ABOLISHED = {
    "2019-04-01": {
        # Dorset: Christchurch into BCP, the other five into Dorset Council.
        "E07000048": "E06000058",
        "E07000049": "E06000059",
        "E07000050": "E06000059",
        "E07000051": "E06000059",
        "E07000052": "E06000059",
        "E07000053": "E06000059",
        # Suffolk mergers.
        "E07000201": "E07000245",  # Forest Heath -> West Suffolk
        "E07000204": "E07000245",  # St Edmundsbury -> West Suffolk
        "E07000205": "E07000244",  # Suffolk Coastal -> East Suffolk
        "E07000206": "E07000244",  # Waveney -> East Suffolk
        # Taunton Deane + West Somerset -> Somerset West and Taunton.
        "E07000190": "E07000246",
        "E07000191": "E07000246",
    },
    "2020-04-01": dict.fromkeys(
        ["E07000004", "E07000005", "E07000006", "E07000007"], "E06000060"
    ),
    "2021-04-01": {
        **dict.fromkeys(
            ["E07000150", "E07000152", "E07000153", "E07000156"], "E06000061"
        ),
        **dict.fromkeys(["E07000151", "E07000154", "E07000155"], "E06000062"),
    },
    "2023-04-01": {
        **dict.fromkeys(["E07000026", "E07000028", "E07000029"], "E06000063"),
        **dict.fromkeys(["E07000027", "E07000030", "E07000031"], "E06000064"),
        **dict.fromkeys([f"E07000{n}" for n in range(163, 170)], "E06000065"),
        **dict.fromkeys(
            ["E07000187", "E07000188", "E07000189", "E07000246"], "E06000066"
        ),
    },
}
# mySociety alt-names (normalised) that are deliberately not district aliases.
NOT_ALIASES = {
    "adur and worthing": "joint arrangement of Adur and Worthing "
    "districts; a row for it covers two districts and is given to neither",
}
# Labels in the DWP low-income files that are neither an authority nor a district
# and are not the name of a Welsh, Scottish or Northern Irish area.
DWP_OTHER_LABELS = {
    "Total": "UK total row (resolve_authority: total-row)",
    "Unknown": "residual row for children not placed in an area (total-row)",
}
DWP_CAPTION = "National - Regional - LA - OAs"  # geography caption, not an area
DWP_COUNTS = (
    "deprivation/dwp_children_relative_low_income_ltla_counts_fye2015_to_fye2022.csv"
)
DWP_DERIVED = (
    "deprivation/"
    "children_relative_low_income_ltla_with_pop0_16_2015_to_2020_derived.csv"
)


@pytest.fixture(scope="module")
def dist() -> pd.DataFrame:
    return read_districts()


@pytest.fixture(scope="module")
def reg() -> pd.DataFrame:
    return read_authorities()


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


# --- the file ---------------------------------------------------------------------


def test_file_has_provenance_comments_and_columns(dist: pd.DataFrame) -> None:
    for name in ("districts.csv", "district_aliases.csv"):
        text = (
            resources.files("lacompare.geography")
            .joinpath("data", name)
            .read_text("utf-8")
        )
        lines = text.splitlines()
        assert lines[0].startswith("# "), name
        comments = [line for line in lines if line.startswith("# ")]
        assert any("Columns" in line for line in comments), name
        assert any("Sources" in line for line in comments), name
    assert tuple(dist.columns) == DISTRICT_COLUMNS


def test_codes_names_and_dates_are_well_formed(dist: pd.DataFrame) -> None:
    assert dist["district_code"].str.match(DISTRICT_CODE).all()
    codes = list(dist["district_code"])
    for former in dist["former_codes"]:
        codes += [c for c in former.split(";") if c]
    assert len(codes) == len(set(codes)), "a code names two districts"
    assert all(DISTRICT_CODE.match(c) for c in codes)
    keys = dist["district_name"].map(normalise_name)
    assert keys.is_unique and (keys != "").all()
    for col in ("valid_from", "valid_to"):
        assert dist[col].map(lambda v: v == "" or bool(ISO.match(v))).all(), col
    both = dist[(dist["valid_from"] != "") & (dist["valid_to"] != "")]
    assert (both["valid_from"] < both["valid_to"]).all()
    # Only districts created in the 2019 mergers start after the 2009 horizon.
    started = dist.loc[dist["valid_from"] != "", "district_code"]
    assert set(started) == {"E07000244", "E07000245", "E07000246"}
    assert set(dist.loc[dist["valid_from"] != "", "valid_from"]) == {"2019-04-01"}


def test_counts_current_and_abolished(dist: pd.DataFrame) -> None:
    current = dist[dist["valid_to"] == ""]
    assert len(current) == 164
    assert len(dist) - len(current) == sum(len(v) for v in ABOLISHED.values()) == 40


def test_abolished_districts_carry_valid_to_and_successor(
    dist: pd.DataFrame, reg: pd.DataFrame
) -> None:
    rows = dist.set_index("district_code")
    expected = {
        code: (day, succ)
        for day, group in ABOLISHED.items()
        for code, succ in group.items()
    }
    abolished = rows[rows["valid_to"] != ""]
    assert set(abolished.index) == set(expected)
    authorities = reg.set_index("la_code")
    for code, row in abolished.iterrows():
        day, successor = expected[code]
        assert _day(row["valid_to"]) == date.fromisoformat(day) - timedelta(days=1)
        assert row["successor"] == successor, code
        assert row["note"].startswith("abolished") or code == "E07000246", code
        # The successor exists from the next day, as a district or as an authority.
        if successor in rows.index:
            assert rows.loc[successor, "valid_from"] == day, code
        else:
            assert authorities.loc[successor, "valid_from"] == day, code
    current = rows[rows["valid_to"] == ""]
    assert (current["successor"] == "").all()


def test_county_codes_exist_in_the_registry(
    dist: pd.DataFrame, reg: pd.DataFrame
) -> None:
    authorities = reg.set_index("la_code")
    for row in dist.itertuples():
        assert row.county_code in authorities.index, row.district_name
        county = authorities.loc[row.county_code]
        assert county["la_type"] == "shire county", row.district_name
        assert county["dfe_code"] == row.county_dfe_code, row.district_name
        # The county outlived (or lived as long as) each of its districts.
        if row.valid_to == "":
            assert county["valid_to"] == "", row.district_name
        else:
            assert county["valid_to"] == "" or county["valid_to"] >= row.valid_to
    # Every current shire county has districts; the 2009 counties had none since.
    shire = reg[(reg["la_type"] == "shire county") & (reg["la_code"] != "")]
    assert set(dist["county_code"]) == set(shire["la_code"])


def test_every_district_matches_itself_and_is_no_authority(dist: pd.DataFrame) -> None:
    for row in dist.itertuples():
        day = _day(row.valid_to) or _day(row.valid_from) or date(2015, 3, 31)
        for value in (row.district_name, row.district_code, row.district_code.lower()):
            m = match_district(value, as_of=day)
            assert m is not None, value
            assert (m.district_code, m.county_code) == (
                row.district_code,
                row.county_code,
            )
            assert m.note == "", (value, m.note)
        assert match_district(row.district_name).match == "exact"
        assert not resolve_authority(row.district_name, as_of=day).resolved
        assert not resolve_authority(row.district_name).resolved
        for former in filter(None, row.former_codes.split(";")):
            m = match_district(former)
            assert m is not None and m.district_code == row.district_code
            assert m.note.startswith(f"{former} is a former code")


def test_aliases_point_at_districts() -> None:
    aliases = read_district_aliases()
    codes = set(read_districts()["district_code"])
    assert list(aliases.columns) == ["alias", "district_code", "note"]
    assert aliases["alias"].is_unique
    for row in aliases.itertuples():
        assert row.district_code in codes, row.alias
        m = match_district(row.alias)
        assert m is not None and m.district_code == row.district_code, row.alias
        assert m.match == "alias"
        assert not resolve_authority(row.alias).resolved, row.alias


# --- against the sources ----------------------------------------------------------


def test_current_districts_are_the_2023_ons_lookup(
    dist: pd.DataFrame,
    shared_csv: Callable[[str], pd.DataFrame],
) -> None:
    lookup = shared_csv("la_lookup/LTLA-UTLA_Apr23_Lookup_England-Wales.csv")
    e07 = lookup[lookup["LTLA23CD"].str.match(DISTRICT_CODE)].set_index("LTLA23CD")
    assert len(e07) == 164
    rows = dist.set_index("district_code")
    current = set(rows.index[rows["valid_to"] == ""])
    assert set(e07.index) == current
    for code, ons in e07.iterrows():
        assert rows.loc[code, "county_code"] == ons["UTLA23CD"], code
        assert normalise_name(rows.loc[code, "district_name"]) == normalise_name(
            ons["LTLA23NM"]
        )


def test_file_agrees_with_mysociety(
    dist: pd.DataFrame,
    shared_csv: Callable[[str], pd.DataFrame],
) -> None:
    ms = shared_csv("la_lookup/mysociety_uk_local_authorities_current.csv")
    gss = dict(zip(ms["local-authority-code"], ms["gss-code"], strict=True))
    nmd = ms[ms["local-authority-type"] == "NMD"].set_index("gss-code")
    rows = dist.set_index("district_code")
    assert set(nmd.index) == set(rows.index)
    for code, r in nmd.iterrows():
        row = rows.loc[code]
        assert row["former_codes"] == r["former-gss-codes"].replace(",", ";"), code
        assert row["successor"] == gss.get(r["replaced-by"], ""), code
        end = _day(r["end-date"])
        if end is None:
            assert row["valid_to"] == "", code
        else:
            # mySociety gives the last day or the first day after; we the last day.
            assert _day(row["valid_to"]) in (end, end - timedelta(days=1)), code
        county = gss[r["county-la"]]
        if code == "E07000201":
            # mySociety's county-la for Forest Heath is SRY (Surrey), a slip.
            assert county == "E10000030" and row["county_code"] == "E10000029"
            assert "Suffolk" in row["note"]
        else:
            assert row["county_code"] == county, code
        names = {r["nice-name"], r["official-name"]} | set(r["alt-names"].split(","))
        for name in filter(None, names):
            if normalise_name(name) in NOT_ALIASES:
                assert match_district(name) is None
                continue
            m = match_district(name)
            assert m is not None and m.district_code == code, name


def test_2021_ltla_codes_in_dwp_derived_file_are_covered(
    dist: pd.DataFrame,
    shared_csv: Callable[[str], pd.DataFrame],
) -> None:
    frame = shared_csv(DWP_DERIVED)
    e07 = set(frame.loc[frame["ltla21_code"].str.match(DISTRICT_CODE), "ltla21_code"])
    assert len(e07) == 181
    assert e07 <= set(dist["district_code"])
    # The 2021 districts are the 2023 ones plus those abolished on 1 April 2023.
    alive_2022 = dist[(dist["valid_to"] == "") | (dist["valid_to"] >= "2022-03-31")]
    assert e07 == set(alive_2022["district_code"])


# --- the DWP low-income files: every name is an authority or a district ------------


def _non_english_names(shared_csv: Callable[[str], pd.DataFrame]) -> set[str]:
    """Normalised names of Welsh, Scottish and Northern Irish council areas."""
    ms = shared_csv("la_lookup/mysociety_uk_local_authorities_current.csv")
    other = ms[ms["nation"].isin(["Wales", "Scotland", "Northern Ireland"])]
    names = set(other["nice-name"]) | set(other["official-name"])
    for alt in other["alt-names"]:
        names |= set(alt.split(","))
    return {normalise_name(n) for n in names if n}


def _classify(name: str, day: date | None, non_english: set[str]) -> tuple[str, str]:
    """('authority'|'district'|'both'|'non-English'|'area'|'neither', detail)."""
    a = resolve_authority(name, as_of=day)
    d = match_district(name, as_of=day)
    if a.resolved and d is not None:
        return "both", f"{a.la_code} and {d.district_code}"
    if a.resolved:
        return "authority", str(a.la_code)
    if d is not None:
        return "district", d.district_code
    # UK-wide files print Welsh areas bilingually ('Cardiff / Caerdydd').
    if normalise_name(name.split(" / ")[0]) in non_english:
        return "non-English", ""
    if name in DWP_OTHER_LABELS and a.match == "total-row":
        return "area", DWP_OTHER_LABELS[name]
    return "neither", a.note


def test_dwp_low_income_counts_names_are_authorities_or_districts(
    shared_csv: Callable[[str], pd.DataFrame],
) -> None:
    frame = shared_csv(DWP_COUNTS)
    # A Stat-Xplore export: the first column (headed 'Year') holds the area names;
    # the years are the other headers. The caption row under the header has no data.
    name_col = frame.columns[0]
    years = [c for c in frame.columns[1:] if re.fullmatch(r"\d{4}/\d{2}( \(p\))?", c)]
    assert name_col == "Year" and len(years) == 8
    data = frame[(frame[years] != "").any(axis=1)]
    assert DWP_CAPTION in set(frame[name_col]) - set(data[name_col])
    names = [str(n).strip() for n in data[name_col]]
    assert len(names) == len(set(names)) == 376
    non_english = _non_english_names(shared_csv)
    found: dict[str, list[str]] = {}
    # FYE2015 to FYE2022: the names are 2021 geography throughout.
    for day in (None, date(2015, 3, 31), date(2022, 3, 31)):
        for name in names:
            kind, detail = _classify(name, day, non_english)
            found.setdefault(kind, []).append(f"{name!r} {day}: {detail}")
    assert "both" not in found, found.get("both")
    assert "neither" not in found, found.get("neither")
    per_day = {k: len(v) // 3 for k, v in found.items()}
    assert per_day == {
        "authority": 128,  # 59 unitaries, 36 metropolitan districts, 33 London
        "district": 181,
        "non-English": 65,  # 22 Welsh, 32 Scottish, 11 Northern Irish areas
        "area": 2,
    }


def test_dwp_derived_file_names_and_codes_agree(
    shared_csv: Callable[[str], pd.DataFrame],
) -> None:
    frame = shared_csv(DWP_DERIVED)
    rows = frame[["ltla21_name", "ltla21_code", "year"]].drop_duplicates()
    non_english = _non_english_names(shared_csv)
    problems = []
    for name, code, year in rows.itertuples(index=False):
        day = date(int(float(year)), 3, 31)
        kind, detail = _classify(name, day, non_english)
        if DISTRICT_CODE.match(code):
            by_code = match_district(code, as_of=day)
            ok = kind == "district" and by_code is not None
            ok = ok and by_code.district_code == detail
        elif UPPER_TIER_CODE.match(code):
            # The file back-casts 2021 codes: E06000060 (Buckinghamshire Council,
            # 2020) on 2015 rows, where the name means the county council.
            by_name = resolve_authority(name, as_of=day)
            code_match = resolve_authority(code)
            ok = kind == "authority" and (
                by_name.la_code == code_match.la_code
                or normalise_name(str(by_name.la_name))
                == normalise_name(str(code_match.la_name))
            )
        else:
            ok = kind == "non-English" and ons_code_type(code) in (
                "Welsh unitary authority",
                "Scottish council area",
            )
        if not ok:
            problems.append(f"{name!r} {code} {day}: {kind} {detail}")
    assert problems == []


# --- matching behaviour ------------------------------------------------------------


def test_names_of_authorities_are_never_districts() -> None:
    # Bedford was a district until 2009 and is a unitary since; Northampton and
    # Stafford are districts but Northamptonshire and Staffordshire are counties.
    for name in ("Bedford", "Bedford Borough Council", "Derby", "Leeds", "Cumbria"):
        for day in (None, "2008-03-31", "2015-03-31", "2024-03-31"):
            assert match_district(name, as_of=day) is None, (name, day)
    assert match_district("Northampton").district_code == "E07000154"
    assert match_district("Stafford BC").district_code == "E07000197"


def test_shared_name_is_a_district_only_when_the_authority_is_not_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rule for a name shared by a district and an authority, on a made-up
    district called Poole (Poole unitary, E06000029, ended 2019-03-31)."""
    idx = districts_module._Index()
    idx.districts["E07999999"] = districts_module.District(
        code="E07999999",
        former_codes=(),
        name="Poole",
        county_code="E10000009",
        valid_from=date(2019, 4, 1),
        valid_to=None,
        successor="",
        note="",
    )
    idx.by_code["E07999999"] = "E07999999"
    idx.by_name["poole"].append("E07999999")
    monkeypatch.setattr(districts_module, "_index", lambda: idx)
    districts_module._match_text.cache_clear()
    try:
        assert match_district("Poole") is None  # no date: any authority wins
        assert match_district("Poole", as_of="2018-03-31") is None
        m = match_district("Poole", as_of="2020-03-31")
        assert m is not None and m.district_code == "E07999999" and m.note == ""
    finally:
        districts_module._match_text.cache_clear()


def test_validity_notes_name_successors_and_predecessors() -> None:
    m = match_district("Allerdale", as_of="2024-03-31")
    assert m is not None and m.match == "exact"
    assert m.note == (
        "existed until 2023-03-31 (abolished 2023-04-01), not on 2024-03-31;"
        " successor Cumberland (E06000063)"
    )
    assert match_district("Allerdale").note.startswith("abolished 2023-04-01")
    m = match_district("Taunton Deane")
    assert m is not None and "Somerset West and Taunton (E07000246)" in m.note
    m = match_district("East Suffolk", as_of="2018-03-31")
    assert m is not None
    assert m.note == (
        "existed from 2019-04-01, not on 2018-03-31; predecessors"
        " Suffolk Coastal (E07000205), Waveney (E07000206)"
    )
    # A code names its district whatever the date, with the note.
    m = match_district("E07000163", as_of=date(2024, 3, 31))
    assert m is not None and m.match == "code" and "not on 2024-03-31" in m.note


def test_spelling_variants_and_odd_values() -> None:
    cases = {
        "Kings Lynn & West Norfolk": "E07000146",
        "King's Lynn and West Norfolk Borough Council": "E07000146",
        "City of Lincoln Council": "E07000138",
        "St. Edmundsbury Borough Council": "E07000204",
        "Stratford-on-Avon District Council": "E07000221",
        "South Bucks District Council": "E07000006",
        "Folkestone & Hythe": "E07000112",
        "  Mendip  ": "E07000187",
        "Somerset West & Taunton": "E07000246",
        "Hart DC": "E07000089",
        "e07000097": "E07000242",
    }
    for value, code in cases.items():
        m = match_district(value)
        assert m is not None and m.district_code == code, value
    for value in (None, float("nan"), pd.NA, "", "   ", 909, "909", "E06000063"):
        assert match_district(value) is None, value
    # No fuzzy guessing: a misspelling is not a district.
    assert match_district("Alerdale") is None
    assert match_district("Stratford-upon-Avon") is None
    with pytest.raises(ValueError):
        match_district("Eden", as_of="31/03/2020")


def test_match_districts_keeps_order_dedupes_and_is_fast() -> None:
    values = ["Eden", "Leeds", None, "eden", np.nan, "E07000030", "Eden"]
    found = match_districts(values)
    assert [m and m.district_code for m in found] == [
        "E07000030",
        None,
        None,
        "E07000030",
        None,
        "E07000030",
        "E07000030",
    ]
    assert found[0] is found[6]
    assert isinstance(found[0], DistrictMatch)
    series = pd.Series(["Mendip", "Mendip"], index=[10, 20])
    assert [m.district_code for m in match_districts(series, "2021-03-31")] == [
        "E07000187",
        "E07000187",
    ]
    names = list(read_districts()["district_name"]) + ["Leeds", "Kent", "Cardiff"]
    many = names * 500
    out = match_districts(many, as_of="2022-03-31")
    assert len(out) == len(many)
    assert sum(m is not None for m in out) == 204 * 500


# --- ONS code types ----------------------------------------------------------------


def test_ons_code_types_table() -> None:
    assert all(re.fullmatch(r"[EWSNK]\d{2}", p) for p in ONS_CODE_TYPES)
    assert not {"E06", "E08", "E09", "E10"} & set(ONS_CODE_TYPES)
    assert ons_code_type("E07000026") == "non-metropolitan district"
    assert ons_code_type(" e13000001 ") == "Inner or Outer London"
    assert ons_code_type("K04000001") == "England and Wales"
    for value in ("E06000063", "E10000006", "E0700002", "Cumbria", "909", None, 3.5):
        assert ons_code_type(value) is None, value
    # Every area code in the registry's area table has a type.
    for code in read_areas()["area_code"]:
        if code:
            assert ons_code_type(code) is not None, code


def test_every_gss_code_in_mhclg_outturn_is_upper_tier_or_typed(
    shared_data: Path,
    read_sheets: Callable[[Path], dict[str, list[list[str]]]],
) -> None:
    """MHCLG RO3/RSX 2024-25 list districts, police, fire, national parks, combined
    and waste authorities next to the upper tier: each code is upper tier or typed,
    and each E07 row is a current district by name and by code."""
    path = shared_data / "spend" / "RO3_LA_Data_2024-25_data_by_LA.ods"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    sheets = read_sheets(path)
    rows = next(r for name, r in sheets.items() if name.startswith("RO3_LA_Data"))
    seen: dict[str, set[str]] = {}
    districts: set[str] = set()
    for row in rows:
        for i, cell in enumerate(row[:8]):
            code = cell.strip()
            if not re.fullmatch(r"[EWSNK]\d{8}", code):
                continue
            if not UPPER_TIER_CODE.match(code):
                kind = ons_code_type(code)
                assert kind is not None, code
                seen.setdefault(kind, set()).add(code)
            if DISTRICT_CODE.match(code):
                name = row[i + 1]
                m = match_district(name, as_of="2025-03-31")
                assert m is not None and m.district_code == code, name
                districts.add(code)
    current = read_districts().query("valid_to == ''")["district_code"]
    assert districts == set(current)
    assert {
        "police force area",
        "fire and rescue authority",
        "national park",
        "combined authority",
        "waste disposal authority",
    } <= set(seen)


# --- doctests ----------------------------------------------------------------------


def test_doctests_of_the_districts_module() -> None:
    result = doctest.testmod(districts_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 15
