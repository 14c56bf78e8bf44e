"""Reading inputs from the store and writing derived measures back, with provenance.

A derived measure is stored like a loaded one, so every analysis can use it (how,
in :mod:`lacompare.store` ``write_derived_values``): a ``measures`` row; a
``sources`` row ``derived:<recipe>`` holding the recipe as JSON; one value per
authority × period × breakdown, ``source_column`` naming the inputs and periods it
came from ('children_count[2024] / pop_0_17[2023]'); ``totals`` rows where the
inputs have England/region rows; and in ``derived_inputs`` every input value
behind every derived value (role, input measure, period, breakdown, value and
missing reason), so a rate's count and population can be found again (compare's
funnel limits use them).

Deriving again under the same name replaces the earlier derivation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.derive._dates import reference_day
from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.store import (
    DERIVED_PREFIX,
    INPUT_COLUMNS,
    INPUTS_TABLE,
    count_duplicate_keys,
    current_sql,
    current_values,
    list_breakdowns,
    list_derivations,
    list_measure_periods,
    write_derived_values,
)

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = [
    "ABSENT",
    "BASE_ZERO",
    "DERIVED_PREFIX",
    "INPUTS_TABLE",
    "INPUT_COLUMNS",
    "Derived",
    "MeasureInfo",
    "TOTAL_COLUMNS",
    "VALUE_COLUMNS",
    "breakdowns_of",
    "carried",
    "choose",
    "current_frame",
    "current_sql",
    "current_with_days",
    "days_frame",
    "duplicate_count",
    "duplicate_issues",
    "has_table",
    "lineage_frame",
    "measure_info",
    "nullable",
    "recipe_of",
    "registered",
    "resolve_breakdown",
    "temp_name",
    "with_previous_year",
    "write_derived",
]

#: How a derived value's missing reason names a missing input.
ABSENT = "input-absent"
BASE_ZERO = "base-zero"

_counter = 0


def temp_name(stem: str) -> str:
    """A unique name for a frame registered with DuckDB."""
    global _counter
    _counter += 1
    return f"_lac_{stem}_{_counter}"


def choose(conditions: Sequence[Any], choices: Sequence[Any], size: int) -> Any:
    """Like :func:`numpy.select` with None where no condition holds (object array);
    the first true condition wins."""
    import numpy as np

    out = np.full(size, None, dtype=object)
    for cond, choice in reversed(list(zip(conditions, choices, strict=True))):
        out = np.where(
            np.asarray(cond, dtype=bool), np.asarray(choice, dtype=object), out
        )
    return out


def nullable(series: pd.Series) -> pd.Series:
    """Text with None (not NaN) where empty: missing reasons print as None."""
    out = series.astype(object)
    return out.where(out.notna(), None)


def carried(reason: Any, label: Any = None) -> str:
    """The reason a derived value is missing, from its input's missing reason.

    Examples
    --------
    >>> carried("suppressed"), carried("input-suppressed"), carried(None, "Good")
    ('input-suppressed', 'input-suppressed', 'input-not-numeric')
    """
    if reason is None or reason != reason:  # None or NaN
        return (
            "input-not-numeric"
            if label is not None and label == label
            else "input-blank"
        )
    text = str(reason)
    return text if text.startswith("input-") else f"input-{text}"


@dataclass
class MeasureInfo:
    """A measure's row in ``measures``."""

    measure: str
    label: str | None
    unit: str | None
    polarity: str
    reference_date: str | None
    description: str | None


def measure_info(store: Store, measure: str) -> MeasureInfo:
    """The ``measures`` row of a measure, or a one-line error naming near ones."""
    rows = store.con.execute(
        "SELECT measure, label, unit, polarity, reference_date, description "
        "FROM measures WHERE measure = ?",
        [measure],
    ).fetchall()
    if (
        not rows
        and store.values_relation(measures=measure, columns=["la_code"])
        .limit(1)
        .fetchall()
    ):
        # Values without a measures row (a hand-made store): defaults.
        return MeasureInfo(measure, None, None, "neutral", None, None)
    if not rows:
        names = [
            r[0]
            for r in store.con.execute(
                "SELECT measure FROM measures ORDER BY measure"
            ).fetchall()
        ]
        from lacompare.catalogue import unknown_measure_hint

        raise InputError(
            f"no measure {measure!r} in the store"
            + unknown_measure_hint(measure, names)
        )
    return MeasureInfo(*rows[0])


def breakdowns_of(store: Store, measure: str) -> list[str]:
    """The breakdowns ``measure`` has values under, sorted (``''``: the total)."""
    return list_breakdowns(store, measure)


