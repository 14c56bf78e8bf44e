"""The packaged indicator catalogue (``indicators.toml``), parsed and checked once."""

from __future__ import annotations

import functools
import hashlib
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files

from lacompare.errors import InputError
from lacompare.sources.specs import POLARITIES

#: Every field an entry must give, with its type.
FIELDS: dict[str, type] = {
    "id": str,
    "label": str,
    "topic": str,
    "unit": str,
    "additive": bool,
    "polarity": str,
    "decimals": int,
    "year_type": str,
    "reference_date": str,
    "description": str,
    "headline": bool,
    "sources": list,
}
#: Optional fields: ``headline_slot`` groups headline indicators that stand in for
#: one another (IDACI 2025, else 2019, as the measure of need): the first of a slot
#: with values is shown.
OPTIONAL: dict[str, type] = {"headline_slot": str}
#: A stable id: lower case words joined by underscores (it goes in URLs and -m).
_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
CATALOGUE_FILE = "indicators.toml"


@dataclass(frozen=True)
class Source:
    """One store measure an indicator is read from.

    ``published`` is False for a figure computed (by lacompare or a third party)
    rather than printed by its publisher.
    """

    measure: str
    breakdown: str
    published: bool
    note: str

    @property
    def key(self) -> str:
        """The measure as the store's commands spell it: ``measure[breakdown]``.

        Examples
        --------
        >>> Source("LAC", "", True, "").key, Source("n", "age=5", True, "").key
        ('LAC', 'n[age=5]')
        """
        return f"{self.measure}[{self.breakdown}]" if self.breakdown else self.measure


@dataclass(frozen=True)
class Indicator:
    """One entry of the catalogue (see ``indicators.toml`` for the fields)."""

    id: str
    label: str
    topic: str
    unit: str
    additive: bool
    polarity: str
    decimals: int
    year_type: str
    reference_date: str
    description: str
    headline: bool
    sources: tuple[Source, ...]
    headline_slot: str = ""

    @property
    def slot(self) -> str:
        """The headline slot: ``headline_slot``, else the id."""
        return self.headline_slot or self.id

    @property
    def financial_year(self) -> bool:
        """Whether periods are financial years (2024-25, 2024/25, 2024-25 (OT))."""
        return self.year_type.lower().startswith("financial")


def catalogue_text() -> str:
    """The packaged catalogue file's text."""
    return (files("lacompare.catalogue") / CATALOGUE_FILE).read_text(encoding="utf-8")


def catalogue_digest() -> str:
    """SHA-256 of the packaged catalogue (a store's copy is refreshed on a change)."""
    return hashlib.sha256(catalogue_text().encode("utf-8")).hexdigest()


