"""Reading inputs from the store and writing derived measures back, with provenance.

A derived measure is stored like a loaded one, so every analysis can use it:

* ``measures``: one row (label, unit, polarity, reference date, and a description
  naming the recipe and its inputs);
* ``sources``: one row per derivation, ``file = 'derived:<recipe>'``, ``spec`` = the
  recipe as JSON (inputs, breakdowns, scale, matching rule), ``sha256`` of that JSON;
* ``observations``: one row per authority × period × breakdown, ``source_column``
  naming the inputs and periods it came from ('children_count[2024] /
  pop_0_17[2023]'), ``raw`` the printed form when it is not a number ('-');
* ``totals``: the same recipe applied to the set-aside England/region rows, when
  the inputs have them (``check_result = 'derived'``);
* ``derived_inputs`` (created by lacompare.derive): every input value behind every
  derived value — role (numerator, denominator, current, previous), input measure,
  period, breakdown, value and missing reason — so a rate's count and population
  can be found again (compare's funnel limits use them).

Deriving again under the same name replaces the earlier derivation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.derive._dates import reference_day
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

DERIVED_PREFIX = "derived:"
INPUTS_TABLE = "derived_inputs"
INPUTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {INPUTS_TABLE} (
    source_id INTEGER NOT NULL,
    measure VARCHAR NOT NULL,
    level VARCHAR NOT NULL,          -- 'authority' (la_code) or 'total' (area code)
    la_code VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    breakdown VARCHAR NOT NULL DEFAULT '',
    role VARCHAR NOT NULL,
    input_measure VARCHAR NOT NULL,
    input_period VARCHAR,
    input_breakdown VARCHAR,
    input_value DOUBLE,
    input_missing_reason VARCHAR
)"""

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
        and store.con.execute(
            "SELECT count(*) FROM observations WHERE measure = ?", [measure]
        ).fetchall()[0][0]
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
    return [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT breakdown FROM observations WHERE measure = ? ORDER BY 1",
            [measure],
        ).fetchall()
    ]


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


def current_sql(table: str = "observations", breakdown: str | None = None) -> str:
    """One value per key: where several sources hold it, the latest load wins.

    Parameters: the measure, then the breakdown when one is given.
    """
    key = "la_code" if table == "observations" else "coalesce(area_code, area_name)"
    cols = (
        "la_code AS k, NULL AS area_name, label"
        if table == "observations"
        else "coalesce(area_code, area_name) AS k, area_name, NULL AS label"
    )
    where = "measure = ?" + (" AND breakdown = ?" if breakdown is not None else "")
    return f"""SELECT {cols}, measure, period, breakdown, value, missing_reason,
                      source_id
               FROM {table} WHERE {where}
               QUALIFY row_number() OVER (
                   PARTITION BY {key}, measure, period, breakdown
                   ORDER BY source_id DESC) = 1"""


