"""Name and code normalisation for matching local-authority labels.

Published tables spell one authority many ways ('St.Helens', 'Kingston-upon-Thames',
'Bristol, City of', 'Durham County Council', 'Bath & N.E Somerset'). The normaliser
reduces each label to a key of lower-case ASCII words so that spelling variants meet,
while keeping every word that tells two authorities apart ('North', 'East', 'Central').
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Words that only say what kind of council it is, stripped from either end of a name.
# Longest first, because the first one that fits is stripped.
_PREFIXES: tuple[tuple[str, ...], ...] = (
    ("city", "and", "county", "of"),
    ("metropolitan", "borough", "of"),
    ("london", "borough", "of"),
    ("royal", "borough", "of"),
    ("county", "borough", "of"),
    ("borough", "of"),
    ("council", "of"),
    ("county", "of"),
    ("city", "of"),
)
_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("metropolitan", "borough", "council"),
    ("metropolitan", "district", "council"),
    ("county", "borough", "council"),
    ("london", "borough", "council"),
    ("unitary", "authority"),
    ("metropolitan", "borough"),
    ("metropolitan", "district"),
    ("borough", "council"),
    ("district", "council"),
    ("county", "council"),
    ("city", "council"),
    ("london", "borough"),
    ("london", "boro"),
    ("city", "of"),
    ("county", "of"),
    ("corporation",),
    ("council",),
    ("borough",),
    ("district",),
    ("unitary",),
    ("county",),
    ("city",),
    ("mbc",),
    ("mdc",),
    ("cc",),
    # MHCLG revenue outturn abbreviates district councils: 'Boston BC', 'Hart DC'.
    ("bc",),
    ("dc",),
    ("ua",),
    ("la",),
)
# Suffixes that say "the county council" and those that say "the unitary council": used
# only to break a tie between two entities of one name (Dorset County Council, 835, and
# Dorset Council, 838, are both "Dorset").
_COUNTY_SUFFIXES = {("county", "council"), ("county",), ("cc",)}
_UNITARY_SUFFIXES = {("ua",), ("unitary",), ("unitary", "authority")}
# Bracketed notes meaning "the authority as it was before the reorganisation".
_PREDECESSOR_NOTES = re.compile(r"\b(pre ?lg|pre ?lgr|pre ?reorgani[sz]ation|former)\b")

_TOKEN_MAP: dict[str, tuple[str, ...]] = {
    "saint": ("st",),
    "n": ("north",),
    "s": ("south",),
    "e": ("east",),
    "w": ("west",),
    "ne": ("north", "east"),
    "nw": ("north", "west"),
    "se": ("south", "east"),
    "sw": ("south", "west"),
    "beds": ("bedfordshire",),
    "berks": ("berkshire",),
    "bucks": ("buckinghamshire",),
    "cambs": ("cambridgeshire",),
    "derbys": ("derbyshire",),
    "glos": ("gloucestershire",),
    "hants": ("hampshire",),
    "herts": ("hertfordshire",),
    "lancs": ("lancashire",),
    "leics": ("leicestershire",),
    "lincs": ("lincolnshire",),
    "northants": ("northamptonshire",),
    "notts": ("nottinghamshire",),
    "oxon": ("oxfordshire",),
    "staffs": ("staffordshire",),
    "wilts": ("wiltshire",),
    "worcs": ("worcestershire",),
    "yorks": ("yorkshire",),
}
# 'the' never distinguishes two English authorities ('Telford and The Wrekin',
# 'Yorkshire and The Humber'), so it is dropped rather than listed in aliases.
_DROP = {"the"}
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")

ONS_CODE = re.compile(r"^[EWSNK]\d{8}$")
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class ParsedName:
    """A label reduced for matching.

    ``full`` keeps the words of bracketed notes, ``base`` drops them, ``hint`` is
    'shire county', 'unitary' or 'predecessor' when the label says which of two
    same-named entities it means, and 'council' for a bare 'Council' suffix.
    """

    full: str
    base: str
    hint: str | None


def _fold(text: str) -> str:
    # casefold before NFKD: casefold can emit combining marks (e.g. for U+0130).
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _tokens(text: str) -> list[str]:
    text = text.replace("&", " and ").replace("+", " and ")
    text = _APOSTROPHES.sub("", text)
    out: list[str] = []
    for token in _NOT_ALNUM.sub(" ", text).split():
        if token in _DROP:
            continue
        out.extend(_TOKEN_MAP.get(token, (token,)))
    return out


def _strip_affixes(tokens: list[str]) -> tuple[list[str], tuple[str, ...] | None]:
    """Strip council-type words from both ends until nothing more comes off."""
    last_suffix: tuple[str, ...] | None = None
    changed = True
    while changed:
        changed = False
        # Suffixes first, so 'City of London Corporation' keeps its 'City of'.
        for suffix in _SUFFIXES:
            n = len(suffix)
            rest = tokens[:-n]
            # '... and City' / '... of County' are part of a name, not a council type.
            if (
                len(tokens) > n
                and tuple(tokens[-n:]) == suffix
                and rest[-1] not in ("and", "of")
            ):
                if suffix == ("city", "of") and rest == ["london"]:
                    # 'London, City of' is the City of London, not the region.
                    tokens = ["city", "of", "london"]
                else:
                    tokens = rest
                last_suffix = last_suffix or suffix
                changed = True
                break
        for prefix in _PREFIXES:
            n = len(prefix)
            rest = tokens[n:]
            if tuple(tokens[:n]) == prefix and rest:
                # 'City of London' is an authority; 'London' alone is the region.
                if prefix == ("city", "of") and rest[0] == "london":
                    continue
                tokens = rest
                changed = True
                break
    return tokens, last_suffix


def _key(text: str, keep_notes: bool) -> tuple[str, tuple[str, ...] | None]:
    text = _fold(text)
    if not keep_notes:
        while _BRACKETS.search(text):
            text = _BRACKETS.sub(" ", text)
    tokens, suffix = _strip_affixes(_tokens(text))
    return " ".join(tokens), suffix


def normalise_name(name: str, keep_notes: bool = False) -> str:
    """Reduce an authority label to the key used for matching.

    Lower-cases, folds accents, turns '&'/'+' into 'and' and punctuation into spaces,
    writes 'Saint' as 'st', expands N/S/E/W and county abbreviations ('N.Yorkshire',
    'Lincs'), drops 'the', and strips council-type words ('Council', 'City Council',
    'London Borough of', ', City of', 'UA', 'MBC', 'BC', 'DC', ...) from either end.
    Bracketed notes such as '(Pre LG)' are dropped unless ``keep_notes`` is true.
    'City of London' keeps its 'City of', because 'London' alone is the region. The
    result is idempotent.

    Parameters
    ----------
    name : str
        The label as printed.
    keep_notes : bool, default False
        Keep the words inside brackets (used to look up combined rows such as
        'Tower Hamlets (& City)').

    Returns
    -------
    str
        Space-separated lower-case ASCII words (may be empty).

    Examples
    --------
    >>> normalise_name("St.Helens Metropolitan Borough Council")
    'st helens'
    >>> normalise_name("Bath & N.E Somerset")
    'bath and north east somerset'
    >>> normalise_name("Bristol, City of"), normalise_name("City of London")
    ('bristol', 'city of london')
    >>> normalise_name("Dorset (Pre LG)")
    'dorset'
    >>> normalise_name("Dorset (Pre LG)", keep_notes=True)
    'dorset pre lg'
    """
    return _key(str(name), keep_notes)[0]


@lru_cache(maxsize=16384)
def parse_name(name: str) -> ParsedName:
    """Both keys of a label plus the tie-break hint it carries (cached: a build
    parses the same few hundred labels once for each date it matches them on).

    Examples
    --------
    >>> parse_name("Dorset County Council")
    ParsedName(full='dorset', base='dorset', hint='shire county')
    >>> parse_name("Poole (Pre LG)").hint
    'predecessor'
    """
    full, suffix = _key(name, keep_notes=True)
    base, _ = _key(name, keep_notes=False)
    hint: str | None = None
    if suffix in _COUNTY_SUFFIXES:
        hint = "shire county"
    elif suffix in _UNITARY_SUFFIXES:
        hint = "unitary"
    elif suffix == ("council",):
        # 'Dorset Council' (838) vs 'Dorset County Council' (835), but people also
        # write 'Kent Council': a weak hint, used only after the date.
        hint = "council"
    notes = " ".join(_tokens(" ".join(_BRACKETS.findall(_fold(name)))))
    if _PREDECESSOR_NOTES.search(notes):
        hint = "predecessor"
    return ParsedName(full=full, base=base, hint=hint)


def code_text(value: object) -> str | None:
    """The code-like text of a cell, or None when it cannot be a code.

    Integers and integral floats (201, 201.0 from spreadsheets) become their digits;
    strings are stripped and upper-cased.

    Examples
    --------
    >>> code_text(201.0), code_text(" e09000001 "), code_text(2.5)
    ('201', 'E09000001', None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and value >= 0:
            return str(int(value))
        return None
    text = str(value).strip().upper()
    # '201.0' as text comes from spreadsheets exported through floats.
    if text.endswith(".0") and _DIGITS.match(text[:-2]):
        text = text[:-2]
    return text


def split_combined_code(text: str) -> list[str] | None:
    """Parts of a combined code such as '940 / 941', or None if it is not one.

    Examples
    --------
    >>> split_combined_code("E06000061 / E06000062")
    ['E06000061', 'E06000062']
    >>> split_combined_code("940") is None
    True
    """
    parts = [p for p in re.split(r"\s*[/;,&+]\s*|\s+and\s+|\s+", text.strip()) if p]
    if len(parts) < 2:
        return None
    parts = [p.upper() for p in parts]
    if all(ONS_CODE.match(p) or (_DIGITS.match(p) and len(p) == 3) for p in parts):
        return parts
    return None
