"""Which current authorities lack a value of each measure, and why (issue 17).

After a build, a LAIT user asks which authorities a measure leaves out before
comparing with it. :func:`summarise_coverage` answers for every measure in the store
at once: one query over the store's values (through
:meth:`lacompare.store.Store.values_relation`; another lists the distinct periods to
date them) lays each measure's periods against today's authorities and keeps the cells
with no value, each with the reason:

``not-existing``
    The authority did not exist on the period's day (created by a split or merge,
    from the registry's ``valid_from``); the predecessor the period was published
    for is named.
a publisher's reason (``suppressed``, ``not-available``, ``blank``, ...)
    The file has the authority's row, with a symbol in place of the figure
    (``c``, ``x``, ``z``, ``..``): the store's missing reason, printed as its GSS
    symbol (:func:`lacompare.formatting.format_missing`) with the file's text.
``joint-return``
    No row of its own: the figure is published for it jointly with a partner
    (Kingston upon Thames with Richmond upon Thames), kept with the totals.
``not-in-file``
    No row at all in the files that hold the measure for that period.
``no-values-in-period``
    No authority has a value in that period (the column is blank throughout).

A same-area recode (Buckinghamshire 2020, North Yorkshire and Somerset 2023) is one
continuing authority: a value published on the old code counts for today's code.
A measure with a total row (breakdown ``''``) is judged on it; one without on any of
its breakdowns.

Examples
--------
>>> from lacompare.store import open_store
>>> s = open_store(":memory:")
>>> _ = s.write_cells([
...     {"la_code": "E06000001", "measure": "m", "period": "2024", "value": 2.0},
...     {"la_code": "E06000002", "measure": "m", "period": "2024",
...      "missing_reason": "suppressed", "raw": "c"}], file="m.csv")
>>> cov = summarise_coverage(s)
>>> row = cov.gaps.set_index("la_code").loc["E06000002"]
>>> row["why"], row["detail"], row["periods"]
('suppressed', '[c] suppressed to protect confidentiality (the file has c)', '2024')
>>> int((cov.gaps["why"] == "not-in-file").sum())  # the other 151 authorities
151
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = ["COVERAGE_COLUMNS", "Coverage", "summarise_coverage"]

#: Columns of :attr:`Coverage.gaps` (and of ``lacompare coverage --format csv``).
COVERAGE_COLUMNS = (
    "measure",
    "la_code",
    "la_name",
    "why",
    "detail",
    "periods",
    "n_periods",
    "of_periods",
    "latest",
)


@dataclass
class Coverage:
    """Every current authority without a value of a measure, and why.

    ``gaps``: one row per measure, authority and reason (:data:`COVERAGE_COLUMNS`):
    ``periods`` lists the periods concerned in date order (``n_periods`` of the
    measure's ``of_periods``); ``latest`` is true when the measure's latest period
    is among them. ``measures``: how many measures were looked at;
    ``authorities``: how many current authorities.
    """

    gaps: pd.DataFrame
    measures: int
    authorities: int

    def latest_gaps(self) -> pd.DataFrame:
        """The gaps in each measure's latest period (what a comparison of today's
        figures leaves out)."""
        return self.gaps[self.gaps["latest"]].reset_index(drop=True)

    def select(self, *, latest: bool = False, why: str | None = None) -> pd.DataFrame:
        """The gaps, only those in the latest period (``latest``) or of one
        reason (``why``: a reason of the module's list, or a publisher's symbol
        such as ``[c]``)."""
        from lacompare.formatting import MISSING_SYMBOLS, format_missing

        gaps = self.latest_gaps() if latest else self.gaps
        if why is None:
            return gaps.reset_index(drop=True)
        theirs = {w.removeprefix("input-") for w in self.gaps["why"]} - set(_WORDS)
        publishers = theirs | set(MISSING_SYMBOLS)
        if why not in {*_WORDS, *publishers, *map(format_missing, publishers)}:
            from lacompare.errors import InputError

            raise InputError(
                f"no reason {why!r}: give one of "
                + ", ".join([*_WORDS, *sorted(publishers)])
                + " or a symbol such as [c]"
            )
        symbol = gaps["why"].map(lambda w: w not in _WORDS and format_missing(w))
        gaps = gaps[gaps["why"].eq(why) | symbol.eq(why)]
        return gaps.reset_index(drop=True)

    def summary_lines(self, command: str = "lacompare coverage") -> list[str]:
        """A few lines for the end of a build: how many measures lack a value for
        some current authority in their latest period, the gaps counted by
        reason, the same for earlier periods, and the command that lists each.

        Examples
        --------
        >>> import pandas as pd
        >>> gaps = pd.DataFrame({"measure": ["m", "m"], "la_code": ["E1", "E2"],
        ...     "la_name": ["A", "B"], "why": ["suppressed", "not-existing"],
        ...     "latest": [True, False]})
        >>> lines = Coverage(gaps, 3, 153).summary_lines()
        >>> lines[0].split(" current ")[0]
        'coverage: 1 of 3 measures lacks a value for some of the 153'
        >>> lines[0].split(": ")[-1]
        '1 gap (1 [c])'
        >>> lines[1].split(": ")[-1]
        '1 gap in 1 measure (1 did not exist yet)'

        """
        from lacompare.formatting import format_number as num
        from lacompare.formatting import missing_key_text

        if not self.measures:
            return ["coverage: no measures in the store"]
        if self.gaps.empty:
            return [
                f"coverage: each of the {num(self.authorities)} current authorities "
                f"has a value of every one of {num(self.measures)} measures in "
                "every period"
            ]
        latest = self.latest_gaps()
        n = latest["measure"].nunique()
        lines = [
            f"coverage: {num(n)} of {num(self.measures)} measures "
            + ("lacks" if n == 1 else "lack")
            + f" a value for some of the {num(self.authorities)} current "
            + ("authorities in its latest period" if n == 1 else "authorities in "
               "their latest period")
            + (": " + _counted(latest) if len(latest) else "")
        ]  # fmt: skip
        earlier = self.gaps[~self.gaps["latest"]]
        if len(earlier):
            m = earlier["measure"].nunique()
            total, reasons = _counted(earlier).split(" (", 1)
            lines.append(
                f"  in earlier periods only: {total} in {num(m)} "
                + ("measure" if m == 1 else "measures")
                + f" ({reasons}"
            )
        shown = self.gaps[self.gaps["la_code"] != ""]
        most = shown[shown["latest"]]["la_name"].value_counts().head(5)
        if len(most):
            lines.append(
                "  most gaps in latest periods: "
                + ", ".join(f"{name} {num(k)}" for name, k in most.items())
            )
        key = missing_key_text(w for w in self.gaps["why"].unique() if w not in _WORDS)
        if key:
            lines.append(f"  key: {key}")
        lines.append(f"  each gap with its periods and reason: {command}")
        return lines


def _counted(gaps: pd.DataFrame) -> str:
    """``'1,200 gaps (900 [c], 300 did not exist yet, ...)'``: gaps by reason,
    commonest first; the publisher's reasons by their symbol."""
    from lacompare.formatting import format_missing
    from lacompare.formatting import format_number as num

    shown = gaps["why"].map(lambda w: _WORDS.get(w) or format_missing(w))
    counts = shown.value_counts()
    n = len(gaps)
    return (
        f"{num(n)} " + ("gap" if n == 1 else "gaps") + " ("
        + ", ".join(f"{num(k)} {w}" for w, k in counts.items())
        + ")"
    )  # fmt: skip


