"""Every authority name and code in every file of ../shared/data resolves, and right.

The test walks the CSV, XLSX, ODS and Parquet files, finds the columns holding
authority names and codes by their headers, and checks each distinct (name, code,
period): the name resolves to an authority or is a total row, and the name and the
code resolve to the same entity. Lower-tier and non-English areas (districts, Welsh
principal areas, police and fire authorities in MHCLG and ONS files) must never be
given an authority. A label that resolves to nothing fails unless it is listed in
NON_AUTHORITY_LABELS below with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from lacompare.geography import Match, normalise_name, resolve_authority

pytestmark = pytest.mark.shared

# (name column, DfE code column, ONS code column) as headed in the shared files.
NAME_COLUMNS: list[tuple[str, str | None, str | None]] = [
    ("la_name", "old_la_code", "new_la_code"),  # DfE EES files and derived tables
    ("lookup_la_name", "old_la_code", "lookup_new_la_code"),  # harmonised CLA
    ("lait_name", "old_la_code", "new_la_code"),  # shared upper-tier lookup
    ("geo_breakdown", "old_la_code", "new_la_code"),  # DfE dashboard exports
    ("geog_n", "geog_c", "New_geog_code"),  # DfE SFR CLA 2010-2017
    ("LA Name:", "LEA Number:", None),  # S251 2008-09
    ("LEA Name", "LEA", None),  # S251 2009-10
    ("LA Name", "LA", None),  # S251 2010-11 to 2013-14
    ("LA Name", "LA Number", None),  # LAIT code list
    ("LA Name", "LA num", None),  # statistical neighbours 2021 and 2025
    ("area_name", "la_number", None),  # LAIT core measures
    ("LA and Regions", "LA Number", None),  # LAIT full dataset (parquet)
    ("LA.Name", "LA.number", None),  # statistical neighbours, dashboard
    ("SN_LA_name", "SN_LA_number", None),
    ("Local authority name", None, "Local authority area code"),  # Ofsted
    ("local_authority", None, None),  # IASSN 2021
    ("Local authority", None, "ONS Code"),  # MHCLG RO3 / RSX
    ("Name", None, "Code"),  # ONS mid-year estimates
    (
        "Upper Tier Local Authority District name (2019)",
        None,
        "Upper Tier Local Authority District code (2019)",
    ),  # IoD 2019
    ("ltla21_name", None, "ltla21_code"),  # DWP / ONS, lower tier
    ("LTLA23NM", None, "LTLA23CD"),
    ("UTLA23NM", None, "UTLA23CD"),
    ("Year", None, None),  # DWP low-income counts: first column holds the area names
]
# (area name column, area code column): must be total rows.
AREA_COLUMNS: list[tuple[str, str | None]] = [
    ("region_name", "region_code"),
    ("country_name", "country_code"),
    ("region", None),
    ("Region", None),
    ("GOReg", None),
    ("region_name_correct", None),
]
PERIOD_COLUMNS = [
    "time_period",
    "year",
    "Years",
    "Inspection date",
    "Inspection/Visit date",
]
MISSING = {"", "NA", "N/A", "x", "z", "..", ":"}

# Files with no authority names, or checked in test_geography_lookups.py instead.
SKIP = {
    "lait/lait_data_dictionary.csv": "measure definitions, no areas",
    "lait/lait_core_csc_measures_dictionary.csv": "measure definitions, no areas",
    "la_lookup/mysociety_uk_local_authorities_current.csv": "UK-wide: lookups test",
    "la_lookup/mysociety_uk_local_authorities_future.csv": "UK-wide: lookups test",
    "la_lookup/mysociety_lookup_name_to_registry.csv": "UK-wide: lookups test",
    "la_lookup/mysociety_lookup_gss_to_registry.csv": "codes only, UK-wide",
    # Files whose areas need a spec's row steps before they name authorities (ONS
    # Explore Local Statistics: every geography level in one column; crime by
    # Community Safety Partnership); their loads, and the authorities they give, are
    # checked in tests/integration/test_shared_files.py.
    "economy/ons_els_gdhi_per_head.csv": "mixed geography levels: spec keep_rows",
    "economy/ons_els_claimant_count_rate.csv": "mixed geography levels: keep_rows",
    "economy/ons_els_modelled_unemployment_rate.csv": "mixed levels: keep_rows",
    "crime/ons_pfa_tables_ye_jun2025_tableC2_csp.csv": "CSPs: spec area_lookup",
    "deprivation/iod2025/iod2025_upper_tier_la_published_avg_scores_DERIVED.csv": (
        "2024 codes, loaded and checked in test_shared_files"
    ),
    "deprivation/iod2025/iod2025_file10_file11_published_avg_scores_validation_detail"
    ".csv": "a validation table (lower and upper tier mixed), not loaded",
    "deprivation/iod2025/iod2025_file10_file11_validation_summary.csv": "no areas",
    "deprivation/iod2025/indices_of_deprivation_2025_lad_trafford.csv": (
        "lower-tier districts, not loaded"
    ),
}

# Labels in the shared files that are not authorities and rightly resolve to none.
NON_AUTHORITY_LABELS = {
    "Old SNs:": "separator row in New_Statistical_Neighbour_Groupings_April_2021.csv",
    "Local authority name": "a repeated header row inside an Ofsted ILACS sheet",
    "National - Regional - LA - OAs": "geography caption in the DWP low-income file",
    "Greater London Authority": "a body, not an area (MHCLG gives it London's code)",
    "Na h-Eileanan Siar": "Scottish council area (Western Isles), UK-wide DWP file",
}
# Codes printed wrongly in a published file: the name is checked, the code is not.
KNOWN_BAD_CODES = {
    (
        "E0600003",
        "Slough",
    ): "IoD2019 File 11 (xlsx, IMD sheet) drops the last digit of E06000039",
}
# Rows covering two authorities with a shared service: reported, never attributed.
COMBINED_LABELS = {
    "Kingston upon Thames / Richmond upon Thames",  # Achieving for Children (workforce)
    # Northamptonshire Children's Trust (workforce)
    "North Northamptonshire / West Northamptonshire",
}
UPPER_TIER_CODE = re.compile(r"^E(06|08|09|10)\d{6}$")
AREA_CODE = re.compile(r"^(E92|E12|E13|E11|K0\d|W92|S92|N92)\d{6}$")


@dataclass(frozen=True)
class Label:
    file: str
    name: str
    dfe: str
    ons: str
    day: date | None
    area: bool = False


def _file_day(rel: str, period_end: Callable[[str], date | None]) -> date | None:
    """The date a file without a period column describes."""
    if m := re.search(r"s251_outturn_(\d{2})(\d{2})", rel):
        return date(2000 + int(m.group(2)), 3, 31)
    if "iassn_2021" in rel:
        return date(2021, 3, 31)
    if "IoD2019" in rel or "2019" in Path(rel).name and "deprivation" in rel:
        return date(2019, 9, 26)  # IoD2019 publication: 2019 upper-tier geography
    if "LTLA-UTLA_Apr23" in rel:
        return date(2023, 4, 1)
    if rel.startswith(("la_lookup/", "hexmap/", "deprivation/")):
        return None
    return period_end(Path(rel).stem)


def _header_row(rows: list[list[str]]) -> int | None:
    names = {c for c, _, _ in NAME_COLUMNS} | {c for c, _ in AREA_COLUMNS}
    for i, row in enumerate(rows[:25]):
        if names & {c.strip() for c in row}:
            return i
    return None


def _tables(
    shared: Path,
    read_csv: Callable[[Path], pd.DataFrame],
    read_sheets: Callable[[Path], dict[str, list[list[str]]]],
) -> Iterator[tuple[str, pd.DataFrame]]:
    for path in sorted(shared.rglob("*")):
        rel = path.relative_to(shared).as_posix()
        suffix = path.suffix.lower()
        if suffix not in {".csv", ".xlsx", ".ods", ".parquet"} or rel in SKIP:
            continue
        if suffix == ".csv":
            yield rel, read_csv(path)
        elif suffix == ".parquet":
            import duckdb

            # No parquet engine is installed; DuckDB (a lacompare dependency) reads it.
            relation = duckdb.sql(f"select * from '{path}'")
            assert relation is not None
            yield rel, relation.df().astype(str)
        else:
            for sheet, rows in read_sheets(path).items():
                at = _header_row(rows)
                if at is None:
                    continue
                width = len(rows[at])
                body = [r + [""] * (width - len(r)) for r in rows[at + 1 :]]
                header = [c.strip() or f"col{i}" for i, c in enumerate(rows[at])]
                frame = pd.DataFrame(body, columns=header).loc[
                    :, lambda d: ~d.columns.duplicated()
                ]
                yield f"{rel}:{sheet}", frame


def _labels(
    rel: str, frame: pd.DataFrame, period_end: Callable[[str], date | None]
) -> set[Label]:
    cols = set(frame.columns)
    period_col = next((c for c in PERIOD_COLUMNS if c in cols), None)
    default_day = _file_day(rel.split(":")[0], period_end)
    out: set[Label] = set()
    for name_col, dfe_col, ons_col in NAME_COLUMNS:
        if name_col not in cols or (
            dfe_col and dfe_col not in cols and ons_col is None
        ):
            continue
        use = [c for c in (name_col, dfe_col, ons_col, period_col) if c and c in cols]
        for values in frame[use].drop_duplicates().itertuples(index=False):
            row = dict(zip(use, values, strict=True))
            day = period_end(row[period_col]) if period_col else default_day
            out.add(
                Label(
                    rel,
                    str(row[name_col]).strip(),
                    str(row.get(dfe_col, "")).strip() if dfe_col else "",
                    str(row.get(ons_col, "")).strip() if ons_col else "",
                    day,
                )
            )
    for name_col, code_col in AREA_COLUMNS:
        if name_col not in cols:
            continue
        use = [c for c in (name_col, code_col) if c and c in cols]
        for values in frame[use].drop_duplicates().itertuples(index=False):
            row = dict(zip(use, values, strict=True))
            code = str(row.get(code_col, "")).strip() if code_col else ""
            out.add(Label(rel, str(row[name_col]).strip(), "", code, None, area=True))
    return out


def _same_lineage(a: Match, b: Match) -> bool:
    """Two entities of one authority name linked by a reorganisation (e.g. Dorset
    835/838, Buckinghamshire CC/UA): DfE files sometimes carry one's code on the
    other's rows."""
    from lacompare.geography._registry import registry

    reg = registry()
    ka, kb = a.la_code or a.dfe_code, b.la_code or b.dfe_code
    ea, eb = reg.entities.get(str(ka)), reg.entities.get(str(kb))
    if (
        ea is None
        or eb is None
        or normalise_name(ea.la_name) != normalise_name(eb.la_name)
    ):
        return False
    return ea.dfe_code == eb.dfe_code or kb in ea.predecessors + ea.successors


