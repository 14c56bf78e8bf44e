"""The registry and matcher against every lookup in ../shared/data/la_lookup."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from lacompare.geography import normalise_name, read_authorities, resolve_authority

pytestmark = pytest.mark.shared

LOOKUP = "la_lookup"
TYPES = {
    "ILB": "London borough",
    "OLB": "London borough",
    "MD": "metropolitan district",
    "SC": "shire county",
    "UA": "unitary",
}
UPPER_TIER = ("E06", "E08", "E09", "E10")


@pytest.fixture(scope="module")
def registry_rows() -> pd.DataFrame:
    return read_authorities()


def _entity(
    value: object, as_of: date | str | None = None
) -> tuple[str | None, str | None]:
    """(la_code, dfe_code) of what a value resolves to; fails loudly on 'none'."""
    m = resolve_authority(value, as_of=as_of)  # type: ignore[arg-type]
    assert m.resolved, (value, as_of, m)
    return m.la_code, m.dfe_code


def test_dashboard_153_list(
    shared_data: Path,
    read_csv: Callable[[Path], pd.DataFrame],
    registry_rows: pd.DataFrame,
) -> None:
    lst = read_csv(shared_data / LOOKUP / "csc_dashboard_la_list_153.csv")
    assert len(lst) == 153
    seen = set()
    for row in lst.itertuples():
        by_ons = _entity(row.new_la_code)
        assert _entity(row.old_la_code) == by_ons, row
        assert _entity(row.la_name) == by_ons, row
        m = resolve_authority(row.new_la_code)
        assert m.note == "" or "former code" in m.note, row  # all current
        expected_region = (
            "London" if row.region_name.endswith("London") else row.region_name
        )
        assert m.region == expected_region, row
        assert m.london_region == row.region_name, row
        seen.add(by_ons)
    current = registry_rows[registry_rows["valid_to"] == ""]
    assert seen == set(zip(current["la_code"], current["dfe_code"], strict=True))


def test_upper_tier_lookup_158_rows(
    shared_data: Path,
    read_csv: Callable[[Path], pd.DataFrame],
    registry_rows: pd.DataFrame,
) -> None:
    lk = read_csv(shared_data / LOOKUP / "upper_tier_la_lookup_dfe_ons_derived.csv")
    assert len(lk) == 158
    regions = dict(
        zip(registry_rows["region"], registry_rows["region_code"], strict=True)
    )
    for rec in lk.to_dict("records"):
        row = pd.Series(rec)
        abolished = row.valid_to != ""
        as_of = row.valid_to or None
        # Every ONS code DfE used for this DfE code names an entity with that DfE code.
        for code in row.ons_codes_seen_in_dfe_files.split(";"):
            assert _entity(code)[1] == row.old_la_code, (row.old_la_code, code)
        la_code, dfe = _entity(row.new_la_code)
        assert dfe == row.old_la_code
        assert _entity(row.old_la_code, as_of) == (la_code, dfe), row.old_la_code
        for name in (
            row.la_name,
            row.lait_name,
            row["ms_official-name"],
            row["ms_nice-name"],
        ):
            if name:
                assert _entity(name, as_of) == (la_code, dfe), (row.old_la_code, name)
        m = resolve_authority(row.new_la_code)
        assert regions[m.region] == row.region_code, row.old_la_code
        if row.london_sub_region:
            assert m.london_region == row.london_sub_region, row.old_la_code
        assert m.la_type == TYPES[row.la_type_current], row.old_la_code
        assert (row.in_current_153 == "True") == (not abolished)
        reg = registry_rows.set_index(registry_rows["la_code"])
        assert reg.loc[la_code, "valid_to"] == row.valid_to, row.old_la_code
        # The lookup dates the DfE code; the registry dates each entity under it.
        spans = registry_rows[registry_rows["dfe_code"] == row.old_la_code][
            "valid_from"
        ]
        if row.valid_from:  # the lookup leaves the 2009 changes undated
            assert min(spans) == row.valid_from, row.old_la_code
        theirs = set(re.findall(r"E\d{8}", row.successors))
        assert theirs <= set(reg.loc[la_code, "successors"].split(";")) - {""}, (
            row.old_la_code
        )
        former = set(row["ms_former-gss-codes"].split(",")) - {""}
        assert former <= set(reg.loc[la_code, "former_codes"].split(";")), (
            row.old_la_code
        )


def test_lait_code_list(shared_data: Path, read_sheets: Callable) -> None:  # type: ignore[type-arg]
    rows = read_sheets(shared_data / LOOKUP / "lait_la_code_list.xlsx")["Sheet1"]
    header, body = rows[0], rows[1:]
    assert header == ["LA Number", "LA Name", "Region", "Type"]
    assert len(body) == 171
    for number, name, region, la_type in body:
        by_name = resolve_authority(name)
        by_number = resolve_authority(number)
        if int(number) >= 970:  # England, regions, Inner/Outer London
            assert by_name.match == by_number.match == "total-row", name
            assert by_name.la_code == by_number.la_code, name
            continue
        assert (by_name.la_code, by_name.dfe_code) == (
            by_number.la_code,
            by_number.dfe_code,
        ), name
        assert by_number.dfe_code == number
        assert by_name.london_region == region, name
        # LAIT still types Buckinghamshire, North Yorkshire and Somerset as counties:
        # the county entity must exist under the same DfE number.
        same_number = read_authorities().query("dfe_code == @number")
        assert TYPES[la_type] in set(same_number["la_type"]), name


def test_mysociety_name_variants(
    shared_data: Path, read_csv: Callable[[Path], pd.DataFrame]
) -> None:
    ms = read_csv(shared_data / LOOKUP / "mysociety_uk_local_authorities_current.csv")
    names = read_csv(shared_data / LOOKUP / "mysociety_lookup_name_to_registry.csv")
    upper = ms[(ms["nation"] == "England") & ms["gss-code"].str[:3].isin(UPPER_TIER)]
    joined = names.merge(upper, on="local-authority-code")
    assert len(joined) > 700
    wrong = []
    for row in joined.to_dict("records"):
        end = row["end-date"]
        # mySociety dates the end inconsistently (last day or first day after): ask
        # about a week earlier so the abolished entity is certainly the one meant.
        as_of = date.fromisoformat(end) - timedelta(days=7) if end else None
        m = resolve_authority(row["la-name"], as_of=as_of)
        # Compare entities: mySociety files Barnsley and Sheffield under old codes.
        want = {resolve_authority(row["gss-code"]).la_code}
        if m.la_code not in want:
            wrong.append((row["la-name"], want, m.la_code, m.match))
    assert wrong == []


# 2009 county -> unitary changes with the same area and DfE code and no county GSS
# code: the registry row covers both councils (see the authorities.csv header).
SAME_AREA_2009 = {"E06000052", "E06000047", "E06000057", "E06000051", "E06000054"}


def test_mysociety_start_and_end_dates_agree(
    shared_data: Path,
    read_csv: Callable[[Path], pd.DataFrame],
    registry_rows: pd.DataFrame,
) -> None:
    ms = read_csv(shared_data / LOOKUP / "mysociety_uk_local_authorities_current.csv")
    upper = ms[(ms["nation"] == "England") & ms["gss-code"].str[:3].isin(UPPER_TIER)]
    reg = registry_rows.set_index("la_code")
    checked = 0
    for row in upper.to_dict("records"):
        code = resolve_authority(row["gss-code"]).la_code
        valid_from, valid_to = reg.loc[code, ["valid_from", "valid_to"]]
        # mySociety's 2005 start dates are register entries, not creations.
        if row["start-date"] >= "2009-04-01" and code not in SAME_AREA_2009:
            assert valid_from == row["start-date"], code
            checked += 1
        if row["end-date"]:
            last = date.fromisoformat(valid_to)
            # mySociety gives either the last day or the first day after.
            assert row["end-date"] in {str(last), str(last + timedelta(days=1))}, code
            checked += 1
        else:
            assert valid_to == "", code
    assert checked >= 20


def test_ltla_utla_april_2023(
    shared_data: Path, read_csv: Callable[[Path], pd.DataFrame]
) -> None:
    lk = read_csv(shared_data / LOOKUP / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv")
    england = lk[lk["UTLA23CD"].str.startswith("E")]
    utla = england.drop_duplicates("UTLA23CD")
    assert len(utla) >= 150
    for row in utla.itertuples():
        by_code = resolve_authority(row.UTLA23CD)
        by_name = resolve_authority(row.UTLA23NM, as_of="2023-04-01")
        assert by_code.resolved and by_code.note.startswith(("", "E08")), row
        assert (by_name.la_code, by_name.match != "none") == (by_code.la_code, True), (
            row
        )
    for row in lk.itertuples():
        m = resolve_authority(row.LTLA23NM, as_of="2023-04-01")
        if row.LTLA23CD[:3] in UPPER_TIER:
            assert m.la_code == resolve_authority(row.UTLA23CD).la_code, row
        else:  # districts and Welsh principal areas are never authorities here
            assert not m.resolved, row


def test_mysociety_lower_tier_and_other_nations_never_resolve(
    shared_data: Path, read_csv: Callable[[Path], pd.DataFrame]
) -> None:
    ms = read_csv(shared_data / LOOKUP / "mysociety_uk_local_authorities_current.csv")
    other = ms[~((ms["nation"] == "England") & ms["gss-code"].str[:3].isin(UPPER_TIER))]
    resolved = [
        (name, resolve_authority(name).la_name)
        for name in set(other["nice-name"]) | set(other["official-name"])
        if resolve_authority(name).resolved
    ]
    assert resolved == []


def test_hexmaps(shared_data: Path) -> None:
    utla = json.loads(
        (shared_data / "hexmap" / "uk-upper-tier-local-authorities.hexjson").read_text()
    )
    assert len(utla["hexes"]) == 151
    # The layout's vintage is 2019-20: BCP and Dorset Council exist, Buckinghamshire
    # is still a county council.
    for code, hexagon in utla["hexes"].items():
        by_code = resolve_authority(code, as_of="2020-01-01")
        assert by_code.note == "" or "former code" in by_code.note, code
        assert (
            resolve_authority(hexagon["n"], as_of="2020-01-01").la_code
            == by_code.la_code
        )
    lad = json.loads(
        (
            shared_data / "hexmap" / "uk-local-authority-districts-2023.hexjson"
        ).read_text()
    )
    for code, hexagon in lad["hexes"].items():
        m = resolve_authority(hexagon["n"], as_of="2023-04-01")
        if code[:3] in UPPER_TIER:
            assert m.la_code == resolve_authority(code).la_code, (code, hexagon["n"])
        else:
            assert not m.resolved, (code, hexagon["n"], m)


IASSN_EXPECTED = {
    "Northamptonshire": ("E10000021", "928"),
    "Cumbria": ("E10000006", "909"),
    "N.Yorkshire": ("E10000023", "815"),
    "Somerset": ("E10000027", "933"),
    "Dorset": ("E06000059", "838"),
    "Buckinghamshire": ("E06000060", "825"),
    "Tower Hamlets (& City)": ("E09000030", "211"),
    "Cornwall (& Isle of Scilly)": ("E06000052", "908"),
    "Bath & N.E Somerset": ("E06000022", "800"),
}


def test_iassn_2021_services_all_resolve(
    shared_data: Path, read_csv: Callable[[Path], pd.DataFrame]
) -> None:
    services = read_csv(shared_data / "iassn_2021" / "services.csv")
    assert len(services) == 149
    matches = {
        n: resolve_authority(n, as_of="2021-03-31") for n in services["local_authority"]
    }
    assert all(m.resolved for m in matches.values()), [
        (n, m) for n, m in matches.items() if not m.resolved
    ]
    for name, expected in IASSN_EXPECTED.items():
        assert (matches[name].la_code, matches[name].dfe_code) == expected, name
    # 149 services, one authority each, none of them abolished on the report's date.
    assert len({(m.la_code, m.dfe_code) for m in matches.values()}) == 149
    assert not [m for m in matches.values() if "not on" in m.note]
    for row in services.itertuples():
        region = resolve_authority(row.region)
        assert region.match == "total-row", row.region
        assert matches[row.local_authority].region == region.region, row.local_authority
    assert normalise_name("N.Yorkshire") == "north yorkshire"