#: Reasons in a sentence (a publisher's reason prints as its symbol).
_WORDS = {
    "not-existing": "did not exist yet",
    "joint-return": "in a joint return",
    "not-in-file": "not in the file",
    "no-values-in-period": "periods with no values at all",
}


def summarise_coverage(
    store: Store,
    measures: str | Sequence[str] | None = None,
    *,
    authorities: str | Sequence[str] | None = None,
) -> Coverage:
    """Which current authorities have no value of each measure, and why.

    Parameters
    ----------
    store
        An open store.
    measures
        Only these measures (default: every measure in the store).
    authorities
        Only these current authorities (names, ONS or DfE codes; default: all of
        today's).

    Returns
    -------
    Coverage
        ``.gaps`` (one row per measure, authority and reason), and the counts
        of measures and authorities looked at.

    Examples
    --------
    See the module example.
    """
    cur = _current_authorities(store, authorities)
    rel = store.values_relation(
        measures=measures,
        columns=[
            "la_code",
            "measure",
            "period",
            "breakdown",
            "value",
            "missing_reason",
            "raw",
            "source_id",
        ],
    )
    days = _period_days(store, rel)
    if measures is not None:
        asked = [measures] if isinstance(measures, str) else list(measures)
        unknown = [m for m in asked if m not in set(days["measure"])]
        if unknown:
            from lacompare.errors import InputError

            raise InputError(
                f"no values of {', '.join(map(repr, unknown))} in the store "
                "(lacompare measures WORDS finds a measure's id)"
            )
    recodes = _recodes()
    preds = _predecessor_keys(cur)
    from lacompare.derive import registered

    with registered(store, cur=cur, days=days, recodes=recodes, preds=preds) as names:
        grouped = rel.query("v", _gap_sql(names)).df()
    gaps = _described(grouped, store, cur)
    return Coverage(gaps, int(days["measure"].nunique()), len(cur))


