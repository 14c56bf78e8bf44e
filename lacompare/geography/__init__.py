"""English local authorities: the registry and name/code resolution.

The registry (``data/authorities.csv``) holds every upper-tier authority with
children's services duties today and every predecessor since 1998, one row per ONS
code lifetime. :func:`resolve_authority` turns a printed name or code into a
registry entry, refusing to guess when unsure.

Examples
--------
>>> from lacompare.geography import resolve_authority
>>> resolve_authority("Kingston-upon-Thames").la_code
'E09000021'
"""

from __future__ import annotations

from ._files import resolve_file
from ._match import (
    FUZZY_MARGIN,
    FUZZY_THRESHOLD,
    Match,
    match_authorities,
    resolve_authority,
)
from ._normalise import normalise_name
from ._registry import read_aliases, read_areas, read_authorities

__all__ = [
    "FUZZY_MARGIN",
    "FUZZY_THRESHOLD",
    "Match",
    "match_authorities",
    "normalise_name",
    "read_aliases",
    "read_areas",
    "read_authorities",
    "resolve_authority",
    "resolve_file",
]
