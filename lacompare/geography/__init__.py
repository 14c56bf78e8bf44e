"""English local authorities: the registry and name/code resolution.

The registry (``data/authorities.csv``) holds every upper-tier authority with
children's services duties today and every predecessor since 1998, one row per ONS
code lifetime. :func:`resolve_authority` turns a printed name or code into a
registry entry, refusing to guess when unsure; :func:`match_authority_strict` takes
only exact names, codes and aliases (what a person types: commands, the web app).
Lower-tier districts (``data/districts.csv``), which are not authorities, are
recognised by :func:`match_district` so that their rows can be set aside or added up
to the county. :func:`resolve_table` resolves a column of a table
(:func:`lacompare.sources.resolve_file` reads the table from a file).

Examples
--------
>>> from lacompare.geography import resolve_authority
>>> resolve_authority("Kingston-upon-Thames").la_code
'E09000021'
"""

from __future__ import annotations

from lacompare._lazy import lazy_exports

from ._choose import Match
from ._districts import (
    ONS_CODE_TYPES,
    DistrictMatch,
    match_district,
    match_districts,
    match_outside_england,
    ons_code_type,
    read_district_aliases,
    read_districts,
)
from ._files import ADDED_COLUMNS, resolve_table
from ._fuzzy import FUZZY_MARGIN, FUZZY_THRESHOLD
from ._history import (
    authorities_on,
    authority_type_on,
    history_on,
    read_authority_history,
    total_row_types,
)
from ._joint import (
    JointReturn,
    joint_note,
    joint_return_of,
    match_joint_return,
    read_joint_returns,
)
from ._match import match_authorities, resolve_authority
from ._normalise import normalise_name
from ._registry import read_aliases, read_areas, read_authorities
from ._strict import Suggestion, UnknownAuthority, match_authority_strict

__all__ = [
    "ADDED_COLUMNS",
    "FUZZY_MARGIN",
    "FUZZY_THRESHOLD",
    "ONS_CODE_TYPES",
    "authorities_on",
    "authority_type_on",
    "history_on",
    "read_authority_history",
    "total_row_types",
    "DistrictMatch",
    "JointReturn",
    "joint_note",
    "joint_return_of",
    "match_joint_return",
    "read_joint_returns",
    "Match",
    "Suggestion",
    "UnknownAuthority",
    "match_authorities",
    "match_authority_strict",
    "match_district",
    "match_outside_england",
    "match_districts",
    "normalise_name",
    "ons_code_type",
    "read_aliases",
    "read_areas",
    "read_authorities",
    "read_district_aliases",
    "read_districts",
    "resolve_authority",
    "resolve_table",
    "as_date",
    "strict_record",
]


# Names later stages use, loaded on first use (lacompare._lazy).
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "as_date": "lacompare.geography._choose",
        "strict_record": "lacompare.geography._strict",
    },
)