def _current_authorities(
    store: Store, authorities: str | Sequence[str] | None
) -> pd.DataFrame:
    """Today's authorities: ``la_code, la_name, valid_from, predecessors``."""
    cur = store.query(
        "SELECT la_code, la_name, valid_from, coalesce(predecessors, '') AS "
        "predecessors FROM authorities WHERE valid_to IS NULL ORDER BY la_code"
    )
    if authorities is not None:
        from lacompare.geography import match_authority_strict

        # Exact names, codes and aliases of today's authorities: never a guess.
        named = [authorities] if isinstance(authorities, str) else list(authorities)
        wanted = {match_authority_strict(a, current=True).la_code for a in named}
        cur = cur[cur["la_code"].isin(wanted)]
    # A same-area recode (North Yorkshire 2023) is the authority that was there
    # before under its old code: it existed all along.
    from lacompare.geography.changes import continuing_codes

    recoded = cur["la_code"].isin(set(continuing_codes().values()))
    cur["valid_from"] = cur["valid_from"].astype("datetime64[us]").mask(recoded)
    return cur.reset_index(drop=True)


def _predecessor_keys(cur: pd.DataFrame) -> pd.DataFrame:
    """``la_code, key``: each current authority's predecessors as the store keys
    them (the registry names a predecessor by ONS code or by DfE number, which
    the store keys ``dfe:<number>``)."""
    import pandas as pd

    rows = [
        (code, key)
        for code, before in zip(cur["la_code"], cur["predecessors"], strict=True)
        for p in str(before).split(";")
        if p.strip()
        for key in (p.strip(), f"dfe:{p.strip()}")
    ]
    return pd.DataFrame(rows, columns=["la_code", "key"], dtype=object)