def resolve_breakdown(store: Store, measure: str, text: str | None) -> str | None:
    """A breakdown of ``measure``: exact, or the one that contains ``text``.

    ``None`` means every breakdown. Empty text means the total ('').
    """
    if text is None:
        return None
    available = breakdowns_of(store, measure)
    if text in available:
        return text
    hits = [b for b in available if text.lower() in b.lower()]
    if len(hits) == 1:
        return hits[0]
    shown = "; ".join(repr(b) for b in available[:8]) or "none"
    if not hits:
        raise InputError(
            f"measure {measure!r} has no breakdown {text!r}; it has: {shown}"
        )
    raise InputError(
        f"breakdown {text!r} of {measure!r} is ambiguous: "
        + "; ".join(repr(b) for b in hits[:8])
    )


def current_frame(
    store: Store, measure: str, breakdown: str | None = None
) -> pd.DataFrame:
    """A measure's current values (the latest load's where several hold a key):
    ``la_code, area_name, label, measure, period, breakdown, value,
    missing_reason, source_id``."""
    return (
        current_values(store, measure, breakdown).df().rename(columns={"k": "la_code"})
    )


def duplicate_count(store: Store, measure: str) -> int:
    """Keys of ``measure`` held by more than one source (the latest is used)."""
    return count_duplicate_keys(store, measure)


def duplicate_issues(store: Store, measure: str) -> IssueLog:
    """An issue when values of ``measure`` are held by more than one load."""
    issues = IssueLog()
    dups = duplicate_count(store, measure)
    if dups:
        issues.add(
            "duplicate-values",
            f"{measure}: {dups:,} values are held by more than one load; the "
            "latest load's value is used",
            severity="info",
        )
    return issues


def lineage_frame(store: Store) -> pd.DataFrame:
    """Each authority's lineage key: the code at the end of its one-to-one chain of
    successors.

    An authority whose ONS code changed without a change of area (Buckinghamshire
    2020, North Yorkshire and Somerset 2023: county council → unitary, same DfE code)
    is one lineage, so a 2024 count meets the mid-2023 population filed under the old
    code. Splits and mergers (Northamptonshire, Cumbria, Dorset) break the chain.
    """
    import pandas as pd

    rows = store.con.execute(
        "SELECT la_code, predecessors, successors FROM authorities"
    ).fetchall()

    def split(text: Any) -> list[str]:
        return [c for c in str(text or "").replace(",", ";").split(";") if c.strip()]

    preds = {code: split(p) for code, p, _ in rows}
    nxt: dict[str, str] = {}
    for code, _, succ in rows:
        after = split(succ)
        if len(after) == 1 and preds.get(after[0].strip()) == [code]:
            nxt[code] = after[0].strip()
    out = []
    for code, _, _ in rows:
        end, seen = code, {code}
        while end in nxt and nxt[end] not in seen:
            end = nxt[end]
            seen.add(end)
        out.append((code, end))
    return pd.DataFrame(out, columns=["la_code", "lineage"])


class registered:
    """Register frames (or DuckDB relations) with DuckDB for the length of a
    ``with`` block; the block gets their names."""

    def __init__(self, store: Store, **frames: Any) -> None:
        self.con = store.con
        self.names = {key: temp_name(key) for key in frames}
        self.frames = frames

    def __enter__(self) -> dict[str, str]:
        for key, frame in self.frames.items():
            self.con.register(self.names[key], frame)
        return self.names

    def __exit__(self, *exc: object) -> None:
        for name in self.names.values():
            self.con.unregister(name)


def days_frame(store: Store, measures: Mapping[str, str | None]) -> pd.DataFrame:
    """Reference day and decimal year of every period of the given measures.

    ``measures`` maps each measure to its reference date.
    """
    import pandas as pd

    from lacompare.derive._dates import decimal_year

    rows = list_measure_periods(store, list(measures))
    out = []
    for measure, period in rows:
        day = reference_day(period, measures[measure])
        out.append(
            (measure, period, day, decimal_year(day) if day is not None else None)
        )
    frame = pd.DataFrame(out, columns=["measure", "period", "day", "t"])
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def current_with_days(
    store: Store,
    measure: str,
    breakdown: str | None,
    reference_date: str | None,
    periods: Sequence[str] | None,
    source_id: int | None = None,
    totals: bool = False,
) -> pd.DataFrame:
    """Current values of one measure with each period's reference day (of the
    set-aside England/region rows with ``totals``)."""
    days = days_frame(store, {measure: reference_date})
    if periods is not None:
        days = days[days["period"].isin(list(periods))]
    current = current_values(store, measure, breakdown, totals=totals)
    if source_id is not None:
        current = current.filter(f"source_id = {int(source_id)}")
    lineage = lineage_frame(store)
    with registered(store, c=current, days=days, lineage=lineage) as names:
        return store.query(
            f"""SELECT c.k AS la_code, coalesce(l.lineage, c.k) AS lk, c.area_name,
                       c.period, c.breakdown, c.value, c.missing_reason, c.label,
                       d.day, d.t
                FROM {names["c"]} c
                JOIN {names["days"]} d ON d.measure = c.measure
                                       AND d.period = c.period
                LEFT JOIN {names["lineage"]} l ON l.la_code = c.k
                ORDER BY lk, c.breakdown, d.day, c.k"""
        )