def duplicate_count(store: Store, measure: str) -> int:
    """Keys of ``measure`` held by more than one source (the latest is used)."""
    row = store.con.execute(
        """SELECT count(*) FROM (SELECT 1 FROM observations WHERE measure = ?
           GROUP BY la_code, period, breakdown HAVING count(*) > 1)""",
        [measure],
    ).fetchall()
    return int(row[0][0]) if row else 0


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
    """Register frames with DuckDB for the length of a ``with`` block."""

    def __init__(self, store: Store, **frames: pd.DataFrame) -> None:
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

    rows = store.con.execute(
        """SELECT DISTINCT measure, period FROM observations
           WHERE measure IN (SELECT unnest(?))
           UNION SELECT DISTINCT measure, period FROM totals
           WHERE measure IN (SELECT unnest(?))""",
        [list(measures), list(measures)],
    ).fetchall()
    out = []
    for measure, period in rows:
        day = reference_day(period, measures[measure])
        out.append(
            (measure, period, day, decimal_year(day) if day is not None else None)
        )
    frame = pd.DataFrame(out, columns=["measure", "period", "day", "t"])
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


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
    con = store.con
    con.execute(INPUTS_DDL)
    loaded = con.execute(
        """SELECT count(*) FROM observations o JOIN sources s USING (source_id)
           WHERE o.measure = ? AND NOT starts_with(s.file, ?)""",
        [name, DERIVED_PREFIX],
    ).fetchall()[0][0]
    if loaded:
        raise InputError(
            f"measure {name!r} holds loaded (not derived) values; choose another --name"
        )
    spec = json.dumps(recipe, sort_keys=True, default=str)
    sha = hashlib.sha256(spec.encode("utf-8")).hexdigest()
    vals = values.rename(columns={"inputs": "source_column"})
    vname, iname = temp_name("values"), temp_name("inputs")
    con.register(vname, vals)
    con.register(iname, inputs)
    tname = None
    if totals is not None and len(totals):
        tname = temp_name("totals")
        con.register(tname, totals.rename(columns={"inputs": "source_column"}))
    try:
        con.execute("BEGIN")
        old = [
            r[0]
            for r in con.execute(
                """SELECT DISTINCT source_id FROM sources WHERE starts_with(file, ?)
               AND source_id IN (SELECT source_id FROM observations WHERE measure = ?
                                 UNION SELECT source_id FROM totals WHERE measure = ?
                                 UNION SELECT source_id FROM derived_inputs
                                 WHERE measure = ?)""",
                [DERIVED_PREFIX, name, name, name],
            ).fetchall()
        ]
        if old:
            for table in ("observation_cells", "totals", INPUTS_TABLE):
                con.execute(
                    f"DELETE FROM {table} WHERE measure = ? AND source_id IN "
                    "(SELECT unnest(?))",
                    [name, old],
                )
            # A source row goes when nothing else refers to it.
            con.execute(
                """DELETE FROM sources WHERE source_id IN (SELECT unnest(?))
                   AND source_id NOT IN (SELECT source_id FROM observations
                                         UNION SELECT source_id FROM totals)""",
                [old],
            )
        n_tot = len(totals) if totals is not None and tname else 0
        source_id = con.execute(
            """INSERT INTO sources (file, sheet, sha256, spec, observations, totals,
                                    note)
               VALUES (?, '', ?, ?, ?, ?, ?) RETURNING source_id""",
            [
                DERIVED_PREFIX + recipe["recipe"],
                sha,
                spec,
                len(values),
                n_tot,
                description,
            ],
        ).fetchall()[0][0]
        con.execute("DELETE FROM measures WHERE measure = ?", [name])
        con.execute(
            """INSERT INTO measures (measure, label, unit, polarity, reference_date,
                                     description) VALUES (?, ?, ?, ?, ?, ?)""",
            [name, label, unit, polarity, reference_date, description],
        )
        con.execute(
            f"""INSERT INTO observation_cells (la_code, measure, period, breakdown,
                value,
                    missing_reason, raw, source_id, source_column)
                SELECT la_code, ?, period, breakdown, value, missing_reason, raw, ?,
                       source_column FROM {vname}""",
            [name, source_id],
        )
        con.execute(
            f"""INSERT INTO {INPUTS_TABLE} SELECT ?, ?, level, la_code, period,
                    breakdown, role, input_measure, input_period, input_breakdown,
                    input_value, input_missing_reason FROM {iname}""",
            [source_id, name],
        )
        if tname:
            con.execute(
                f"""INSERT INTO totals (area_code, area_name, measure, period,
                        breakdown, value, missing_reason, raw, source_id,
                        source_column, check_result)
                    SELECT area_code, area_name, ?, period, breakdown, value,
                           missing_reason, raw, ?, source_column, 'derived'
                    FROM {tname}""",
                [name, source_id],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister(vname)
        con.unregister(iname)
        if tname:
            con.unregister(tname)
    return int(source_id)


def recipe_of(store: Store, measures: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The recipe of each derived measure among ``measures`` (latest derivation)."""
    rows = store.con.execute(
        """SELECT DISTINCT o.measure, s.source_id, s.spec
           FROM observations o JOIN sources s USING (source_id)
           WHERE o.measure IN (SELECT unnest(?)) AND starts_with(s.file, ?)
           ORDER BY s.source_id""",
        [list(measures), DERIVED_PREFIX],
    ).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for measure, source_id, spec in rows:
        recipe = json.loads(spec)
        recipe["source_id"] = source_id
        out[measure] = recipe
    return out


def has_table(store: Store, name: str) -> bool:
    return bool(
        store.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [name],
        ).fetchall()[0][0]
    )
