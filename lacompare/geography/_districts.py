"""Lower-tier districts and other non-authority ONS codes.

Published tables mix upper-tier authorities with lower-tier (non-metropolitan)
districts: DWP's children in low income families by LTLA, MHCLG revenue outturn, ONS
population estimates. A district is not an authority with children's services duties,
so such rows are set aside; later their figures can be added up to the county they sat
in. The curated file ``data/districts.csv`` lists every English district (ONS E07) that
existed at any time since 1 April 2009, including those abolished in 2019-2023.

Matching is by code (current or former E07 code), by the exact name after the shared
normaliser, or by a curated alias (``data/district_aliases.csv``). There is no fuzzy
matching: a name that is not exactly a district is not called one. A name that
:func:`resolve_authority` resolves to an authority is never a district (Bedford has
been a unitary since 2009).

Examples
--------
>>> m = match_district("Allerdale")
>>> m.district_code, m.county_code, m.match
('E07000026', 'E10000006', 'exact')
>>> match_district("Bedford") is None
True
>>> ons_code_type("E11000001")
'metropolitan county'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from ._choose import _lifetime_note, _match_each, _query_text, as_date
from ._match import resolve_authority
from ._normalise import ONS_CODE, code_text, normalise_name
from ._registry import _read_data_csv, _split, registry

DISTRICT_COLUMNS = (
    "district_code",
    "former_codes",
    "district_name",
    "county_code",
    "county_dfe_code",
    "valid_from",
    "valid_to",
    "successor",
    "note",
)

#: Three-character prefixes of ONS GSS codes for entities that are not English
#: upper-tier authorities (those are E06 unitary, E08 metropolitan district, E09 London
#: borough and E10 county), each confirmed in a published source: the ONS LTLA-UTLA
#: lookup and mySociety's register (E07, E47, E61, W06, S12, N09), MHCLG revenue
#: outturn files (E11, E23, E26, E31, E47, E50), DfE and ONS files (E12, E13, E92, W92,
#: K04), ONS boundary lookups (E23 police force areas, E31 fire and rescue authorities),
#: Nomis census-merged district codes (E41) and ONS country codes (K02, K03, S92, N92).
ONS_CODE_TYPES: dict[str, str] = {
    "E07": "non-metropolitan district",
    "E11": "metropolitan county",
    "E12": "region",
    "E13": "Inner or Outer London",
    "E23": "police force area",
    "E26": "national park",
    "E31": "fire and rescue authority",
    "E41": "census-merged local authority district (2011 Census)",
    "E47": "combined authority",
    "E50": "waste disposal authority",
    "E61": "Greater London Authority",
    "E92": "England",
    "W06": "Welsh unitary authority",
    "W92": "Wales",
    "S12": "Scottish council area",
    "S92": "Scotland",
    "N09": "Northern Ireland local government district",
    "N92": "Northern Ireland",
    "K02": "United Kingdom",
    "K03": "Great Britain",
    "K04": "England and Wales",
}


def ons_code_type(code: object) -> str | None:
    """What an ONS GSS code that is not an English upper-tier authority denotes.

    Parameters
    ----------
    code : str
        An ONS code in any case, e.g. 'E07000026'.

    Returns
    -------
    str or None
        The description from :data:`ONS_CODE_TYPES`; None for upper-tier authority
        codes (E06, E08, E09, E10), unknown prefixes and anything not shaped like a
        GSS code.

    Examples
    --------
    >>> ons_code_type("e07000026"), ons_code_type("E47000001")
    ('non-metropolitan district', 'combined authority')
    >>> ons_code_type("E10000006") is None, ons_code_type("909") is None
    (True, True)
    """
    text = code_text(code) if code is not None else None
    if text is None or not ONS_CODE.match(text):
        return None
    return ONS_CODE_TYPES.get(text[:3])


@cache
def _districts() -> pd.DataFrame:
    return _read_data_csv("districts.csv")


@cache
def _district_aliases() -> pd.DataFrame:
    return _read_data_csv("district_aliases.csv")


def read_districts() -> pd.DataFrame:
    """The registry of English lower-tier districts (E07) since 1 April 2009.

    One row per district, current or abolished. Blank cells are empty strings; the
    columns are described in the ``# `` lines at the top of
    ``lacompare/geography/data/districts.csv``.

    Returns
    -------
    pandas.DataFrame
        A copy, so callers may modify it.

    Examples
    --------
    >>> d = read_districts()
    >>> int((d["valid_to"] == "").sum()), int((d["valid_to"] != "").sum())
    (164, 40)
    >>> d.loc[d["district_name"] == "Mendip", ["county_code", "successor"]].values
    array([['E10000027', 'E06000066']], dtype=object)
    """
    return _districts().copy()


def read_district_aliases() -> pd.DataFrame:
    """Curated alternative names of districts: ``alias, district_code, note``.

    Examples
    --------
    >>> al = read_district_aliases()
    >>> al.loc[al["alias"] == "Shepway", "district_code"].item()
    'E07000112'
    """
    return _district_aliases().copy()


@dataclass(frozen=True)
class District:
    """One district row, typed."""

    code: str
    former_codes: tuple[str, ...]
    name: str
    county_code: str
    valid_from: date | None
    valid_to: date | None
    successor: str
    note: str

    def valid_on(self, day: date) -> bool:
        after_start = self.valid_from is None or day >= self.valid_from
        before_end = self.valid_to is None or day <= self.valid_to
        return after_start and before_end


@dataclass
class _Index:
    districts: dict[str, District] = field(default_factory=dict)
    by_code: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    aliases: dict[str, str] = field(default_factory=dict)
    predecessors: dict[str, list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _iso(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@cache
def _index() -> _Index:
    idx = _Index()
    for row in _districts().itertuples(index=False):
        d = District(
            code=row.district_code,
            former_codes=_split(row.former_codes),
            name=row.district_name,
            county_code=row.county_code,
            valid_from=_iso(row.valid_from),
            valid_to=_iso(row.valid_to),
            successor=row.successor,
            note=row.note,
        )
        idx.districts[d.code] = d
        for code in (d.code, *d.former_codes):
            idx.by_code[code] = d.code
        idx.by_name[normalise_name(d.name)].append(d.code)
        if d.successor:
            idx.predecessors[d.successor].append(d.code)
    for row in _district_aliases().itertuples(index=False):
        idx.aliases[normalise_name(row.alias, keep_notes=True)] = row.district_code
    return idx


@dataclass(frozen=True)
class DistrictMatch:
    """A value recognised as an English lower-tier district.

    ``match`` is 'code' (current or former E07 code), 'exact' (normalised name) or
    'alias' (curated alias). ``county_code`` is the registry la_code of the county the
    district sat in (for an abolished district, the county at the time). ``note`` says
    when the district is not the one of the date asked about, or that a former code
    was used.

    Examples
    --------
    >>> m = match_district("E07000097")
    >>> m.district_code, m.district_name, m.county_code, m.match
    ('E07000242', 'East Hertfordshire', 'E10000015', 'code')
    >>> m.note
    'E07000097 is a former code of East Hertfordshire, now E07000242'
    """

    query: str
    district_code: str
    district_name: str
    county_code: str
    match: str
    note: str = ""


def _describe(code: str) -> str:
    """'Name (code)' for a district or registry authority code."""
    idx = _index()
    if code in idx.districts:
        return f"{idx.districts[code].name} ({code})"
    return registry().describe(code)


def _validity_note(d: District, day: date | None) -> str:
    """Say when the district is not the district of the day asked about."""
    before = _index().predecessors.get(d.code, [])
    return _lifetime_note(
        d,
        day,
        lambda: f"; successor {_describe(d.successor)}" if d.successor else "",
        lambda: (
            f"; predecessors {', '.join(_describe(c) for c in before)}"
            if before
            else ""
        ),
    )


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _choose(codes: Sequence[str], day: date | None) -> District | None:
    """One district among those sharing a name: the one valid on the day, or current."""
    idx = _index()
    found = [idx.districts[c] for c in dict.fromkeys(codes)]
    if len(found) > 1:
        if day is not None:
            found = [d for d in found if d.valid_on(day)] or found
        else:
            found = [d for d in found if d.valid_to is None] or found
    return found[0] if len(found) == 1 else None


def _is_authority(text: str, day: date | None) -> bool:
    """True if resolve_authority gives an authority valid on the day (any, if None)."""
    m = resolve_authority(text, as_of=day)
    if not m.resolved:
        return False
    if day is None:
        return True
    ent = registry().entities.get(str(m.la_code or m.dfe_code))
    return ent is None or ent.valid_on(day)


def _result(
    query: str, d: District, how: str, day: date | None, note: str = ""
) -> DistrictMatch:
    return DistrictMatch(
        query=query,
        district_code=d.code,
        district_name=d.name,
        county_code=d.county_code,
        match=how,
        note=_join(note, _validity_note(d, day)),
    )


@lru_cache(maxsize=65536)
def _match_text(text: str, day: date | None) -> DistrictMatch | None:
    idx = _index()
    stripped = text.strip()
    if not stripped:
        return None
    code = code_text(stripped)
    if code is not None and ONS_CODE.match(code):
        key = idx.by_code.get(code)
        if key is None:
            return None
        d = idx.districts[key]
        note = (
            f"{code} is a former code of {d.name}, now {d.code}" if code != key else ""
        )
        # A code names its district whatever the date; only note a mismatch.
        return _result(text, d, "code", day, note)
    full = normalise_name(stripped, keep_notes=True)
    base = normalise_name(stripped)
    for key in dict.fromkeys((full, base)):
        if not key:
            continue
        if key in idx.by_name:
            codes, how = idx.by_name[key], "exact"
        elif key in idx.aliases:
            codes, how = [idx.aliases[key]], "alias"
        else:
            continue
        if _is_authority(stripped, day):
            return None  # e.g. a name shared with a unitary council
        chosen = _choose(codes, day)
        return None if chosen is None else _result(text, chosen, how, day)
    return None


def match_district(
    name_or_code: object, as_of: date | str | None = None
) -> DistrictMatch | None:
    """Recognise one value as an English lower-tier district, or return None.

    Tries the ONS code (current or former E07 code, any case), then the exact name
    after :func:`normalise_name` ('Allerdale District Council', 'Kings Lynn & West
    Norfolk'), then the curated aliases ('Shepway'). No fuzzy matching. A name that
    :func:`resolve_authority` resolves to an authority valid on ``as_of`` (with no
    ``as_of``: to any authority) is not a district, so upper-tier rows are never set
    aside. A district abolished before ``as_of`` (or created after it) is still
    returned, with a note saying so and naming its successor.

    Parameters
    ----------
    name_or_code : str or other
        A name or code as printed; None, NaN and empty strings give None.
    as_of : datetime.date, ISO date str or None
        The date the row describes.

    Returns
    -------
    DistrictMatch or None

    Raises
    ------
    ValueError
        If ``as_of`` is a string that is not an ISO date.

    Examples
    --------
    >>> m = match_district("Craven District Council", as_of="2021-03-31")
    >>> m.district_code, m.county_code, m.note
    ('E07000163', 'E10000023', '')
    >>> for part in match_district("Craven", as_of="2024-03-31").note.split("; "):
    ...     print(part)
    existed until 2023-03-31 (abolished 2023-04-01), not on 2024-03-31
    successor North Yorkshire (E06000065)
    >>> match_district("Shepway").district_name, match_district("Shepway").match
    ('Folkestone and Hythe', 'alias')
    >>> match_district("Leeds") is None, match_district("E06000055") is None
    (True, True)
    """
    text = _query_text(name_or_code)
    day = as_date(as_of)
    if text is None:
        return None
    return _match_text(text, day)


def match_districts(
    values: Sequence[object] | pd.Series | np.ndarray, as_of: date | str | None = None
) -> list[DistrictMatch | None]:
    """:func:`match_district` for many values; each distinct value is matched once.

    Parameters
    ----------
    values : sequence, pandas.Series or numpy array
        Names and/or codes; None/NaN give None.
    as_of : datetime.date, ISO date str or None
        As for :func:`match_district`, applied to every value.

    Returns
    -------
    list of DistrictMatch or None
        One per input value, in order (equal values share one object).

    Examples
    --------
    >>> found = match_districts(["Eden", "Leeds", None, "Eden"])
    >>> [m and m.district_code for m in found], found[0] is found[3]
    (['E07000030', None, None, 'E07000030'], True)
    """
    day = as_date(as_of)
    return _match_each(values, lambda u: match_district(u, day), None)


@cache
def _outside_england() -> dict[str, tuple[str, str]]:
    """Normalised name or code → (GSS code, nation) for Welsh, Scottish, NI councils."""
    frame = _read_data_csv("outside_england.csv")
    index: dict[str, tuple[str, str]] = {}
    for row in frame.itertuples(index=False):
        names = [row.name, row.official_name, *_split(row.alt_names)]
        for name in names:
            # Welsh councils print both names: 'Cardiff / Caerdydd'.
            for part in [name, *name.split(" / ")]:
                if part.strip():
                    index[normalise_name(part)] = (row.gss_code, row.nation)
        index[row.gss_code.upper()] = (row.gss_code, row.nation)
    return index


def match_outside_england(name_or_code: object) -> tuple[str, str] | None:
    """The GSS code and nation of a council in Wales, Scotland or Northern Ireland.

    UK-wide tables list them beside English authorities; lacompare sets their rows
    aside. Names that are also English authorities are not matched.

    Examples
    --------
    >>> match_outside_england("Cardiff / Caerdydd")
    ('W06000015', 'Wales')
    >>> match_outside_england("Leeds") is None
    True
    """
    text = _query_text(name_or_code)
    if not text:
        return None
    index = _outside_england()
    found = index.get(text.upper()) or index.get(normalise_name(text))
    if found is None and " / " in text:
        found = index.get(normalise_name(text.split(" / ")[0]))
    if found is None or _is_authority(text, None):
        return None
    return found