def _code_valid(m: Match, day: date | None) -> bool:
    from lacompare.geography._registry import registry

    ent = registry().entities[str(m.la_code or m.dfe_code)]
    return ent.current if day is None else ent.valid_on(day)


@pytest.fixture(scope="module")
def lower_tier_names(
    shared_data: Path, read_csv: Callable[[Path], pd.DataFrame]
) -> set[str]:
    """Normalised names of districts and non-English areas (from ONS and mySociety)."""
    lk = read_csv(
        shared_data / "la_lookup" / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
    )
    ms = read_csv(
        shared_data / "la_lookup" / "mysociety_uk_local_authorities_current.csv"
    )
    other = ms[
        ~((ms["nation"] == "England") & ms["gss-code"].str.match(UPPER_TIER_CODE))
    ]
    names = set(lk.loc[~lk["LTLA23CD"].str.match(UPPER_TIER_CODE), "LTLA23NM"])
    names |= set(other["nice-name"]) | set(other["official-name"])
    return {normalise_name(n) for n in names}


def _check(label: Label, lower_tier: set[str]) -> str | None:
    """None if the label resolves correctly, else what went wrong."""
    name, day = label.name, label.day
    codes = [c for c in (label.ons, label.dfe) if c and c not in MISSING]
    if name in MISSING:
        # A code without a name (dashboard rows): the code alone must resolve.
        for code in codes:
            if resolve_authority(code, as_of=day).match == "none":
                return f"code {code!r} does not resolve"
        return None
    m = resolve_authority(name, as_of=day)
    if name in NON_AUTHORITY_LABELS:
        return (
            None if not m.resolved else f"non-authority label resolved to {m.la_name}"
        )
    if name in COMBINED_LABELS:
        if not m.note.startswith("combined row"):
            return f"combined label not reported as combined: {m}"
        for code in codes:
            c = resolve_authority(code, as_of=day)
            if c.candidates != m.candidates:
                return (
                    f"combined code {code!r} covers {c.candidates}, name {m.candidates}"
                )
        return None
    if label.area:
        if m.match != "total-row":
            return f"area label is {m.match}, not a total row"
        for code in codes:
            c = resolve_authority(code)
            if c.match != "total-row" or c.la_code != m.la_code:
                return f"area code {code!r} is {c.la_name} ({c.match}), not {m.la_name}"
        return None
    ons = label.ons
    if (ons, name) in KNOWN_BAD_CODES:
        codes.remove(ons)
        ons = ""
    if ons and ons not in MISSING and not UPPER_TIER_CODE.match(ons):
        # Not an upper-tier authority: a district, Welsh area, police or fire body, or
        # a class total ('E09' London Boroughs) in MHCLG files; or an area total.
        if m.resolved:
            return f"non-authority row {ons!r} was given {m.la_name} ({m.la_code})"
        if AREA_CODE.match(ons):
            london = str(m.la_code).startswith("E13") and ons == "E12000007"
            if m.match != "total-row" or not (m.la_code == ons or london):
                return f"area row {ons!r} resolved as {m.match} {m.la_code}"
        return None
    if m.match == "none":
        # UK-wide files print Welsh areas bilingually ('Cardiff / Caerdydd').
        if normalise_name(name.split(" / ")[0]) in lower_tier:
            return None  # a district or a non-English area, rightly unresolved
        return f"unresolved; nearest {m.candidates}"
    if m.match == "total-row":
        if m.note == "aggregate row":
            return None  # 'Statistical neighbours (median)' rows carry their LA's code
        for code in codes:
            c = resolve_authority(code)
            same = c.match == "total-row" and c.la_code == m.la_code
            # SFR files give Inner/Outer London rows London's code.
            london = str(m.la_code).startswith("E13") and c.la_code == "E12000007"
            # The 2010 SFR numbers England 921, Isle of Wight's DfE code.
            sfr_2010 = code == "921" and m.la_code == "E92000001"
            letter = bool(
                re.fullmatch(r"[A-K]", code)
            )  # SFR region letters vary by year
            if not (same or london or sfr_2010 or letter):
                return f"total row's code {code!r} is {c.la_name} ({c.match})"
        return None
    for code in codes:
        c = resolve_authority(code, as_of=day)
        if not c.resolved:
            return f"code {code!r} does not resolve ({c.match}: {c.note})"
        if (c.la_code, c.dfe_code) == (m.la_code, m.dfe_code):
            continue
        if _same_lineage(m, c) and not _code_valid(c, day):
            continue  # a stale code DfE carried across the reorganisation date
        return (
            f"name gives {m.la_name} ({m.la_code}),"
            f" code {code!r} gives {c.la_name} ({c.la_code})"
        )
    return None


