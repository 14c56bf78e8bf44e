"""Tests of association and difference between authorities' values.

Every test reads one value per authority from the store (a single period, a range of
periods averaged per authority, or each measure's latest period), leaves out the
authorities the user excludes (``exclude=['region:London', 'Isles of Scilly']``) and
those without a value, and returns its statistic with ``n`` and an ``excluded`` table
saying which authorities were left out and why. The statistics are scipy's and
statsmodels'; this module only chooses the data and adds effect sizes and intervals.

Selecting periods (``period=``)
    ``None``: each measure's latest period in the store; ``"2021"``: that period
    exactly, as the store spells it; ``"2013:2017"``: every period whose label starts
    with a year from 2013 to 2017 (``2013``, ``2013-14``, ``2013/14``), averaged per
    authority over the periods it has a value for; ``"2013,2015"`` or a list: those
    periods, averaged; a mapping ``{measure: spec}`` gives each measure its own,
    and so does a variable written ``measure@spec`` (``rate@2013:2017``).

Naming variables (``x``, ``y``, ``measure``, ``measures``)
    As ``lacompare model`` reads them: ``measure``, ``measure[breakdown]``,
    ``measure@period`` or ``measure[breakdown]@period``. A variable that names no
    breakdown takes ``breakdown=`` ('' by default: the total rows), so a rate kept
    under a breakdown can be set against IDACI, which has none:
    ``correlate(store, "rate_per_10000[31 March]", "idaci_average_score")``.

Excluding authorities (``exclude=``)
    ``"column:value"`` drops every authority whose ``authorities`` column has that
    value (case-insensitive), e.g. ``region:London``, ``london_region:Inner London``,
    ``la_type:shire county``; any other text is an authority name or an ONS or DfE
    code (``Isles of Scilly``, ``E06000053``, ``420``; every authority of that name)
    or a region (``London``, ``Inner London``), as ``lacompare summary --exclude``
    takes them.

Examples
--------
>>> import numpy as np
>>> adjust_p([0.01, 0.04, 0.03], method="holm").round(3).tolist()
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._exclusions import authority_columns as _authority_columns
from lacompare.analysis._exclusions import resolve_exclusions
from lacompare.errors import InputError
from lacompare.formatting import format_p

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "CORRELATION_METHODS",
    "Correlation",
    "CorrelationMatrix",
    "KruskalWallis",
    "MannWhitney",
    "adjust_p",
    "correlate",
    "correlation_matrix",
    "kruskal",
    "mann_whitney",
    "pairwise_correlation",
]

PeriodSpec = str | Sequence[str] | Mapping[str, Any] | None

CORRELATION_METHODS = ("spearman", "pearson", "kendall")

#: How each correlation's confidence interval is computed (all on Fisher's z scale).
CI_METHODS = {
    "pearson": "Fisher z, SE = 1/sqrt(n-3)",
    "spearman": "Fisher z, SE = sqrt((1 + r^2/2)/(n-3)) (Bonett & Wright 2000)",
    "kendall": "Fisher z, SE = sqrt(0.437/(n-4)) (Fieller, Hartley & Pearson 1957)",
}

_STAT_NAMES = {"pearson": "r", "spearman": "r_s", "kendall": "tau_b"}
_LABELS = {"pearson": "Pearson", "spearman": "Spearman", "kendall": "Kendall"}
_ADJUST = {
    "holm": "holm",
    "bh": "fdr_bh",
    "fdr_bh": "fdr_bh",
    "bonferroni": "bonferroni",
    "by": "fdr_by",
    "fdr_by": "fdr_by",
}
NO_ROW = "no row in the store"
# Pairs ranked again on their shared authorities, per vectorised batch (cells).
_BATCH_CELLS = 2_000_000


# --------------------------------------------------------------------------- data


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


def _period_sql(spec: Any) -> tuple[str, list[Any], str]:
    """SQL condition on ``o.period`` for one period spec, its params and a label."""
    if spec is None:
        return "", [], "latest"
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
            return (
                "AND TRY_CAST(substr(o.period, 1, 4) AS INTEGER) BETWEEN ? AND ?",
                [a, b],
                f"{a}:{b}",
            )
        if "," in text:
            spec = [p.strip() for p in text.split(",") if p.strip()]
        else:
            return "AND o.period = ?", [text], text
    periods = [str(p).strip() for p in spec]
    if not periods:
        raise InputError("empty list of periods")
    return "AND o.period IN (SELECT unnest(?))", [periods], ",".join(periods)


def _unknown_measure(store: Store, measure: str, breakdown: str) -> InputError:
    known = [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT measure FROM observations ORDER BY 1"
        ).fetchall()
    ]
    if measure in known:
        rows = store.con.execute(
            "SELECT DISTINCT breakdown FROM observations WHERE measure = ? "
            "ORDER BY 1 LIMIT 5",
            [measure],
        ).fetchall()
        return InputError(
            f"measure {measure!r} has no values with breakdown "
            f"{breakdown!r}; breakdowns: "
            + ", ".join(repr(r[0]) for r in rows)
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
    breakdown read.
    """

    values: pd.DataFrame
    reasons: pd.DataFrame
    periods: dict[str, list[str]]
    labels: pd.DataFrame
    breakdowns: dict[str, str] = field(default_factory=dict)


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
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...                   "value,"
    ...     " missing_reason, source_id) VALUES ('E06000001', 'a', '2020', 1, NULL, 1),"
    ...     " ('E06000001', 'a', '2021', 3, NULL, 1),"
    ...     " ('E06000002', 'a', '2021', NULL, 'suppressed', 1)")
    >>> v = read_la_values(s, ["a"], period="2020:2021")
    >>> v.values["a"].tolist()[:2], v.reasons["a"].tolist()[:3]
    ([2.0, nan], ['', 'suppressed', 'no row in the store'])
    >>> len(v.values)  # every authority of 31 March 2021
    151
    """
    chosen = _choose_variables(measures, period, breakdown)
    names = list(chosen)
    by_spec: dict[tuple[str, str], tuple[Any, str, list[tuple[str, str]]]] = {}
    for name, (measure, bd, spec) in chosen.items():
        key = (repr(spec), bd)
        by_spec.setdefault(key, (spec, bd, []))[2].append((measure, name))
    parts = []
    for spec, bd, pairs in by_spec.values():
        cond, params, _ = _period_sql(spec)
        # A value loaded from several sources is read from the latest load, as
        # derive and compare read it (never an average of two vintages); 'latest'
        # is then the measure's latest period among rows of this breakdown.
        qualify = (
            "QUALIFY row_number() OVER (PARTITION BY o.la_code, o.measure, "
            "o.period ORDER BY o.source_id DESC) = 1"
        )
        if spec is None:
            qualify += " AND o.period = max(o.period) OVER (PARTITION BY o.measure)"
        rows = store.query(
            f"""SELECT la_code, measure,
                       avg(value) AS value,
                       string_agg(DISTINCT missing_reason, '; '
                                  ORDER BY missing_reason) AS missing_reason,
                       string_agg(DISTINCT label, '; ' ORDER BY label) AS label,
                       list(DISTINCT period ORDER BY period) AS periods
                FROM (SELECT o.la_code, o.measure, o.period, o.value,
                             o.missing_reason, o.label, o.source_id
                      FROM observations o
                      WHERE o.breakdown = ? AND o.measure IN (SELECT unnest(?))
                      {cond} {qualify})
                GROUP BY la_code, measure""",
            [bd, sorted({m for m, _ in pairs}), *params],
        )
        # One column per variable: a measure read twice under one breakdown and
        # period (written two ways) is copied, not queried again.
        wanted = pd.DataFrame(pairs, columns=["measure", "name"])
        parts.append(
            rows.merge(wanted, on="measure")
            .drop(columns="measure")
            .rename(columns={"name": "measure"})
        )
    long = pd.concat(parts, ignore_index=True)
    found = set(long["measure"].unique())
    for name in names:
        if name not in found:
            measure, bd, spec = chosen[name]
            has_any = store.con.execute(
                "SELECT list(DISTINCT period ORDER BY period) FROM observations "
                "WHERE measure = ? AND breakdown = ?",
                [measure, bd],
            ).fetchall()[0][0]
            if not has_any:
                raise _unknown_measure(store, measure, bd)
            raise InputError(
                f"measure {name!r} has no observations in period "
                f"{_period_sql(spec)[2]!r}; its periods: " + ", ".join(has_any)
            )
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
        from lacompare.cells import period_as_of

        days = [
            d
            for ps in periods.values()
            for p in ps
            if (d := period_as_of(p)) is not None
        ]
        if days:
            day = max(days)
            there = [
                r[0]
                for r in store.con.execute(
                    "SELECT la_code FROM authorities WHERE (valid_from IS NULL OR "
                    "valid_from <= ?) AND (valid_to IS NULL OR valid_to >= ?)",
                    [day, day],
                ).fetchall()
            ]
            values = values.reindex(values.index.union(pd.Index(there)))
    values = values.sort_index()
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
    reasons = reasons.reindex(index=values.index, columns=names)
    reasons = reasons.astype(object).where(reasons.notna(), NO_ROW)
    labels = long.pivot(index="la_code", columns="measure", values="label")
    labels = labels.reindex(index=values.index, columns=names)
    values.columns.name = reasons.columns.name = labels.columns.name = None
    return LaValues(
        values, reasons, periods, labels, {name: chosen[name][1] for name in names}
    )


def _excluded_frame(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """``la_code, la_name, reason`` sorted by name."""
    names = authority_frame(store)["la_name"]
    out = rows[["la_code", "reason"]].copy()
    out.insert(1, "la_name", out["la_code"].map(names))
    out = out.sort_values(["la_name", "la_code"], na_position="last")
    return out.reset_index(drop=True)


def _excluded_text(excluded: pd.DataFrame) -> str:
    """'Name (reason); ...' for a one-line CSV cell."""
    if excluded.empty:
        return ""
    names = (
        excluded["la_name"]
        .astype(object)
        .where(excluded["la_name"].notna(), excluded["la_code"])
    )
    return "; ".join(names.astype(str) + " (" + excluded["reason"].astype(str) + ")")


def _missing_reasons(
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
class _Prepared:
    values: pd.DataFrame
    excluded: pd.DataFrame
    periods: dict[str, list[str]]
    labels: pd.DataFrame
    reasons: pd.DataFrame
    breakdowns: dict[str, str]


def _prepare(
    store: Store,
    measures: Sequence[str],
    period: PeriodSpec,
    exclude: str | Sequence[str] | None,
    breakdown: str,
    complete: bool = True,
) -> _Prepared:
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
        why = _missing_reasons(values, reasons, list(values.columns))
        gap = (why != "").to_numpy()
        rows.append(
            pd.DataFrame({"la_code": values.index[gap], "reason": why[gap].to_numpy()})
        )
    else:
        gap = (reasons == NO_ROW).all(axis=1).to_numpy()
        rows.append(
            pd.DataFrame(
                {
                    "la_code": values.index[gap],
                    "reason": "no data in the store for any of the measures",
                }
            )
        )
    values, reasons = values[~gap], reasons[~gap]
    excluded = _excluded_frame(store, pd.concat(rows, ignore_index=True))
    labels = data.labels.reindex(values.index)
    return _Prepared(values, excluded, data.periods, labels, reasons, data.breakdowns)


def _name_frame(store: Store, index: pd.Index) -> pd.DataFrame:
    auth = authority_frame(store)
    return auth.reindex(index)[["la_name", "region"]]


# -------------------------------------------------------------------- correlation


def _fisher_ci(r: float, n: int, method: str, confidence: float) -> tuple[float, float]:
    from scipy import stats

    lost = 4 if method == "kendall" else 3
    if n <= lost or not np.isfinite(r):
        return (math.nan, math.nan)
    if method == "pearson":
        se = 1 / math.sqrt(n - 3)
    elif method == "spearman":
        se = math.sqrt((1 + r * r / 2) / (n - 3))
    else:
        se = math.sqrt(0.437 / (n - 4))
    crit = stats.norm.ppf((1 + confidence) / 2)
    with np.errstate(divide="ignore"):
        z = np.arctanh(r)
    return (float(np.tanh(z - crit * se)), float(np.tanh(z + crit * se)))


@dataclass
class Correlation:
    """A correlation between two measures across authorities.

    ``x`` and ``y`` name the variables as :func:`read_la_values` names its
    columns (``rate[31 March]`` when a breakdown was written); ``breakdowns``
    gives the breakdown each was read with. ``r`` is Pearson's r, Spearman's r_s
    or Kendall's tau-b; ``ci_low``/``ci_high`` its confidence interval
    (``ci_method`` says how); ``data`` the paired values used; ``excluded`` the
    authorities left out and why.
    """

    x: str
    y: str
    method: str
    r: float
    p: float
    n: int
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    periods: dict[str, list[str]]
    excluded: pd.DataFrame
    data: pd.DataFrame
    breakdowns: dict[str, str] = field(default_factory=dict)

    @property
    def statistic_name(self) -> str:
        return _STAT_NAMES[self.method]

    def to_frame(self) -> pd.DataFrame:
        """One row: x, y, method, statistic, r, p, n, CI, excluded count and list."""
        left = _excluded_text(self.excluded)
        return pd.DataFrame(
            [
                {
                    "x": self.x,
                    "y": self.y,
                    "method": self.method,
                    "statistic": self.statistic_name,
                    "r": self.r,
                    "p": self.p,
                    "n": self.n,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "confidence": self.confidence,
                    "ci_method": self.ci_method,
                    "x_periods": ",".join(self.periods.get(self.x, [])),
                    "y_periods": ",".join(self.periods.get(self.y, [])),
                    "x_breakdown": self.breakdowns.get(self.x, ""),
                    "y_breakdown": self.breakdowns.get(self.y, ""),
                    "excluded_n": len(self.excluded),
                    "excluded": left,
                }
            ]
        )

    def describe(self) -> str:
        """The result in one sentence, as a report would print it.

        Examples
        --------
        >>> c = Correlation("a", "b", "spearman", 0.5, 0.01, 30, 0.17, 0.73, 0.95,
        ...     CI_METHODS["spearman"], {}, pd.DataFrame(columns=["la_code",
        ...     "la_name", "reason"]), pd.DataFrame())
        >>> c.describe()[:60]
        'Spearman r_s = 0.500 (95% CI 0.170 to 0.730), p = 0.010, n ='
        """
        pct = f"{self.confidence:.0%}"
        ci = (
            ""
            if not np.isfinite(self.ci_low)
            else f" ({pct} CI {self.ci_low:.3f} to {self.ci_high:.3f})"
        )
        return (
            f"{_LABELS[self.method]} {self.statistic_name} = {self.r:.3f}{ci}, "
            f"{format_p(self.p)}, n = {self.n}; "
            f"{len(self.excluded)} authorities left out"
        )


def correlate(
    store: Store,
    x: str,
    y: str,
    method: str = "spearman",
    *,
    period: PeriodSpec = None,
    exclude: str | Sequence[str] | None = None,
    breakdown: str = "",
    confidence: float = 0.95,
) -> Correlation:
    """Correlate two measures across authorities, with n, CI and who was left out.

    Parameters
    ----------
    store
        An open store.
    x, y
        Variables: ``measure`` or ``measure[breakdown]`` (module notes), e.g.
        ``rate_per_10000[31 March]`` against ``idaci_average_score``.
    method
        ``spearman`` (default; scipy.stats.spearmanr), ``pearson``
        (scipy.stats.pearsonr) or ``kendall`` (tau-b, scipy.stats.kendalltau).
    period
        Periods to use (module notes; a mapping gives x and y their own).
    exclude
        Authorities to leave out: ``region:London``, names or codes.
    breakdown
        The breakdown of a variable that names none ('' = the total rows).
    confidence
        Level of the interval (Fisher z; see ``CI_METHODS``).

    Returns
    -------
    Correlation

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    >>> rows = [(f"E0600000{i}", m, v) for i, (a, b) in
    ...         enumerate([(1, 2), (2, 1), (3, 4), (4, 3), (5, 6)], 1)
    ...         for m, v in (("a", a), ("b", b))]
    >>> _ = s.con.executemany("INSERT INTO observation_cells (la_code, measure, "
    ...                       "period, "
    ...     "value, source_id) VALUES (?, ?, '2021', ?, 1)", rows)
    >>> c = correlate(s, "a", "b", exclude=["Hartlepool"])
    >>> round(c.r, 2), c.n
    (0.8, 4)
    >>> c.excluded.set_index("la_name").loc[["Hartlepool", "York"], "reason"].tolist()
    ['excluded by user: Hartlepool', 'no data in the store for a or b']
    """
    from scipy import stats

    method = method.lower()
    if method not in CORRELATION_METHODS:
        raise InputError(
            f"method {method!r}: choose one of " + ", ".join(CORRELATION_METHODS)
        )
    if not 0 < confidence < 1:
        raise InputError("confidence must be between 0 and 1, e.g. 0.95")
    prep = _prepare(store, [x, y], period, exclude, breakdown)
    if prep.values.shape[1] < 2:
        raise InputError(f"x and y are the same variable ({x!r})")
    x, y = prep.values.columns
    xv = prep.values[x].to_numpy()
    yv = prep.values[y].to_numpy()
    n = len(xv)
    if n < 3:
        raise InputError(f"only {n} authorities have both {x} and {y}: need 3")
    if method == "spearman":
        res = stats.spearmanr(xv, yv)
    elif method == "pearson":
        res = stats.pearsonr(xv, yv)
    else:
        res = stats.kendalltau(xv, yv)
    r, p = float(res.statistic), float(res.pvalue)
    low, high = _fisher_ci(r, n, method, confidence)
    data = _name_frame(store, prep.values.index).assign(**{x: xv, y: yv}).reset_index()
    return Correlation(
        x,
        y,
        method,
        r,
        p,
        n,
        low,
        high,
        confidence,
        CI_METHODS[method],
        prep.periods,
        prep.excluded,
        data,
        prep.breakdowns,
    )


def _rank_columns(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Average ranks within each column over its present cells (NaN elsewhere)."""
    from scipy.stats import rankdata

    # Missing cells become +inf so they rank above (and never disturb) the others.
    ranks = rankdata(np.where(present, values, np.inf), axis=0)
    return np.where(present, ranks, np.nan)