def _period_days(store: Store, rel: object) -> pd.DataFrame:
    """``measure, period, first_day, last_day``: the two days a period names (its
    reference day and its own 31 March; an authority existed for the period if it
    existed on either, as :func:`lacompare.derive.window_values` counts), for each
    distinct measure and period (not each value)."""
    import pandas as pd

    from lacompare.cells import period_as_of
    from lacompare.derive import reference_day

    pairs = rel.query(  # type: ignore[attr-defined]
        "v",
        "SELECT DISTINCT v.measure, v.period, m.reference_date FROM v "
        "LEFT JOIN measures m USING (measure)",
    ).fetchall()
    rows = []
    for measure, period, ref in pairs:
        found = [d for d in (reference_day(period, ref), period_as_of(period)) if d]
        rows.append(
            (
                measure,
                period,
                min(found) if found else None,
                max(found) if found else None,
            )
        )
    frame = pd.DataFrame(rows, columns=["measure", "period", "first_day", "last_day"])
    for col in ("first_day", "last_day"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    return frame


def _recodes() -> pd.DataFrame:
    """``old_code, la_code``: same-area recodes, one continuing authority."""
    import pandas as pd

    from lacompare.geography.changes import continuing_codes

    return pd.DataFrame(
        sorted(continuing_codes().items()), columns=["old_code", "la_code"]
    )


def _gap_sql(n: dict[str, str]) -> str:
    """The one query: each measure's periods × today's authorities, the cells
    with no value and their reason, grouped by measure, authority and reason;
    and a row (``la_code`` '') per measure for its periods with no value at all."""
    return f"""
    WITH has_total AS (SELECT DISTINCT measure FROM v WHERE breakdown = ''),
    w AS (  -- a measure's total row where it has one, else any breakdown
        SELECT coalesce(r.la_code, v.la_code) AS la_code, v.measure, v.period,
               v.value, v.missing_reason, v.raw, v.source_id
        FROM v LEFT JOIN has_total t USING (measure)
        LEFT JOIN {n["recodes"]} r ON r.old_code = v.la_code
        WHERE t.measure IS NULL OR v.breakdown = ''),
    cell AS MATERIALIZED (
        SELECT measure, period, la_code, max(value IS NOT NULL) AS has_value,
               min(missing_reason) AS reason, min(nullif(trim(raw), '')) AS raw
        FROM w GROUP BY ALL),
    mp AS MATERIALIZED (
        SELECT c.measure, c.period, count(*) FILTER (WHERE c.has_value) AS n_values,
               any_value(d.first_day) AS first_day, any_value(d.last_day) AS last_day
        FROM cell c JOIN {n["days"]} d USING (measure, period) GROUP BY ALL),
    files AS (
        SELECT w.measure, w.period, string_agg(DISTINCT s.file, '|') AS files
        FROM (SELECT DISTINCT measure, period, source_id FROM w) w
        JOIN sources s USING (source_id) GROUP BY ALL),
    latest AS (
        SELECT measure, arg_max(period, coalesce(last_day, DATE '0001-01-01'))
                   AS latest_period, count(*) AS of_periods
        FROM mp GROUP BY ALL),
    joint AS (
        SELECT DISTINCT t.measure, t.period, u.code AS la_code, t.area_code
        FROM totals t, unnest(string_split(t.area_code, ';')) AS u(code)
        WHERE t.area_code LIKE '%;%'),
    grid AS MATERIALIZED (
        SELECT mp.measure, mp.period, mp.first_day, a.la_code, c.raw,
               CASE
                 WHEN a.valid_from IS NOT NULL AND coalesce(mp.last_day, DATE
                      '9999-12-31') < a.valid_from THEN 'not-existing'
                 WHEN c.la_code IS NOT NULL THEN coalesce(c.reason, 'blank')
                 WHEN j.la_code IS NOT NULL THEN 'joint-return'
                 ELSE 'not-in-file' END AS why,
               j.area_code AS joint_with
        FROM mp CROSS JOIN {n["cur"]} a
        LEFT JOIN cell c ON c.measure = mp.measure AND c.period = mp.period
                        AND c.la_code = a.la_code
        LEFT JOIN joint j ON j.measure = mp.measure AND j.period = mp.period
                         AND j.la_code = a.la_code
        WHERE mp.n_values > 0 AND c.has_value IS NOT TRUE),
    before AS (  -- a successor's periods published for its predecessor
        SELECT g.measure, g.la_code, string_agg(DISTINCT c.la_code, ';') AS codes
        FROM grid g JOIN {n["preds"]} p ON p.la_code = g.la_code
        JOIN cell c ON c.measure = g.measure AND c.period = g.period
                   AND c.la_code = p.key AND c.has_value
        WHERE g.why = 'not-existing'
        GROUP BY ALL),
    gaps AS (
        SELECT g.measure, g.la_code, g.why,
               string_agg(g.period, '|' ORDER BY g.first_day, g.period) AS periods,
               count(*) AS n_periods,
               bool_or(g.period = l.latest_period) AS latest,
               string_agg(DISTINCT g.raw, ' ') AS raws,
               string_agg(DISTINCT f.files, '|') FILTER (WHERE g.why = 'not-in-file')
                   AS files,
               string_agg(DISTINCT g.joint_with, ';') AS joint_with
        FROM grid g JOIN latest l USING (measure)
        LEFT JOIN files f ON g.why = 'not-in-file' AND f.measure = g.measure
                         AND f.period = g.period
        GROUP BY ALL),
    empty AS (
        SELECT mp.measure, '' AS la_code, 'no-values-in-period' AS why,
               string_agg(mp.period, '|' ORDER BY mp.first_day, mp.period)
                   AS periods,
               count(*) AS n_periods, bool_or(mp.period = l.latest_period) AS latest,
               NULL AS raws, NULL AS files, NULL AS joint_with
        FROM mp JOIN latest l USING (measure) WHERE mp.n_values = 0 GROUP BY ALL)
    SELECT x.*, l.of_periods, b.codes AS published_for
    FROM (FROM gaps UNION ALL BY NAME FROM empty) x
    JOIN latest l USING (measure)
    LEFT JOIN before b USING (measure, la_code)
    ORDER BY x.measure, x.la_code, x.why
    """


def _described(grouped: pd.DataFrame, store: Store, cur: pd.DataFrame) -> pd.DataFrame:
    """The grouped gaps with the authority's name and a sentence for each reason
    (the result's rows, not the store's)."""
    import pandas as pd

    names = _all_names(store)
    starts = dict(zip(cur["la_code"], cur["valid_from"], strict=True))
    out = grouped.assign(
        la_name=grouped["la_code"]
        .map(names | {"": "every authority"})
        .fillna(grouped["la_code"]),
        periods=grouped["periods"].str.replace("|", ", ", regex=False),
        n_periods=grouped["n_periods"].astype(int),
        of_periods=grouped["of_periods"].astype(int),
        latest=grouped["latest"].astype(bool),
    )
    out["detail"] = [
        _detail(r, names, starts.get(r.la_code)) for r in out.itertuples(index=False)
    ]
    if out.empty:
        return pd.DataFrame(columns=list(COVERAGE_COLUMNS))
    return out[list(COVERAGE_COLUMNS)].reset_index(drop=True)


def _all_names(store: Store) -> dict[str, str]:
    """Every registry key's name (ONS code, ``dfe:`` key and bare DfE code)."""
    rows = store.con.execute(
        "SELECT la_code, dfe_code, la_name FROM authorities"
    ).fetchall()
    names = {}
    for code, dfe, name in rows:
        names[code] = name
        if dfe:
            names.setdefault(f"dfe:{dfe}", name)
            names.setdefault(str(dfe), name)
    return names


def _detail(row: object, names: dict[str, str], start: object) -> str:
    """One reason in words, naming the file, partner or predecessor."""
    import pandas as pd

    from lacompare.formatting import MISSING_SYMBOLS, format_missing

    why = str(row.why)  # type: ignore[attr-defined]
    if why == "not-existing":
        day = pd.Timestamp(start).date() if start is not None else None
        text = "did not exist yet" + (
            f": created {_day(day)}" if isinstance(day, dt.date) else ""
        )
        before = _text(row.published_for)  # type: ignore[attr-defined]
        if before:
            whom = " and ".join(names.get(c, c) for c in before.split(";"))
            text += f"; published for {whom}"
        return text
    if why == "joint-return":
        me = str(row.la_code)  # type: ignore[attr-defined]
        codes = _text(row.joint_with).split(";")  # type: ignore[attr-defined]
        partners = sorted({names.get(c, c) for c in codes if c and c != me})
        return (
            "published jointly with "
            + " and ".join(partners)
            + " (one figure for both, kept with the totals)"
        )
    if why == "not-in-file":
        files = _text(row.files).split("|")  # type: ignore[attr-defined]
        shown = sorted({_file_name(f) for f in files if f})
        return (
            "no row for it in "
            + (", ".join(shown[:3]) or "the files loaded")
            + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")
        )
    if why == "no-values-in-period":
        return "no authority has a value in the period"
    symbol = format_missing(why)
    meaning = MISSING_SYMBOLS.get(why.removeprefix("input-"), ("", ""))[1]
    raws = _text(row.raws)  # type: ignore[attr-defined]
    text = f"{symbol} {meaning}".strip()
    if why.startswith("input-"):
        text = f"derived from an input that is {text}"
    return text + (f" (the file has {raws})" if raws else "")


def _file_name(path: str) -> str:
    """A loaded file's name (a derived measure's ``derived:…`` kept whole)."""
    return path if path.startswith("derived:") else PurePath(path).name


def _day(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def _text(value: object) -> str:
    """A query result's text, ``''`` for NULL/NaN."""
    import pandas as pd

    return "" if value is None or pd.isna(value) else str(value)
