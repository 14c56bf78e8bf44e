"""The snapshot vocabulary, read from the package's data files.

``data/measures.csv`` (snapshot measures and their labels), ``data/thresholds.csv``
(caseload thresholds per team type), ``data/case_types.csv`` (case types of an
extract) and ``data/published.csv`` (snapshot measures that match published DfE
measures). Each file names its source in its ``#`` header.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "SnapshotMeasure",
    "Threshold",
    "CaseType",
    "PublishedMatch",
    "read_measures",
    "read_thresholds",
    "read_case_types",
    "read_published_matches",
    "match_measure",
    "parse_measure_key",
    "UNITS",
]

#: Snapshot units: ``count`` (exact whole numbers), ``per 10,000`` (rates per
#: 10,000 children aged 0-17), ``%`` (percentages).
UNITS = ("count", "per 10,000", "%")


@dataclass(frozen=True)
class SnapshotMeasure:
    """A snapshot measure: id, breakdown, the label reports print, unit."""

    measure: str
    breakdown: str
    label: str
    unit: str
    trend: bool = False

    @property
    def key(self) -> str:
        """``measure`` or ``measure[breakdown]``."""
        return f"{self.measure}[{self.breakdown}]" if self.breakdown else self.measure


@dataclass(frozen=True)
class Threshold:
    """A caseload threshold: workers of ``team_type`` counting ``count_by``."""

    team_type: str
    count_by: str
    threshold: int
    breakdown: str


@dataclass(frozen=True)
class CaseType:
    """A case type of an extract and what it also counts as."""

    code: str
    label: str
    counts_towards: str
    rate: bool


@dataclass(frozen=True)
class PublishedMatch:
    """A snapshot measure and the published store measure it compares with."""

    measure: str
    breakdown: str
    store_measure: str
    store_breakdown: str
    label: str
    #: How to derive the rate when the published one is not in the store: the
    #: count measure (and its breakdown) at ``count_reference_date`` per 10,000
    #: of the population (candidates in order: an age band or a measure id) at
    #: ``population_reference_date``; empty ``count``: no derivation.
    count: str = ""
    count_breakdown: str = ""
    count_reference_date: str = ""
    population: tuple[str, ...] = ()
    population_reference_date: str = ""


def _rows(name: str) -> list[dict[str, str]]:
    text = (
        resources.files("lacompare.snapshot")
        .joinpath("data", name)
        .read_text(encoding="utf-8")
    )
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return [
        {k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)
    ]


@cache
def read_measures() -> tuple[SnapshotMeasure, ...]:
    """The packaged snapshot measures (001 §4.1's rows).

    Examples
    --------
    >>> m = read_measures()[3]
    >>> m.key, m.label, m.unit
    ('open_cases[CP]', 'No of Child Protection Plans', 'count')
    """
    return tuple(
        SnapshotMeasure(
            r["measure"],
            r["breakdown"],
            r["label"],
            r["unit"],
            r.get("trend", "").lower() == "yes",
        )
        for r in _rows("measures.csv")
    )


@cache
def read_thresholds() -> tuple[Threshold, ...]:
    """Caseload thresholds per team type.

    Examples
    --------
    >>> [(t.count_by, t.threshold) for t in read_thresholds()
    ...  if t.team_type == "EH clusters"]
    [('individuals', 25), ('families', 8)]
    """
    return tuple(
        Threshold(r["team_type"], r["count_by"], int(r["threshold"]), r["breakdown"])
        for r in _rows("thresholds.csv")
    )


@cache
def read_case_types() -> tuple[CaseType, ...]:
    """Case types of a case-level extract.

    Examples
    --------
    >>> {c.code: c.counts_towards for c in read_case_types()}["CP"]
    'CIN'
    """
    return tuple(
        CaseType(r["code"], r["label"], r["counts_towards"], r["rate"].lower() == "yes")
        for r in _rows("case_types.csv")
    )


@cache
def read_published_matches() -> tuple[PublishedMatch, ...]:
    """Snapshot measures with a published counterpart (CLA, CP and CIN rates).

    Examples
    --------
    >>> [m.store_measure for m in read_published_matches()]
    ['rate_per_10000', 'cpp_rate_per_10000', 'cin_rate_per_10000']
    >>> m = read_published_matches()[1]
    >>> m.count, m.population
    ('cpp_at31', ('0-17', 'population_estimate'))
    """
    return tuple(
        PublishedMatch(
            r["measure"],
            r["breakdown"],
            r["store_measure"],
            r["store_breakdown"],
            r["label"],
            r.get("count", ""),
            r.get("count_breakdown", ""),
            r.get("count_reference_date", ""),
            tuple(p.strip() for p in r.get("population", "").split("|") if p.strip()),
            r.get("population_reference_date", ""),
        )
        for r in _rows("published.csv")
    )


_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*$")


def parse_measure_key(text: str) -> tuple[str, str] | None:
    """``measure[breakdown]`` split in two, or ``None`` if it is not an id.

    Examples
    --------
    >>> parse_measure_key("open_cases[CP]"), parse_measure_key("No of CLA")
    (('open_cases', 'CP'), None)
    """
    m = _KEY.match(text or "")
    return (m[1], (m[2] or "").strip()) if m else None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def match_measure(text: str) -> SnapshotMeasure | None:
    """The packaged measure a file names, by id or by its printed label.

    Examples
    --------
    >>> match_measure("CLA rate (per 10,000)").key
    'rate_per_10000[CLA]'
    >>> match_measure("open_cases[CLA]").label
    'No of CLA (all ages)'
    >>> match_measure("Something else") is None
    True
    """
    wanted = _norm(text)
    key = parse_measure_key(text)
    for m in read_measures():
        if _norm(m.label) == wanted or (key and (m.measure, m.breakdown) == key):
            return m
    return None