def _row_ranks(a: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank) along each row of ``a``.

    The same numbers as ``scipy.stats.rankdata(a, axis=1)``, several times faster
    on the tens of thousands of short rows the matrix re-ranks.
    """
    rows, n = a.shape
    order = np.argsort(a, axis=1)  # tie order is irrelevant: ties share a rank
    s = np.take_along_axis(a, order, axis=1)
    idx = np.broadcast_to(np.arange(n), s.shape)
    starts = np.ones(s.shape, dtype=bool)
    starts[:, 1:] = s[:, 1:] != s[:, :-1]
    ends = np.ones(s.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    # Each sorted position's tie group runs from the last start to the next end.
    first = np.maximum.accumulate(np.where(starts, idx, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, idx, n - 1)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(s.shape)
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, axis=1)
    return ranks


def _rowwise_r(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Pearson r of a[k] and b[k] over the cells where w[k], for every row k."""
    cnt = w.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        da = np.where(w, a - np.where(w, a, 0).sum(axis=1, keepdims=True) / cnt, 0.0)
        db = np.where(w, b - np.where(w, b, 0).sum(axis=1, keepdims=True) / cnt, 0.0)
        return (da * db).sum(axis=1) / np.sqrt(
            (da * da).sum(axis=1) * (db * db).sum(axis=1)
        )