def test_every_file_name_and_code_resolves_consistently(
    shared_data: Path,
    read_csv: Callable[[Path], pd.DataFrame],
    read_sheets: Callable[[Path], dict[str, list[list[str]]]],
    period_end: Callable[[str], date | None],
    lower_tier_names: set[str],
) -> None:
    handled: set[str] = set()
    labels: set[Label] = set()
    for rel, frame in _tables(shared_data, read_csv, read_sheets):
        found = _labels(rel, frame, period_end)
        if found:
            handled.add(rel.split(":")[0])
        labels |= found
    data_files = {
        p.relative_to(shared_data).as_posix()
        for p in shared_data.rglob("*")
        if p.suffix.lower() in {".csv", ".xlsx", ".ods", ".parquet"}
    }
    assert data_files - handled - set(SKIP) == set(), (
        "files with no recognised LA column"
    )
    assert len(labels) > 5000
    problems = []
    for label in sorted(
        labels, key=lambda lb: (lb.file, lb.name, lb.dfe, lb.ons, str(lb.day))
    ):
        error = _check(label, lower_tier_names)
        if error:
            problems.append(
                f"{label.file}: {label.name!r} {label.dfe!r} {label.ons!r}"
                f" {label.day}: {error}"
            )
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def test_lower_tier_rows_exist_and_stay_unresolved(
    shared_data: Path,
    read_sheets: Callable[[Path], dict[str, list[list[str]]]],
) -> None:
    """A sanity check that the walk above really meets districts (RO3 has ~190)."""
    rows = read_sheets(shared_data / "spend" / "RO3_LA_Data_2024-25_data_by_LA.ods")
    sheet = next(r for name, r in rows.items() if name.startswith("RO3_LA_Data"))
    at = _header_row(sheet)
    assert at is not None
    header = sheet[at]
    districts = [r for r in sheet[at + 1 :] if r[header.index("Class")] == "SD"]
    assert len(districts) > 150
    name = header.index("Local authority")
    assert not [r[name] for r in districts if resolve_authority(r[name]).resolved]