def with_previous_year(frame: pd.DataFrame) -> pd.DataFrame:
    """Each row with the value one year before it (same authority lineage and
    breakdown)."""
    prev = frame[
        ["lk", "breakdown", "period", "value", "missing_reason", "label", "day"]
    ].copy()
    prev["day"] = prev["day"] + _one_year()
    merged = frame.merge(
        prev,
        on=["lk", "breakdown", "day"],
        how="left",
        suffixes=("", "_prev"),
        indicator=True,
    )
    merged["found"] = merged.pop("_merge") == "both"
    return merged


def _one_year() -> Any:
    import pandas as pd

    return pd.DateOffset(years=1)


#: The columns of a derived measure's values, and of its England/region totals.
VALUE_COLUMNS = [
    "la_code",
    "period",
    "breakdown",
    "value",
    "missing_reason",
    "raw",
    "inputs",
]
TOTAL_COLUMNS = ["area_code", "area_name", *VALUE_COLUMNS[1:]]


@dataclass
class Derived:
    """What a derivation stored: the new measure, its values and their gaps.

    ``values`` has one row per authority × period × breakdown (``la_code, period,
    breakdown, value, missing_reason, inputs``); ``missing`` counts missing values
    by reason; ``issues`` notes anything a reader should know.
    """

    measure: str
    recipe: dict[str, Any]
    values: pd.DataFrame
    source_id: int | None = None
    totals: int = 0
    issues: IssueLog = field(default_factory=IssueLog)

    def __post_init__(self) -> None:
        self.values = self.values.reset_index(drop=True)
        for col in ("missing_reason", "inputs"):
            if col in self.values:
                self.values[col] = nullable(self.values[col])

    @property
    def n(self) -> int:
        """Values that are numbers."""
        return int(self.values["value"].notna().sum())

    @property
    def missing(self) -> dict[str, int]:
        counts = self.values["missing_reason"].dropna().value_counts()
        return {str(k): int(v) for k, v in counts.items()}

    def summary_lines(self) -> list[str]:
        """Plain-text summary for a terminal or log."""
        periods = sorted(self.values["period"].unique())
        span = (
            ", ".join(periods)
            if len(periods) <= 4
            else f"{periods[0]} … {periods[-1]} ({len(periods)})"
        )
        authorities = self.values.loc[self.values["value"].notna(), "la_code"]
        lines = [
            f"derived {self.measure} ({self.recipe['recipe']}): {self.n:,} "
            f"values for {authorities.nunique()} "
            f"authorities, periods {span or 'none'}"
        ]
        if self.missing:
            lines.append(
                "missing: "
                + ", ".join(f"{k} {v:,}" for k, v in sorted(self.missing.items()))
            )
        if self.totals:
            lines.append(f"also derived {self.totals:,} England/region total values")
        lines.extend(f"note: {i.message}" for i in self.issues)
        return lines


def write_derived(
    store: Store,
    *,
    name: str,
    recipe: dict[str, Any],
    values: pd.DataFrame,
    inputs: pd.DataFrame,
    label: str,
    unit: str | None,
    polarity: str,
    reference_date: str | None,
    description: str,
    totals: pd.DataFrame | None = None,
) -> int:
    """Store a derived measure atomically; return its source id.

    ``values``: la_code, period, breakdown, value, missing_reason, raw, inputs.
    ``inputs``: level, la_code, period, breakdown, role, input_measure,
    input_period, input_breakdown, input_value, input_missing_reason.
    ``totals``: area_code, area_name, period, breakdown, value, missing_reason, raw,
    inputs.
    """
    return write_derived_values(
        store,
        measure=name,
        recipe=recipe["recipe"],
        spec=json.dumps(recipe, sort_keys=True, default=str),
        about={
            "label": label,
            "unit": unit,
            "polarity": polarity,
            "reference_date": reference_date,
            "description": description,
        },
        values=values,
        inputs=inputs,
        totals=totals,
    )


def recipe_of(store: Store, measures: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The recipe of each derived measure among ``measures`` (latest derivation)."""
    out: dict[str, dict[str, Any]] = {}
    for measure, source_id, spec in list_derivations(store, list(measures)):
        recipe = json.loads(spec)
        recipe["source_id"] = source_id
        out[measure] = recipe
    return out


def has_table(store: Store, name: str) -> bool:
    """Whether the store has a table ``name`` (an older store may lack one)."""
    return bool(
        store.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [name],
        ).fetchall()[0][0]
    )