def parse_catalogue(text: str) -> tuple[Indicator, ...]:
    """Indicators from catalogue TOML text, every field checked.

    Raises :class:`~lacompare.errors.InputError` naming the entry and field of the
    first problem (a missing or mistyped field, a bad id or polarity, an id given
    twice, an entry with no sources).

    Examples
    --------
    >>> text = '''
    ... [[indicator]]
    ... id = "x_rate"
    ... label = "X"
    ... topic = "Context"
    ... unit = "%"
    ... additive = false
    ... polarity = "neutral"
    ... decimals = 1
    ... year_type = "Calendar year"
    ... reference_date = "Calendar year"
    ... description = "An example."
    ... headline = false
    ... sources = [{ measure = "x", breakdown = "", published = true, note = "" }]
    ... '''
    >>> parse_catalogue(text)[0].sources[0].key
    'x'
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"indicator catalogue: {exc}") from None
    out: list[Indicator] = []
    seen: set[str] = set()
    for n, entry in enumerate(data.get("indicator", []), start=1):
        where = f"indicator catalogue entry {n} ({entry.get('id', '?')})"
        for name, kind in FIELDS.items():
            if name not in entry:
                raise InputError(f"{where}: no {name}")
            # bool is an int in Python: decimals = true is still wrong.
            if not isinstance(entry[name], kind) or (
                kind is int and isinstance(entry[name], bool)
            ):
                raise InputError(f"{where}: {name} must be {kind.__name__}")
        for name, kind in OPTIONAL.items():
            if name in entry and not isinstance(entry[name], kind):
                raise InputError(f"{where}: {name} must be {kind.__name__}")
        extra = set(entry) - set(FIELDS) - set(OPTIONAL)
        if extra:
            raise InputError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
        if not _ID.match(entry["id"]):
            raise InputError(f"{where}: id must be lower-case words joined by _")
        if entry["id"] in seen:
            raise InputError(f"{where}: id given twice")
        seen.add(entry["id"])
        if entry["polarity"] not in POLARITIES:
            raise InputError(
                f"{where}: polarity must be one of " + ", ".join(POLARITIES)
            )
        if not 0 <= entry["decimals"] <= 6:
            raise InputError(f"{where}: decimals must be 0 to 6")
        if not entry["label"].strip() or not entry["topic"].strip():
            raise InputError(f"{where}: label and topic must not be blank")
        sources = tuple(_source(where, s) for s in entry["sources"])
        if not sources:
            raise InputError(f"{where}: no sources")
        if len({s.key for s in sources}) != len(sources):
            raise InputError(f"{where}: a source given twice")
        out.append(Indicator(**{**entry, "sources": sources}))
    return tuple(out)


def _source(where: str, raw: object) -> Source:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: each source is a table {{ measure = …, … }}")
    kinds = {"measure": str, "breakdown": str, "published": bool, "note": str}
    for name, kind in kinds.items():
        if not isinstance(raw.get(name), kind):
            raise InputError(f"{where}: source {raw!r}: {name} must be {kind.__name__}")
    if set(raw) - set(kinds):
        raise InputError(f"{where}: source {raw!r}: unknown field(s)")
    if not raw["measure"].strip():
        raise InputError(f"{where}: a source with a blank measure")
    return Source(raw["measure"], raw["breakdown"], raw["published"], raw["note"])


@functools.cache
def read_catalogue() -> tuple[Indicator, ...]:
    """The packaged catalogue's indicators, in file order (read once).

    Examples
    --------
    >>> cat = read_catalogue()
    >>> cat[0].id, cat[0].sources[0].published
    ('cla_rate_per_10000', True)
    """
    return parse_catalogue(catalogue_text())


def get_indicator(indicator_id: str) -> Indicator:
    """The catalogue entry with this id, or a one-line error suggesting near ones.

    Examples
    --------
    >>> get_indicator("idaci_2025").decimals
    3
    >>> get_indicator("cla_rate")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: no indicator 'cla_rate' in the catalogue; ...
    """
    for ind in read_catalogue():
        if ind.id == indicator_id:
            return ind
    from lacompare.catalogue._search import suggestion_text

    raise InputError(
        f"no indicator {indicator_id!r} in the catalogue"
        + suggestion_text(indicator_id)
    )


def indicator_for_key(key: str) -> Indicator | None:
    """The first indicator (in catalogue order) that reads the store key
    ``measure`` or ``measure[breakdown]``, if any.

    Examples
    --------
    >>> indicator_for_key("iod2025_idaci_average_score").id
    'idaci_2025'
    >>> indicator_for_key("no_such_measure") is None
    True
    """
    for ind in read_catalogue():
        if any(s.key == key for s in ind.sources):
            return ind
    return None


def indicator_decimals(key: str, values: Iterable[float] = ()) -> int | None:
    """Decimal places to print a store key's values with, from its catalogue
    indicator (IDACI 3), never more than the values hold (a source published in
    whole numbers prints whole); ``None`` for a key outside the catalogue.

    Examples
    --------
    >>> indicator_decimals("iod2025_idaci_average_score", [0.2345, 0.1])
    3
    >>> indicator_decimals("cin_rate_per_10000", [232.0, 330.0])
    0
    >>> indicator_decimals("no_such_measure") is None
    True
    """
    ind = indicator_for_key(key)
    if ind is None:
        return None
    finite = []
    for v in values:
        try:  # None, NaN and pandas' NA have no decimals to count
            number = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            finite.append(number)
    return next(
        (
            d
            for d in range(ind.decimals)
            if all(abs(round(v, d) - v) < 1e-9 for v in finite)
        ),
        ind.decimals,
    )


#: Quartile bands A-D in words: for a measure with a polarity A is the best quarter;
#: for a neutral one A is the highest (never "best": a high value is not good or bad).
_POLAR_QUARTERS = ("best", "second-best", "second-worst", "worst")
_NEUTRAL_QUARTERS = ("highest", "second-highest", "second-lowest", "lowest")


def band_text(band: str | None, polarity: str) -> str:
    """A quartile band (A-D) as a table prints it, respecting polarity.

    Examples
    --------
    >>> band_text("A", "higher-is-worse"), band_text("A", "neutral")
    ('A: best quarter', 'highest quarter')
    >>> band_text("D", "neutral"), band_text(None, "neutral")
    ('lowest quarter', '')
    """
    if not isinstance(band, str) or band not in ("A", "B", "C", "D"):
        return ""
    i = "ABCD".index(band)
    if polarity in ("higher-is-better", "higher-is-worse"):
        return f"{band}: {_POLAR_QUARTERS[i]} quarter"
    return f"{_NEUTRAL_QUARTERS[i]} quarter"


def headline_keys() -> list[tuple[str, str]]:
    """``(slot, store key)`` of the headline indicators, each indicator's sources
    in order of preference (the web app's and compare's default set). The slot is
    the indicator's id, or its ``headline_slot`` where indicators stand in for one
    another (``need``: IDACI 2025, else IDACI 2019); show the first key of each
    slot the store has values for.

    Examples
    --------
    >>> headline_keys()[0][0], headline_keys()[0][1].split("[")[0]
    ('cla_rate_per_10000', 'rate_per_10000')
    """
    return [
        (ind.slot, s.key)
        for ind in read_catalogue()
        if ind.headline
        for s in ind.sources
    ]
