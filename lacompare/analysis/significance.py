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

Data are read by :mod:`._la_values`, correlations are in :mod:`._correlation`
(re-exported); below: Mann-Whitney, Kruskal-Wallis and :func:`compare_years`.

Examples
--------
>>> adjust_p([0.01, 0.04, 0.03], method="holm").round(3).tolist()
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._correlation import (
    CI_METHODS,
    CORRELATION_METHODS,
    Correlation,
    CorrelationMatrix,
    adjust_p,
    correlate,
    correlation_matrix,
    pairwise_correlation,
)
from lacompare.analysis._correlation import (
    _row_ranks as _row_ranks,
)
from lacompare.analysis._exclusions import authority_columns as _authority_columns
from lacompare.analysis._exclusions import resolve_exclusions
from lacompare.analysis._la_values import (
    NO_ROW,
    LaValues,
    PeriodSpec,
    authority_frame,
    excluded_frame,
    excluded_text,
    missing_reasons,
    name_frame,
    prepare,
    read_la_values,
)
from lacompare.errors import InputError
from lacompare.formatting import format_p

if TYPE_CHECKING:
    from lacompare.store import Store

#: The name lacompare.analysis.neighbours imports.
_missing_reasons = missing_reasons

__all__ = [
    "CI_METHODS",
    "CORRELATION_METHODS",
    "NO_ROW",
    "Correlation",
    "CorrelationMatrix",
    "KruskalWallis",
    "LaValues",
    "MannWhitney",
    "adjust_p",
    "authority_frame",
    "compare_years",
    "correlate",
    "correlation_matrix",
    "kruskal",
    "mann_whitney",
    "pairwise_correlation",
    "read_la_values",
    "resolve_exclusions",
]


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

    if not store.list_periods(parse_variable(spec).measure):
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
            name_frame(store, self.values.index)
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
    prep = prepare(store, [measure], period, exclude, breakdown)
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
    excluded = excluded_frame(
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
                    "excluded": excluded_text(self.excluded),
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
    >>> codes = ["E09000002", "E09000003", "E09000004", "E06000001", "E06000002",
    ...          "E06000003"]
    >>> _ = s.write_cells([{"la_code": c, "measure": "spend", "period": "2021",
    ...     "value": v} for c, v in zip(codes, [9., 8, 7, 1, 2, 3])], file="f")
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
                    "excluded": excluded_text(self.excluded),
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
    >>> codes = ["E06000001", "E06000002", "E06000003", "E06000004", "E09000002",
    ...          "E09000003", "E06000022", "E06000023"]
    >>> _ = s.write_cells([{"la_code": c, "measure": "v", "period": "2021",
    ...     "value": v} for c, v in zip(codes, [1., 2, 3, 4, 8, 9, 5, 6])], file="f")
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


def compare_years(
    store: Store, la: Any, measures: Sequence[str], **options: Any
) -> pd.DataFrame:
    """:func:`~lacompare.analysis.compare` at every period held: each year's
    ``flag``, ``flag_level`` and ``test`` are its figure's one verdict (same test).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> ne = sorted(s.list_authorities().query("region == 'North East'")["la_code"])
    >>> _ = s.write_cells([{"la_code": c, "measure": "m", "period": p, "value": (9.0
    ...     - 8 * i if k == 0 else 5.0 + k % 3)} for i, p in enumerate(["2021",
    ...     "2022"]) for k, c in enumerate(ne)], file="x")
    >>> compare_years(s, ne[0], ["m"])[["period", "flag"]].values.tolist()
    [['2021', 'above'], ['2022', 'below']]
    """
    from lacompare.analysis._compare import COLUMNS, compare

    held = store.values_relation(
        measures=list(measures), breakdowns=options.get("breakdown", ""),
        present_only=True, columns=["measure", "period"],
    ).distinct().df()  # fmt: skip
    parts = [pd.DataFrame(columns=COLUMNS)] + [
        compare(store, la, sorted(set(r["measure"])), period=p, **options).table
        for p, r in held.groupby("period", sort=True)
    ]
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame["period"].isin(held["period"])]
