"""Loading the curated registry files and indexing them for matching."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

import pandas as pd

from ._normalise import normalise_name

AUTHORITY_COLUMNS = (
    "la_code",
    "former_codes",
    "dfe_code",
    "la_name",
    "region",
    "region_code",
    "london_region",
    "la_type",
    "valid_from",
    "valid_to",
    "predecessors",
    "successors",
    "change_date",
    "change_note",
)


def _read_data_csv(filename: str) -> pd.DataFrame:
    """Read a package data CSV, skipping its '# ' provenance lines; all cells str."""
    text = (
        resources.files("lacompare.geography")
        .joinpath("data", filename)
        .read_text(encoding="utf-8")
    )
    body = "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("# ")
    )
    return pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)


@cache
def _authorities() -> pd.DataFrame:
    return _read_data_csv("authorities.csv")


@cache
def _aliases() -> pd.DataFrame:
    return _read_data_csv("aliases.csv")


@cache
def _areas() -> pd.DataFrame:
    return _read_data_csv("areas.csv")


def read_authorities(as_of: date | str | None = None) -> pd.DataFrame:
    """The registry of English upper-tier authorities, current and former.

    One row per authority entity (the lifetime of one ONS code): the 153 current
    authorities with children's services duties and their predecessors since 1998.
    Blank cells are empty strings; the columns are described in the ``# `` lines at the
    top of ``lacompare/geography/data/authorities.csv``. With ``as_of``, only the
    authorities that existed that day, with that day's type, region and ONS code
    (``data/authority_history.csv``; see
    :func:`lacompare.geography.authorities_on`).

    Returns
    -------
    pandas.DataFrame
        A copy, so callers may modify it.

    Examples
    --------
    >>> reg = read_authorities()
    >>> int((reg["valid_to"] == "").sum())
    153
    >>> northants = reg[reg["dfe_code"] == "928"]
    >>> northants[["la_code", "valid_to", "successors"]].values.tolist()
    [['E10000021', '2021-03-31', 'E06000061;E06000062']]
    >>> on = read_authorities(as_of="2002-04-01")
    >>> len(on), on.loc[on["la_name"] == "Cornwall", "la_type"].item()
    (150, 'shire county')
    """
    if as_of is not None:
        from ._history import authorities_on

        return authorities_on(as_of)
    return _authorities().copy()


def read_aliases() -> pd.DataFrame:
    """Curated alternative names: ``alias, la_code, kind, note``.

    Examples
    --------
    >>> al = read_aliases()
    >>> row = al[al["alias"] == "Tower Hamlets (& City)"]
    >>> row[["la_code", "kind", "note"]].values.tolist()
    [['E09000030', 'combined', 'also covers City of London']]
    """
    return _aliases().copy()


def read_areas() -> pd.DataFrame:
    """Labels of total and aggregate rows (England, regions, Inner/Outer London, ...).

    Examples
    --------
    >>> areas = read_areas()
    >>> areas.loc[areas["name"] == "Inner London", "area_code"].item()
    'E13000001'
    """
    return _areas().copy()


def _iso(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


@dataclass(frozen=True)
class Entity:
    """One registry row, typed."""

    key: str  # la_code, or the dfe_code when no GSS code exists
    la_code: str | None
    former_codes: tuple[str, ...]
    dfe_code: str
    la_name: str
    region: str
    london_region: str | None
    la_type: str
    valid_from: date | None
    valid_to: date | None
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]

    @property
    def current(self) -> bool:
        return self.valid_to is None

    def valid_on(self, day: date) -> bool:
        after_start = self.valid_from is None or day >= self.valid_from
        before_end = self.valid_to is None or day <= self.valid_to
        return after_start and before_end


@dataclass(frozen=True)
class Area:
    """A total or aggregate row's label, typed."""

    name: str
    area_code: str | None
    area_name: str
    area_type: str
    region: str | None
    london_region: str | None


@dataclass(frozen=True)
class Alias:
    """A curated alias, typed."""

    target: str  # entity key
    kind: str
    note: str


@dataclass
class Registry:
    """The registry with the indexes matching needs (built once)."""

    entities: dict[str, Entity] = field(default_factory=dict)
    by_ons: dict[str, str] = field(default_factory=dict)
    by_dfe: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    aliases: dict[str, Alias] = field(default_factory=dict)
    areas_by_name: dict[str, Area] = field(default_factory=dict)
    areas_by_code: dict[str, Area] = field(default_factory=dict)

    def describe(self, key: str) -> str:
        """'Name (code)' for notes."""
        ent = self.entities.get(key)
        if ent is None:
            return key
        return f"{ent.la_name} ({ent.la_code or 'DfE ' + ent.dfe_code})"


_REGIONS = {
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
}


@cache
def registry() -> Registry:
    """Build (once) the typed registry and its indexes."""
    reg = Registry()
    for row in _authorities().itertuples(index=False):
        key = row.la_code or row.dfe_code
        ent = Entity(
            key=key,
            la_code=row.la_code or None,
            former_codes=_split(row.former_codes),
            dfe_code=row.dfe_code,
            la_name=row.la_name,
            region=row.region,
            london_region=row.london_region or None,
            la_type=row.la_type,
            valid_from=_iso(row.valid_from),
            valid_to=_iso(row.valid_to),
            predecessors=_split(row.predecessors),
            successors=_split(row.successors),
        )
        reg.entities[key] = ent
        for code in (ent.la_code, *ent.former_codes):
            if code:
                reg.by_ons[code] = key
        reg.by_dfe[ent.dfe_code].append(key)
        reg.by_name[normalise_name(ent.la_name)].append(key)
    for row in _aliases().itertuples(index=False):
        alias = Alias(target=row.la_code, kind=row.kind, note=row.note)
        reg.aliases[normalise_name(row.alias, keep_notes=True)] = alias
    for row in _areas().itertuples(index=False):
        area_name = str(row.area_name)
        region: str | None
        london: str | None
        if row.area_code.startswith("E13"):
            region, london = "London", area_name
        elif area_name in _REGIONS:
            region, london = area_name, area_name
        else:
            region = london = None
        area = Area(
            name=row.name,
            area_code=row.area_code or None,
            area_name=area_name,
            area_type=row.area_type,
            region=region,
            london_region=london,
        )
        reg.areas_by_name.setdefault(normalise_name(row.name, keep_notes=True), area)
        if area.area_code:
            reg.areas_by_code.setdefault(area.area_code, area)
        for code in _split(row.dfe_codes):
            reg.areas_by_code[code] = area
    return reg
