"""One value per authority and variable: the data every test reads.

:func:`read_la_values` reads each variable (``measure``, ``measure[breakdown]``,
``measure@period``) through the store's interface
(:meth:`lacompare.store.Store.values_relation`), averaging over the periods
chosen (see :mod:`lacompare.analysis.significance` for the period and variable
syntax); :func:`prepare` leaves out the authorities the user excludes and those
without a value, saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._continuing import (
    continued_note,
    map_codes,
    registered_recodes,
)
from lacompare.analysis._exclusions import resolve_exclusions
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store

PeriodSpec = str | Sequence[str] | Mapping[str, Any] | None

NO_ROW = "no row in the store"


def authority_frame(store: Store) -> pd.DataFrame:
    """Authorities with the columns tests group and exclude by, indexed by la_code.

    ``london_region`` is the DfE "London split" grouping: Inner or Outer London for
    London boroughs, the region for everyone else.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     authority_frame(s).loc["E09000001", ["la_name", "london_region"]].tolist()
    ['City of London', 'Inner London']
    """
    frame = store.query(
        """SELECT la_code, dfe_code, la_name, region, region_code,
                  coalesce(london_region, region) AS london_region, la_type,
                  valid_from, valid_to, predecessors, successors
           FROM authorities ORDER BY la_code"""
    )
    return frame.set_index("la_code")


@dataclass(frozen=True)
class PeriodFilter:
    """A period spec as a filter: the periods named, or a range of years (first
    four characters of the period), and the spec as text."""

    periods: list[str] | None = None
    years: tuple[int, int] | None = None
    label: str = "latest"

    @property
    def condition(self) -> str:
        """SQL on ``o.period`` for the year range ('' for none)."""
        if self.years is None:
            return ""
        # Two integers: safe to write into the query.
        a, b = (int(y) for y in self.years)
        return f"AND TRY_CAST(substr(o.period, 1, 4) AS INTEGER) BETWEEN {a} AND {b}"


def parse_period(spec: Any) -> PeriodFilter:
    """One period spec (None, ``2021``, ``2013:2017``, ``2013,2015`` or a list).

    Examples
    --------
    >>> parse_period("2013:2017").years, parse_period("2021, 2022").periods
    ((2013, 2017), ['2021', '2022'])
    """
    if spec is None:
        return PeriodFilter()
    if isinstance(spec, str):
        text = spec.strip()
        if ":" in text:
            start, _, end = text.partition(":")
            try:
                a, b = int(start.strip()[:4]), int(end.strip()[:4])
            except ValueError:
                raise InputError(
                    f"period range {text!r}: use YEAR:YEAR, e.g. 2013:2017"
                ) from None
            if a > b:
                raise InputError(f"period range {text!r} ends before it starts")
            return PeriodFilter(years=(a, b), label=f"{a}:{b}")
        if "," in text:
            spec = [p.strip() for p in text.split(",") if p.strip()]
        else:
            return PeriodFilter(periods=[text], label=text)
    periods = [str(p).strip() for p in spec]
    if not periods:
        raise InputError("empty list of periods")
    return PeriodFilter(periods=periods, label=",".join(periods))


def _unknown_measure(store: Store, measure: str, breakdown: str) -> InputError:
    held = store.values_relation(columns=["measure"]).distinct().fetchall()
    known = sorted(r[0] for r in held)
    if measure in known:
        breakdowns = store.list_breakdowns(measure)[:5]
        return InputError(
            f"measure {measure!r} has no values with breakdown "
            f"{breakdown!r}; breakdowns: "
            + ", ".join(repr(b) for b in breakdowns)
            + f" (choose one as {measure}[breakdown])"
        )
    from lacompare.catalogue import unknown_measure_hint

    return InputError(
        f"no observations of measure {measure!r} in the store"
        + unknown_measure_hint(measure, list(known))
    )


@dataclass
class LaValues:
    """One value per authority and variable, with why any is missing.

    ``values`` is indexed by la_code with one float column per variable (NaN where
    missing), named as :func:`read_la_values` says; ``reasons`` has the same
    shape, with the reason text where ``values`` is missing and '' elsewhere;
    ``periods`` maps each variable to the periods used and ``breakdowns`` to the
    breakdown read; ``notes`` names, per variable, the same-area recodes whose
    old code gave values (Buckinghamshire's IDACI 2019 on E10000002 read for
    E06000060).
    """

    values: pd.DataFrame
    reasons: pd.DataFrame
    periods: dict[str, list[str]]
    labels: pd.DataFrame
    breakdowns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _choose_variables(
    measures: Sequence[str], period: PeriodSpec, breakdown: str
) -> dict[str, tuple[str, str, Any]]:
    """Each variable's column name → (measure, breakdown, period spec).

    A variable names its own breakdown (``measure[breakdown]``) and period
    (``measure@2021``) or takes ``breakdown`` and ``period``; a ``period`` mapping
    is keyed by variable as written or by measure id (every variable of it).
    """
    from lacompare.analysis._variables import parse_variable

    parsed = {}
    for spec in measures:
        var = parse_variable(spec)
        parsed.setdefault(var.name, var)
    if not parsed:
        raise InputError("no measures given")
    own: dict[str, Any] = {}
    if isinstance(period, Mapping):
        unknown = []
        for key, spec in period.items():
            name = parse_variable(key).name
            hits = (
                [name]
                if name in parsed
                else [n for n, v in parsed.items() if v.measure == name]
            )
            if not hits:
                unknown.append(str(key))
            own.update(dict.fromkeys(hits, spec))
        if unknown:
            raise InputError(
                "period given for measures not asked about: "
                + ", ".join(sorted(unknown))
            )
    chosen = {}
    for name, var in parsed.items():
        spec = (
            var.period
            if var.period is not None
            else own.get(name)
            if isinstance(period, Mapping)
            else period
        )
        bd = var.breakdown if var.breakdown is not None else breakdown
        chosen[name] = (var.measure, bd, spec)
    return chosen


def _resolve_indicators(
    store: Store, chosen: dict[str, tuple[str, str, Any]], breakdown: str
) -> dict[str, tuple[str, str, Any]]:
    """A catalogue id that is no store measure reads its preferred source (with
    that source's breakdown unless the variable names its own), so
    ``correlate cla_rate_per_10000 …`` works as ``compare -m`` does; the column
    keeps the name as typed."""
    from lacompare.catalogue import read_catalogue, resolve_key

    ids = {i.id for i in read_catalogue()}
    resolved = {}
    for name, (measure, bd, spec) in chosen.items():
        if measure in ids:
            found, own = resolve_key(store, measure, bd)
            if found != measure and bd == breakdown:
                bd = own
            measure = found
        resolved[name] = (measure, bd, spec)
    return resolved


def read_la_values(
    store: Store,
    measures: Sequence[str],
    *,
    period: PeriodSpec = None,
    breakdown: str = "",
    registry: bool = True,
) -> LaValues:
    """Gather one value per authority for each measure (mean over chosen periods).

    Where the same value (authority, measure, period, breakdown) was loaded from
    more than one source, the latest load is read, as everywhere else in lacompare.
    Authorities appear when they have a row for one of the measures or (with
    ``registry``) existed on the reference date of the latest period used (31 March
    for a year, see ``period_as_of``); a measure an authority has no row for is
    missing with reason 'no row in the store'.

    Parameters
    ----------
    store
        An open store.
    measures
        Variables: ``measure``, ``measure[breakdown]``, ``measure@period`` or
        ``measure[breakdown]@period`` (see the module notes). Each becomes one
        column, named ``measure`` when it names neither, else as written in that
        canonical spelling (``rate[31 March]``).
    period
        See the module notes (None = each measure's latest period); a variable's
        own ``@period`` comes first.
    breakdown
        The breakdown of variables that name none ('' = all children / no
        breakdown).
    registry
        Also list the authorities of the period that have no rows at all, so that
        results can say they were left out.

    Returns
    -------
    LaValues

    Raises
    ------
    InputError
        If a measure has no observations (or none in the chosen periods).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([
    ...     {"la_code": "E06000001", "measure": "a", "period": "2020", "value": 1},
    ...     {"la_code": "E06000001", "measure": "a", "period": "2021", "value": 3},
    ...     {"la_code": "E06000002", "measure": "a", "period": "2021",
    ...      "missing_reason": "suppressed"}], file="f")
    >>> v = read_la_values(s, ["a"], period="2020:2021")
    >>> v.values["a"].tolist()[:2], v.reasons["a"].tolist()[:3]
    ([2.0, nan], ['', 'suppressed', 'no row in the store'])
    >>> len(v.values)  # every authority of 31 March 2021
    151
    """
    chosen = _resolve_indicators(
        store, _choose_variables(measures, period, breakdown), breakdown
    )
    names = list(chosen)
    long = read_long_values(store, chosen)
    _check_found(store, chosen, set(long["measure"].unique()))
    used = (
        long[["measure", "periods"]]
        .explode("periods")
        .drop_duplicates()
        .groupby("measure")["periods"]
        .agg(sorted)
    )
    periods = {m: list(used[m]) for m in names}
    values = long.pivot(index="la_code", columns="measure", values="value")
    values = values.reindex(columns=names).astype(float)
    if registry:
        values = values.reindex(values.index.union(_authorities_then(store, periods)))
    gone, notes = _not_then(store, values, periods)
    values = values.drop(index=gone).sort_index()
    reasons, labels = _pivot_reasons(long, values.index, names)
    reasons = _split_reasons(store, values, reasons)
    values.columns.name = reasons.columns.name = labels.columns.name = None
    return LaValues(
        values,
        reasons,
        periods,
        labels,
        {name: chosen[name][1] for name in names},
        _continued_notes(store, long, names) + notes,
    )


def _not_then(store: Store, values: pd.DataFrame, periods: dict) -> tuple[Any, list]:
    """Authorities of the registry not existing on any period's day (nor recoded
    from one that did) with no value (an abolished council's 'not applicable'
    rows): set aside, not left out, and named."""
    auth = authority_frame(store)
    then = _authorities_then(store, periods, span=True)
    if then.empty:
        return pd.Index([]), []
    out = values.index.isin(auth.index) & ~values.index.isin(then)
    gone = values.index[out & values.isna().all(axis=1).to_numpy()]
    names = ", ".join(sorted(auth.loc[gone, "la_name"].fillna("").astype(str)))
    why = "not counted (no authority in the periods compared, no value)"
    return gone, [f"{why}: {names}"] if names else []


def _split_reasons(
    store: Store, values: pd.DataFrame, reasons: pd.DataFrame
) -> pd.DataFrame:
    """'published for Northamptonshire only (split …)' in place of 'no row' for a
    successor of a split whose predecessor has the value."""
    from lacompare.analysis._continuing import split_reason

    la_names = authority_frame(store)["la_name"].to_dict()
    for col in values.columns:
        have = set(values.index[values[col].notna()])
        for code in reasons.index[reasons[col] == NO_ROW]:
            if why := split_reason(code, have, la_names):
                reasons.loc[code, col] = why
    return reasons


def _continued_notes(store: Store, long: pd.DataFrame, names: list[str]) -> list[str]:
    """'variable: counted as one series across a same-area recode: …' for each
    variable that read values published on an old code."""
    used = long[long["continued_from"].notna()]
    if used.empty:
        return []
    la_names = authority_frame(store)["la_name"].to_dict()
    notes = []
    for name in names:
        rows = used[used["measure"] == name]
        pairs = zip(rows["la_code"], rows["continued_from"], strict=True)
        if note := continued_note(pairs, la_names):
            notes.append(f"{name}: {note}")
    return notes


def read_long_values(
    store: Store, chosen: dict[str, tuple[str, str, Any]]
) -> pd.DataFrame:
    """Each variable's value per authority, averaged over its periods: ``la_code,
    value, missing_reason, label, periods, measure`` (the variable's name), one
    query for the variables that share a breakdown and period spec."""
    by_spec: dict[tuple[str, str], tuple[Any, str, list[tuple[str, str]]]] = {}
    for name, (measure, bd, spec) in chosen.items():
        key = (repr(spec), bd)
        by_spec.setdefault(key, (spec, bd, []))[2].append((measure, name))
    parts = []
    for spec, bd, pairs in by_spec.values():
        rows = _read_one_spec(store, sorted({m for m, _ in pairs}), bd, spec)
        # One column per variable: a measure read twice under one breakdown and
        # period (written two ways) is copied, not queried again.
        wanted = pd.DataFrame(pairs, columns=["measure", "name"])
        parts.append(
            rows.merge(wanted, on="measure")
            .drop(columns="measure")
            .rename(columns={"name": "measure"})
        )
    return pd.concat(parts, ignore_index=True)


def _read_one_spec(
    store: Store, measures: list[str], breakdown: str, spec: Any
) -> pd.DataFrame:
    """The measures' values per authority in the periods of ``spec``, averaged."""
    chosen = parse_period(spec)
    # A value loaded from several sources is read from the latest load, as
    # derive and compare read it (never an average of two vintages); 'latest'
    # is then the measure's latest period among rows of this breakdown. A value
    # published on an old code of a same-area recode counts for the authority's
    # code today when it has none of its own (lacompare.analysis._continuing).
    qualify = (
        "QUALIFY row_number() OVER (PARTITION BY coalesce(r.la_code, o.la_code), "
        "o.measure, o.period ORDER BY o.value IS NULL, r.old_code IS NOT NULL, "
        "o.source_id DESC) = 1"
    )
    if spec is None:
        qualify += " AND o.period = max(o.period) OVER (PARTITION BY o.measure)"
    rel = store.values_relation(
        measures=measures,
        breakdowns=breakdown,
        periods=chosen.periods,
        columns=[
            "la_code",
            "measure",
            "period",
            "value",
            "missing_reason",
            "label",
            "source_id",
        ],
    )
    with registered_recodes(store) as recodes:
        return rel.query(
            "o",
            f"""SELECT la_code, measure,
                       avg(value) AS value,
                       string_agg(DISTINCT missing_reason, '; '
                                  ORDER BY missing_reason) AS missing_reason,
                       string_agg(DISTINCT label, '; ' ORDER BY label) AS label,
                       list(DISTINCT period ORDER BY period) AS periods,
                       min(old_code) FILTER (WHERE value IS NOT NULL)
                           AS continued_from
                FROM (SELECT coalesce(r.la_code, o.la_code) AS la_code,
                             o.measure, o.period, o.value, o.missing_reason,
                             o.label, r.old_code
                      FROM o LEFT JOIN {recodes} r ON o.la_code = r.old_code
                      WHERE true {chosen.condition} {qualify})
                GROUP BY la_code, measure""",
        ).df()


def _check_found(
    store: Store, chosen: dict[str, tuple[str, str, Any]], found: set[str]
) -> None:
    """Refuse a variable with no values: an unknown measure or breakdown, or none
    in the periods asked for (naming those it has)."""
    for name, (measure, bd, spec) in chosen.items():
        if name in found:
            continue
        has_any = store.list_periods(measure, bd)
        if not has_any:
            raise _unknown_measure(store, measure, bd)
        raise InputError(
            f"measure {name!r} has no observations in period "
            f"{parse_period(spec).label!r}; its periods: " + ", ".join(has_any)
        )


def _authorities_then(
    store: Store, periods: dict[str, list[str]], span: bool = False
) -> pd.Index:
    """The authorities that existed on the latest period's day (``span``: on any
    day from the first period's to the latest's; none: no day)."""
    from lacompare.cells import period_as_of

    days = [d for ps in periods.values() for p in ps if (d := period_as_of(p))]
    if not days:
        return pd.Index([])
    there = store.con.execute(
        "SELECT la_code FROM authorities WHERE (valid_from IS NULL OR "
        "valid_from <= ?) AND (valid_to IS NULL OR valid_to >= ?)",
        [max(days), min(days) if span else max(days)],
    ).fetchall()
    # An authority recoded since (same area) is listed under its code today.
    codes = pd.Index(map_codes(r[0] for r in there))
    return codes.union([r[0] for r in there]) if span else codes


def _pivot_reasons(
    long: pd.DataFrame, index: pd.Index, names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Why each value is missing ('' where it is not) and the text labels, by
    authority and variable."""
    reason = long["missing_reason"].where(long["missing_reason"].notna(), None)
    label = long["label"]
    text = np.where(
        long["value"].notna(),
        "",
        np.where(
            reason.notna(),
            reason.astype(object),
            np.where(label.notna(), "text value: " + label.astype(object), "no value"),
        ),
    )
    long = long.assign(_reason=text)
    reasons = long.pivot(index="la_code", columns="measure", values="_reason")
    reasons = reasons.reindex(index=index, columns=names)
    reasons = reasons.astype(object).where(reasons.notna(), NO_ROW)
    labels = long.pivot(index="la_code", columns="measure", values="label")
    return reasons, labels.reindex(index=index, columns=names)


def excluded_frame(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """``la_code, la_name, reason`` sorted by name."""
    names = authority_frame(store)["la_name"]
    out = rows[["la_code", "reason"]].copy()
    out.insert(1, "la_name", out["la_code"].map(names))
    out = out.sort_values(["la_name", "la_code"], na_position="last")
    return out.reset_index(drop=True)


def excluded_text(excluded: pd.DataFrame) -> str:
    """'Name (reason); ...' for a one-line CSV cell."""
    if excluded.empty:
        return ""
    names = (
        excluded["la_name"]
        .astype(object)
        .where(excluded["la_name"].notna(), excluded["la_code"])
    )
    return "; ".join(names.astype(str) + " (" + excluded["reason"].astype(str) + ")")


def missing_reasons(
    values: pd.DataFrame,
    reasons: pd.DataFrame,
    columns: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> pd.Series:
    """One text per authority naming every missing column and why ('' if none)."""
    out = pd.Series("", index=values.index, dtype=object)
    for col in columns:
        name = (labels or {}).get(col, col)
        piece = np.where(
            values[col].isna(),
            "no value for " + name + " (" + reasons[col].astype(str) + ")",
            "",
        )
        joiner = np.where((out != "") & (piece != ""), "; ", "")
        out = out + joiner + piece
    # An authority of the period with no rows at all gets one short reason.
    absent = (reasons[list(columns)] == NO_ROW).all(axis=1)
    names = [(labels or {}).get(c, c) for c in columns]
    out[absent] = "no data in the store for " + " or ".join(names)
    return out


@dataclass
class Prepared:
    values: pd.DataFrame
    excluded: pd.DataFrame
    periods: dict[str, list[str]]
    labels: pd.DataFrame
    reasons: pd.DataFrame
    breakdowns: dict[str, str]
    #: The same-area recodes read as one series (:attr:`LaValues.notes`).
    notes: list[str] = field(default_factory=list)


def prepare(
    store: Store,
    measures: Sequence[str],
    period: PeriodSpec,
    exclude: str | Sequence[str] | None,
    breakdown: str,
    complete: bool = True,
) -> Prepared:
    """Values for the measures, minus user exclusions and gaps.

    With ``complete``, an authority missing any measure is left out; otherwise only
    those with no data at all (each pair of measures then uses what it has).
    """
    data = read_la_values(store, measures, period=period, breakdown=breakdown)
    user = resolve_exclusions(store, exclude)
    values, reasons = data.values, data.reasons
    dropped = values.index.isin(user["la_code"])
    rows = [user[user["la_code"].isin(values.index)]]
    values, reasons = values[~dropped], reasons[~dropped]
    if complete:
        why = missing_reasons(values, reasons, list(values.columns))
        gap = (why != "").to_numpy()
        rows.append(
            pd.DataFrame({"la_code": values.index[gap], "reason": why[gap].to_numpy()})
        )
    else:
        gap = (reasons == NO_ROW).all(axis=1).to_numpy()
        why = "no data in the store for any of the measures"
        rows.append(pd.DataFrame({"la_code": values.index[gap], "reason": why}))
    values, reasons = values[~gap], reasons[~gap]
    excluded = excluded_frame(store, pd.concat(rows, ignore_index=True))
    labels = data.labels.reindex(values.index)
    return Prepared(
        values,
        excluded,
        data.periods,
        labels,
        reasons,
        data.breakdowns,
        data.notes,
    )


def name_frame(store: Store, index: pd.Index) -> pd.DataFrame:
    auth = authority_frame(store)
    return auth.reindex(index)[["la_name", "region"]]
