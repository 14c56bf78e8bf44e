"""What kind of area a row names when it is not one authority (ingest, matching).

A file's rows name authorities, but also totals, lower-tier districts, areas
outside England, other public bodies and joint returns: figures worth keeping
beside the authorities' (in ``totals``), never loaded as an authority's. Matching
(:mod:`lacompare.store._ingest_match`) asks here what such a row is, and whether
a matched authority existed on the row's date.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lacompare.store import authority_key

# ONS code prefixes of areas that are not English upper-tier authorities.
NOT_UPPER_TIER = {
    "E07": ("district", "lower-tier district"),
    "W06": ("outside-england", "Welsh unitary authority"),
    "W92": ("outside-england", "Wales"),
    "S12": ("outside-england", "Scottish council area"),
    "S92": ("outside-england", "Scotland"),
    "N09": ("outside-england", "Northern Ireland district"),
    "N92": ("outside-england", "Northern Ireland"),
    "K02": ("outside-england", "United Kingdom"),
    "K03": ("outside-england", "Great Britain"),
    "K04": ("outside-england", "England and Wales"),
}
_CODE = re.compile(r"^[EWSNK]\d{8}$")
# Kinds of public body that MHCLG's revenue outturn (RO/RSX) lists beside councils
# ("Police and Crime Commissioner", "Fire and Rescue Authority", "Combined Authority",
# national parks, waste and transport authorities): figures, but not an authority's.
_OTHER_BODY = re.compile(
    r"\b(police|fire and rescue|fire authority|combined authority|park authority|"
    r"national park|broads authority|waste (disposal )?authority|transport for|"
    r"passenger transport|pension|port health|crime commissioner)\b",
    re.I,
)

# ONS entity codes of English upper-tier authorities (unitary, metropolitan district,
# London borough, county).
_UPPER_TIER_PREFIXES = {"E06", "E08", "E09", "E10"}


@functools.cache
def _validity() -> dict[str, tuple[str, str]]:
    from lacompare.geography import read_authorities

    frame = read_authorities()
    return {
        authority_key(r.la_code, r.dfe_code): (
            str(r.valid_from or ""),
            str(r.valid_to or ""),
        )
        for r in frame.itertuples()
    }


def valid_from(match: Any) -> str:
    """The date the matched authority was created ('before 1998' if earlier)."""
    return (
        _validity().get(authority_key(match.la_code, match.dfe_code), ("", ""))[0]
        or "before 1998"
    )


def valid_on(match: Any, as_of: str | None) -> bool:
    """Whether the matched authority existed on ``as_of`` (True when unknown)."""
    if not as_of:
        return True
    start, end = _validity().get(authority_key(match.la_code, match.dfe_code), ("", ""))
    start = "" if start in ("nan", "None") else start
    end = "" if end in ("nan", "None") else end
    return (not start or start <= as_of) and (not end or as_of <= end)


def other_row(
    matches: list[tuple[str, Any, Any]],
) -> tuple[str, str, str | None, str] | None:
    """A row that names an area other than one authority: (kind, why, code, name).

    Lower-tier districts, areas outside England and joint returns of two
    authorities ('North Northamptonshire / West Northamptonshire') are figures
    worth keeping, but not an authority's.
    """
    codes = [
        str(v).strip().upper()
        for _, v, _ in matches
        if _CODE.match(str(v).strip().upper())
    ]
    names = [
        str(v).strip() for _, v, _ in matches if not _CODE.match(str(v).strip().upper())
    ]
    for code in codes:
        found = NOT_UPPER_TIER.get(code[:3])
        if found:
            return "other", found[0], code, names[-1] if names else found[1]
        if code[:3] not in _UPPER_TIER_PREFIXES:
            # A real ONS code of another kind of body (police E23, fire E31, …).
            return "other", "other-body", code, names[-1] if names else code
    for name in names:
        if _OTHER_BODY.search(name):
            return "other", "other-body", codes[0] if codes else None, name
    if names:
        return _named_area(names)
    return None


def _named_area(names: list[str]) -> tuple[str, str, str | None, str] | None:
    """A row named (not coded) as a district, an area outside England or a joint
    return of several authorities."""
    from lacompare.geography import (
        match_authorities,
        match_district,
        match_outside_england,
    )

    found = match_district(names[-1])
    if found is not None:
        return "other", "district", found.district_code, found.district_name
    elsewhere = match_outside_england(names[-1])
    if elsewhere is not None:
        return "other", "outside-england", elsewhere[0], names[-1]
    for name in names:
        parts = [p.strip() for p in re.split(r"\s+/\s+|\s*;\s*", name) if p.strip()]
        if len(parts) > 1:
            matched = match_authorities(parts)
            if all(m.match not in ("none", "total-row") for m in matched):
                code = ";".join(authority_key(m.la_code, m.dfe_code) for m in matched)
                return "other", "joint-return", code, name
    return None


def other_area(
    matches: list[tuple[str, Any, Any]], level: str
) -> tuple[str | None, str]:
    """The code and name of a row at another geographic level (an EES file's
    statistical-neighbour medians, districts): its first code, its last name."""
    codes = [str(v).strip() for _, v, _ in matches if _CODE.match(str(v).strip())]
    names = [str(v).strip() for _, v, _ in matches if not _CODE.match(str(v).strip())]
    return (codes[0] if codes else None), (names[-1] if names else level)


def ees_area(level: str) -> tuple[str | None, str]:
    """The code and name of an EES total row: England, or a region (named per row
    from its region columns as the values are read)."""
    if level == "national":
        return "E92000001", "England"
    return None, "region"