def _masked_r(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r of every pair of columns over their shared rows, by matrix products.

    Sums over each pair's shared rows are products with the 0/1 presence mask:
    n = M'M, sum x_i = X'M, sum x_i x_j = X'X, sum x_i^2 = (X*X)'M.
    """
    m = mask.astype(float)
    with np.errstate(invalid="ignore"):
        centre = np.nanmean(np.where(mask, x, np.nan), axis=0)
    # Centring first keeps the one-pass sums accurate for large values (£).
    x0 = np.where(mask, x - centre, 0.0)
    n = m.T @ m
    sxy = x0.T @ x0
    sx = x0.T @ m
    sxx = (x0 * x0).T @ m
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        vx = sxx - sx * sx / n
        r = cov / np.sqrt(vx * vx.T)
    return r, n


def _p_from_r(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p of r from the t distribution with n - 2 degrees of freedom."""
    from scipy import stats

    df = n - 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        t = r * np.sqrt(df / ((1.0 - r) * (1.0 + r)))
        p = 2 * stats.t.sf(np.abs(t), df)
    p = np.where(np.abs(r) == 1.0, 0.0, p)
    return np.where(np.isfinite(r) & (df > 0), p, np.nan)


def _rerank_mismatched(
    values: np.ndarray, present: np.ndarray, r: np.ndarray, n: np.ndarray, min_n: int
) -> None:
    """Spearman r, in place, for pairs of columns missing different rows.

    Ranks over a column's own values are only right for a partner that misses the
    same rows; other pairs are ranked again on the rows they share. Columns with
    the same gaps form groups: with few groups (the usual case: the same few
    authorities suppressed everywhere), each pair of groups is ranked once on its
    shared rows and correlated by one matrix product; with many, pairs are ranked
    in vectorised batches.
    """
    from scipy.stats import rankdata

    pf = present.astype(float)
    apart = (pf.T @ (1.0 - pf)) > 0
    apart = np.triu(apart | apart.T, 1) & (n >= min_n)
    pairs = int(apart.sum())
    if not pairs:
        return
    _, group = np.unique(np.packbits(present, axis=0).T, axis=0, return_inverse=True)
    group = group.ravel()
    k = int(group.max()) + 1
    if k <= 100 and values.shape[1] * (k - 1) < 2 * pairs:
        members = [np.flatnonzero(group == g) for g in range(k)]
        for a in range(k):
            for b in range(a + 1, k):
                ca, cb = members[a], members[b]
                rows = present[:, ca[0]] & present[:, cb[0]]
                if rows.sum() < min_n:
                    continue
                ra = rankdata(values[np.ix_(rows, ca)], axis=0)
                rb = rankdata(values[np.ix_(rows, cb)], axis=0)
                ra -= ra.mean(axis=0)
                rb -= rb.mean(axis=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    block = (ra.T @ rb) / np.sqrt(
                        np.outer((ra * ra).sum(axis=0), (rb * rb).sum(axis=0))
                    )
                r[np.ix_(ca, cb)] = block
                r[np.ix_(cb, ca)] = block.T
        return
    ii, jj = np.nonzero(apart)
    # One row per pair (contiguous), missing cells +inf so they rank last.
    vt, pt = values.T, present.T
    step = max(1, _BATCH_CELLS // max(1, values.shape[0]))
    for s in range(0, len(ii), step):
        i, j = ii[s : s + step], jj[s : s + step]
        both = pt[i] & pt[j]
        rank_i = _row_ranks(np.where(both, vt[i], np.inf))
        rank_j = _row_ranks(np.where(both, vt[j], np.inf))
        rc = _rowwise_r(rank_i, rank_j, both)
        r[i, j] = rc
        r[j, i] = rc


@dataclass
class CorrelationMatrix:
    """All-pairs correlations: ``r``, ``p`` and ``n`` as square DataFrames.

    ``excluded`` lists authorities the user left out; ``missing`` every authority
    and measure without a value (these count in no pair with that measure).
    """

    method: str
    r: pd.DataFrame
    p: pd.DataFrame
    n: pd.DataFrame
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)
    periods: dict[str, list[str]] = field(default_factory=dict)

    def long(self, adjust: str | None = "bh") -> pd.DataFrame:
        """One row per pair (x before y in the given order): x, y, r, p, n, p_adj.

        Examples
        --------
        >>> f = pd.DataFrame({"a": [1, 2, 3, 4.], "b": [2, 1, 4, 3.],
        ...                   "c": [4, 3, 2, 1.]})
        >>> pairwise_correlation(f).long()[["x", "y", "n"]].values.tolist()
        [['a', 'b', 4], ['a', 'c', 4], ['b', 'c', 4]]
        """
        names = list(self.r.columns)
        i, j = np.triu_indices(len(names), 1)
        out = pd.DataFrame(
            {
                "x": np.asarray(names, dtype=object)[i],
                "y": np.asarray(names, dtype=object)[j],
                "r": self.r.to_numpy()[i, j],
                "p": self.p.to_numpy()[i, j],
                "n": self.n.to_numpy()[i, j].astype(int),
            }
        )
        if adjust:
            out[f"p_{adjust}"] = adjust_p(out["p"].to_numpy(), method=adjust)
        return out


def pairwise_correlation(
    frame: pd.DataFrame, method: str = "spearman", *, min_n: int = 3
) -> CorrelationMatrix:
    """Correlate every pair of columns of a frame, each pair over its shared rows.

    Spearman ranks each column once and computes every pair's r with one matrix
    product; pairs whose columns are missing in different rows are ranked again on
    their shared rows (by groups of columns with the same gaps, or in vectorised
    batches of pairs), so every r equals ``scipy.stats.spearmanr`` on that pair's
    complete cases. Pearson needs no
    re-ranking. p is two-sided from the t distribution with n - 2 df (as scipy).

    Parameters
    ----------
    frame
        Rows are authorities, columns measures; NaN is missing.
    method
        ``spearman`` or ``pearson`` (Kendall: use :func:`correlate` per pair).
    min_n
        Pairs with fewer shared rows get r = p = NaN.

    Returns
    -------
    CorrelationMatrix

    Examples
    --------
    >>> f = pd.DataFrame({"a": [1, 2, 3, 4, 5.], "b": [2, 1, 4, 3, None]})
    >>> m = pairwise_correlation(f)
    >>> float(m.r.loc["a", "b"]).__round__(3), int(m.n.loc["a", "b"])
    (0.6, 4)
    """
    method = method.lower()
    if method not in ("spearman", "pearson"):
        raise InputError(
            f"matrix method {method!r}: use spearman or pearson "
            "(Kendall: correlate() one pair at a time)"
        )
    values = frame.to_numpy(dtype=float)
    present = np.isfinite(values)
    if method == "spearman":
        x = _rank_columns(values, present)
    else:
        x = values
    r, n = _masked_r(x, present)
    if method == "spearman":
        _rerank_mismatched(values, present, r, n, min_n)
    r = np.clip(r, -1.0, 1.0)
    r[n < min_n] = np.nan
    np.fill_diagonal(r, np.where(np.diag(n) >= min_n, 1.0, np.nan))
    p = _p_from_r(r, n)
    np.fill_diagonal(p, np.nan)
    cols = list(frame.columns)
    return CorrelationMatrix(
        method,
        pd.DataFrame(r, index=cols, columns=cols),
        pd.DataFrame(p, index=cols, columns=cols),
        pd.DataFrame(n.round().astype(int), index=cols, columns=cols),
    )


def correlation_matrix(
    store: Store,
    measures: Sequence[str],
    method: str = "spearman",
    *,
    period: PeriodSpec = None,
    exclude: str | Sequence[str] | None = None,
    breakdown: str = "",
    min_n: int = 3,
) -> CorrelationMatrix:
    """All-pairs correlations of many measures, each pair over its shared authorities.

    Parameters
    ----------
    store
        An open store.
    measures
        Two or more measure names.
    method
        ``spearman`` or ``pearson``.
    period
        Periods to use (see the module notes).
    exclude
        Authorities to leave out of every pair.
    breakdown
        The breakdown of a variable that names none ('' = the total rows).
    min_n
        Pairs with fewer shared authorities get NaN.

    Returns
    -------
    CorrelationMatrix
        ``.long(adjust='holm'|'bh')`` gives one row per pair with adjusted p.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    >>> rows = [(f"E0600000{i}", m, float(i * k % 7)) for i in range(1, 7)
    ...         for k, m in ((1, "a"), (2, "b"), (3, "c"))]
    >>> _ = s.con.executemany("INSERT INTO observation_cells (la_code, measure, "
    ...                       "period, "
    ...     "value, source_id) VALUES (?, ?, '2021', ?, 1)", rows)
    >>> correlation_matrix(s, ["a", "b", "c"]).n.loc["a", "c"]
    np.int64(6)
    """
    if len(set(measures)) < 2:
        raise InputError("a correlation matrix needs at least two measures")
    prep = _prepare(store, measures, period, exclude, breakdown, complete=False)
    result = pairwise_correlation(prep.values, method, min_n=min_n)
    result.excluded = prep.excluded
    stacked = prep.reasons.stack()
    stacked = stacked[stacked != ""]
    missing = stacked.rename("reason").reset_index()
    missing.columns = ["la_code", "measure", "reason"]
    result.missing = missing
    result.periods = prep.periods
    return result


def adjust_p(
    pvalues: Sequence[float] | np.ndarray | pd.Series,
    method: str = "holm",
    *,
    alpha: float = 0.05,
) -> np.ndarray | pd.Series:
    """Adjust p-values for multiple testing (statsmodels ``multipletests``).

    Parameters
    ----------
    pvalues
        p-values; NaN stays NaN and does not count as a test.
    method
        ``holm`` (family-wise error), ``bh`` (Benjamini-Hochberg false discovery
        rate), ``by`` (Benjamini-Yekutieli) or ``bonferroni``.
    alpha
        Passed to statsmodels (the adjusted values do not depend on it).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values in the input's order (a Series keeps its index).

    Examples
    --------
    >>> adjust_p([0.01, 0.02, float("nan"), 0.04], method="bh").round(3).tolist()
    [0.03, 0.03, nan, 0.04]
    """
    from statsmodels.stats.multitest import multipletests

    key = _ADJUST.get(method.lower())
    if key is None:
        raise InputError(f"adjustment {method!r}: choose holm, bh, by or bonferroni")
    arr = np.asarray(pvalues, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = np.isfinite(arr)
    if ok.any():
        out[ok] = multipletests(arr[ok], alpha=alpha, method=key)[1]
    if isinstance(pvalues, pd.Series):
        return pd.Series(out, index=pvalues.index, name=pvalues.name)
    return out


# ----------------------------------------------------------- difference tests


def _group_text(values: pd.Series, labels: pd.Series) -> pd.Series:
    """A measure's value per authority as a group label ('1', '0', 'Yes')."""
    whole = values.notna() & (values == values.round())
    num = np.where(
        whole, values.round().astype("Int64").astype(str), values.astype(str)
    )
    text = np.where(
        values.notna(), num, np.where(labels.notna(), labels.astype(object), None)
    )
    return pd.Series(text, index=values.index, dtype=object)


def _grouping(
    store: Store, spec: str, index: pd.Index, period: PeriodSpec, breakdown: str
) -> tuple[pd.Series, pd.Series, str | None]:
    """Group label per authority, why a label is missing, and the 'first' group.

    ``spec`` is ``column:value`` (that value against the rest), an authorities
    column, or a measure whose values (or text labels) are the groups.
    """
    columns = set(_authority_columns(store))
    auth = authority_frame(store)
    column, sep, value = spec.partition(":")
    column = column.strip().lower()
    if sep and column in columns:
        col = auth[column].astype(object).reindex(index)
        value = value.strip()
        if not (auth[column].astype(str).str.lower() == value.lower()).any():
            raise InputError(f"group {spec!r}: no authority has {column} {value!r}")
        hit = col.astype(str).str.lower() == value.lower()
        label = pd.Series(
            np.where(hit, value, f"not {value}"), index=index, dtype=object
        )
        return label, pd.Series("", index=index, dtype=object), value
    if spec.strip().lower() in columns:
        spec = spec.strip().lower()
        col = auth[spec].reindex(index).astype(object)
        col = col.where(col.notna(), None)
        why = pd.Series(
            np.where(col.isna(), f"no {spec} in the registry", ""),
            index=index,
            dtype=object,
        )
        return col, why, None
    from lacompare.analysis._variables import parse_variable

    known = store.con.execute(
        "SELECT count(*) FROM observations WHERE measure = ?",
        [parse_variable(spec).measure],
    ).fetchall()[0][0]
    if not known:
        raise InputError(
            f"group by {spec!r}: not an authorities column "
            f"({', '.join(sorted(columns))}), 'column:value', nor a "
            "measure in the store"
        )
    data = read_la_values(store, [spec], period=period, breakdown=breakdown)
    name = data.values.columns[0]
    text = _group_text(data.values[name], data.labels[name]).reindex(index)
    why = data.reasons[name].reindex(index).astype(object)
    why = why.where(why.notna(), NO_ROW)
    why = pd.Series(
        np.where(text.isna(), "no value for " + name + " (" + why + ")", ""),
        index=index,
        dtype=object,
    )
    return text, why, None


_TRUE = ("1", "yes", "true", "y")


def _order_two(groups: Sequence[str], first: str | None) -> list[str]:
    if first is not None and first in groups:
        return [first, *[g for g in groups if g != first]]
    lower = [str(g).lower() for g in groups]
    for t in _TRUE:
        if t in lower:
            k = lower.index(t)
            return [groups[k], groups[1 - k]]
    return sorted(groups, key=str)


def _choose_two(
    found: Sequence[Any], first: str | None, groups: Sequence[str] | None, group_by: str
) -> list[Any]:
    """The two groups a Mann-Whitney test compares: those named, else the only two."""
    if groups is None:
        if len(found) != 2:
            raise InputError(
                f"{group_by} has {len(found)} groups ("
                + ", ".join(sorted(map(str, found))[:10])
                + "): name two with groups=... (--groups A,B)"
            )
        return _order_two(found, first)
    chosen = [str(g) for g in groups]
    if len(chosen) != 2:
        raise InputError("groups: give exactly two")
    lower = {str(g).lower(): g for g in found}
    missing = [g for g in chosen if g.lower() not in lower]
    if missing:
        raise InputError(
            f"group {missing[0]!r} not found in {group_by}; groups: "
            + ", ".join(map(str, sorted(found, key=str)))
        )
    return [lower[g.lower()] for g in chosen]


@dataclass
class _GroupedSample:
    """One measure's values with each authority's group, after every exclusion."""

    name: str
    values: pd.Series
    label: pd.Series
    groups: list[Any] | None
    periods: dict[str, list[str]]
    excluded: pd.DataFrame

    def data(self, store: Store, label: pd.Series | None = None) -> pd.DataFrame:
        """``la_code, la_name, region, group, <measure>`` for the result."""
        group = self.label if label is None else label
        return (
            _name_frame(store, self.values.index)
            .assign(group=group.to_numpy(), **{self.name: self.values.to_numpy()})
            .reset_index()
        )


def _grouped_sample(
    store: Store,
    measure: str,
    group_by: str,
    period: PeriodSpec,
    group_period: PeriodSpec,
    exclude: str | Sequence[str] | None,
    breakdown: str,
    pick: Any = None,
) -> _GroupedSample:
    """Values of ``measure`` and their groups, leaving out (and listing) whoever the
    user excludes, has no value, has no group or (with ``pick``, which chooses the
    groups compared from those found) is in a group not compared."""
    prep = _prepare(store, [measure], period, exclude, breakdown)
    name = prep.values.columns[0]
    label, why, first = _grouping(
        store, group_by, prep.values.index, group_period, breakdown
    )
    chosen = None
    if pick is not None:
        chosen = pick(list(pd.unique(label.dropna())), first)
        other = label.notna() & ~label.isin(chosen)
        why = why.where(~other, "in group " + label.astype(str) + ", not compared")
    keep = why == ""
    dropped = pd.DataFrame(
        {"la_code": prep.values.index[~keep], "reason": why[~keep].to_numpy()}
    )
    excluded = _excluded_frame(
        store,
        pd.concat([prep.excluded[["la_code", "reason"]], dropped], ignore_index=True),
    )
    return _GroupedSample(
        name, prep.values.loc[keep, name], label[keep], chosen, prep.periods, excluded
    )


@dataclass
class MannWhitney:
    """Mann-Whitney U test between two groups of authorities.

    ``u`` is scipy's U for the first group; ``rank_biserial`` = 2U/(n1 n2) - 1 is
    positive when the first group's values tend to be higher (-1 to 1);
    ``common_language`` = U/(n1 n2) is the probability that an authority of the
    first group exceeds one of the second (ties count half).
    """

    measure: str
    group_by: str
    groups: tuple[str, str]
    n1: int
    n2: int
    u: float
    p: float
    rank_biserial: float
    common_language: float
    median1: float
    median2: float
    alternative: str
    method: str
    periods: dict[str, list[str]]
    excluded: pd.DataFrame
    data: pd.DataFrame

    @property
    def n(self) -> int:
        return self.n1 + self.n2

    def to_frame(self) -> pd.DataFrame:
        """One row with every field except the data."""
        return pd.DataFrame(
            [
                {
                    "measure": self.measure,
                    "group_by": self.group_by,
                    "group1": self.groups[0],
                    "group2": self.groups[1],
                    "n1": self.n1,
                    "n2": self.n2,
                    "n": self.n,
                    "median1": self.median1,
                    "median2": self.median2,
                    "u": self.u,
                    "p": self.p,
                    "rank_biserial": self.rank_biserial,
                    "common_language": self.common_language,
                    "alternative": self.alternative,
                    "method": self.method,
                    "periods": ",".join(self.periods.get(self.measure, [])),
                    "excluded_n": len(self.excluded),
                    "excluded": _excluded_text(self.excluded),
                }
            ]
        )

    def describe(self) -> str:
        """The result in one sentence."""
        return (
            f"Mann-Whitney U = {self.u:g}, {format_p(self.p)}, rank-biserial "
            f"r = {self.rank_biserial:.3f}; {self.groups[0]} (n = {self.n1}, "
            f"median {self.median1:.4g}) vs {self.groups[1]} (n = {self.n2}, "
            f"median {self.median2:.4g}); {len(self.excluded)} authorities "
            "left out"
        )


def mann_whitney(
    store: Store,
    measure: str,
    group_by: str,
    *,
    groups: Sequence[str] | None = None,
    period: PeriodSpec = None,
    group_period: PeriodSpec = None,
    exclude: str | Sequence[str] | None = None,
    alternative: str = "two-sided",
    method: str = "auto",
    breakdown: str = "",
) -> MannWhitney:
    """Compare a measure between two groups of authorities (Mann-Whitney U).

    Parameters
    ----------
    store
        An open store.
    measure
        The variable compared: ``measure`` or ``measure[breakdown]`` (module
        notes).
    group_by
        ``column:value`` (e.g. ``region:London``: London against the rest), an
        authorities column with ``groups`` naming two of its values, or a
        variable with two values (0/1, Yes/No: the 1/Yes group comes first).
    groups
        The two groups to compare when ``group_by`` has more than two; authorities
        in other groups are left out (and listed).
    period, group_period
        Periods of ``measure`` and of a grouping measure (module notes).
    exclude
        Authorities to leave out.
    alternative, method
        Passed to ``scipy.stats.mannwhitneyu`` ('auto': exact for small samples
        without ties, else the normal approximation with continuity correction).
    breakdown
        The breakdown of a variable that names none ('' = the total rows).

    Returns
    -------
    MannWhitney

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    >>> codes = ["E09000002", "E09000003", "E09000004", "E06000001", "E06000002",
    ...          "E06000003"]
    >>> _ = s.con.executemany("INSERT INTO observation_cells (la_code, measure, "
    ...                       "period, "
    ...     "value, source_id) VALUES (?, 'spend', '2021', ?, 1)",
    ...     list(zip(codes, [9., 8, 7, 1, 2, 3])))
    >>> t = mann_whitney(s, "spend", "region:London")
    >>> t.groups, t.u, t.rank_biserial
    (('London', 'not London'), 9.0, 1.0)
    """
    from scipy import stats

    sample = _grouped_sample(
        store,
        measure,
        group_by,
        period,
        group_period,
        exclude,
        breakdown,
        pick=lambda found, first: _choose_two(found, first, groups, group_by),
    )
    chosen = sample.groups
    x = sample.values[sample.label == chosen[0]].to_numpy()
    y = sample.values[sample.label == chosen[1]].to_numpy()
    if len(x) == 0 or len(y) == 0:
        raise InputError(
            f"a group is empty: {chosen[0]} n={len(x)}, {chosen[1]} n={len(y)}"
        )
    res = stats.mannwhitneyu(x, y, alternative=alternative, method=method)
    u = float(res.statistic)
    n1, n2 = len(x), len(y)
    return MannWhitney(
        sample.name,
        group_by,
        (str(chosen[0]), str(chosen[1])),
        n1,
        n2,
        u,
        float(res.pvalue),
        2 * u / (n1 * n2) - 1,
        u / (n1 * n2),
        float(np.median(x)),
        float(np.median(y)),
        alternative,
        method,
        sample.periods,
        sample.excluded,
        sample.data(store),
    )


@dataclass
class KruskalWallis:
    """Kruskal-Wallis H test across groups of authorities.

    ``epsilon_squared`` = H / (n - 1) (Tomczak & Tomczak 2014), 0 to 1; ``groups``
    has each group's n, median and mean rank.
    """

    measure: str
    by: str
    h: float
    p: float
    df: int
    n: int
    epsilon_squared: float
    groups: pd.DataFrame
    periods: dict[str, list[str]]
    excluded: pd.DataFrame
    data: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row with every field except the data and the group table."""
        return pd.DataFrame(
            [
                {
                    "measure": self.measure,
                    "by": self.by,
                    "h": self.h,
                    "df": self.df,
                    "p": self.p,
                    "n": self.n,
                    "epsilon_squared": self.epsilon_squared,
                    "groups": len(self.groups),
                    "periods": ",".join(self.periods.get(self.measure, [])),
                    "excluded_n": len(self.excluded),
                    "excluded": _excluded_text(self.excluded),
                }
            ]
        )

    def describe(self) -> str:
        """The result in one sentence."""
        return (
            f"Kruskal-Wallis H = {self.h:.3f}, df = {self.df}, "
            f"{format_p(self.p)}, epsilon^2 = {self.epsilon_squared:.3f}, "
            f"n = {self.n} in {len(self.groups)} groups; "
            f"{len(self.excluded)} authorities left out"
        )


def kruskal(
    store: Store,
    measure: str,
    by: str = "region",
    *,
    period: PeriodSpec = None,
    by_period: PeriodSpec = None,
    exclude: str | Sequence[str] | None = None,
    breakdown: str = "",
) -> KruskalWallis:
    """Compare a measure across groups of authorities (Kruskal-Wallis H).

    Parameters
    ----------
    store
        An open store.
    measure
        The variable compared: ``measure`` or ``measure[breakdown]`` (module
        notes).
    by
        An authorities column (``region``, ``london_region``, ``la_type``) or a
        variable whose values or labels are the groups.
    period, by_period
        Periods of ``measure`` and of a grouping measure.
    exclude
        Authorities to leave out.
    breakdown
        The breakdown of a variable that names none ('' = the total rows).

    Returns
    -------
    KruskalWallis

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    >>> codes = ["E06000001", "E06000002", "E06000003", "E06000004", "E09000002",
    ...          "E09000003", "E06000022", "E06000023"]
    >>> _ = s.con.executemany("INSERT INTO observation_cells (la_code, measure, "
    ...                       "period, "
    ...     "value, source_id) VALUES (?, 'v', '2021', ?, 1)",
    ...     list(zip(codes, [1., 2, 3, 4, 8, 9, 5, 6])))
    >>> k = kruskal(s, "v", by="region")
    >>> k.groups["group"].tolist(), k.n, k.df
    (['North East', 'London', 'South West'], 8, 2)
    """
    from scipy import stats

    from lacompare.analysis.summaries import REGION_ORDER

    sample = _grouped_sample(store, measure, by, period, by_period, exclude, breakdown)
    vals, lab = sample.values, sample.label.astype(str)
    # Regions in DfE's north-to-south order, anything else alphabetically after.
    order = {r: i for i, r in enumerate(REGION_ORDER)}
    names = sorted(pd.unique(lab), key=lambda g: (order.get(g, len(order)), g))
    if len(names) < 2:
        raise InputError(
            f"{by} gives {len(names)} group(s) with values: need two or more"
        )
    samples = [vals[lab == g].to_numpy() for g in names]
    res = stats.kruskal(*samples)
    n = int(len(vals))
    ranks = stats.rankdata(vals.to_numpy())
    table = pd.DataFrame(
        {
            "group": names,
            "n": [len(s) for s in samples],
            "median": [float(np.median(s)) for s in samples],
            "mean_rank": [float(ranks[(lab == g).to_numpy()].mean()) for g in names],
        }
    )
    h = float(res.statistic)
    return KruskalWallis(
        sample.name,
        by,
        h,
        float(res.pvalue),
        len(names) - 1,
        n,
        h / (n - 1),
        table,
        sample.periods,
        sample.excluded,
        sample.data(store, lab),
    )
