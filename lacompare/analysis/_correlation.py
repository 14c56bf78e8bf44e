"""Correlations between authorities' values: one pair, or every pair of many.

:func:`correlate` tests one pair with its confidence interval (Fisher's z);
:func:`pairwise_correlation` computes every pair of a frame's columns at once (each
on its complete cases) and :func:`correlation_matrix` reads the measures for it;
:func:`adjust_p` corrects p-values for multiple testing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lacompare.analysis._la_values import (
    PeriodSpec,
    excluded_text,
    name_frame,
    prepare,
)
from lacompare.errors import InputError
from lacompare.formatting import format_p

if TYPE_CHECKING:
    from lacompare.store import Store

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
# Pairs ranked again on their shared authorities, per vectorised batch (cells).
_BATCH_CELLS = 2_000_000


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
    #: The same-area recodes read as one series (e.g. Buckinghamshire's IDACI
    #: 2019, published on its old code), one sentence each.
    notes: list[str] = field(default_factory=list)

    @property
    def statistic_name(self) -> str:
        return _STAT_NAMES[self.method]

    def to_frame(self) -> pd.DataFrame:
        """One row: x, y, method, statistic, r, p, n, CI, excluded count and list."""
        left = excluded_text(self.excluded)
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
    >>> rows = [{"la_code": f"E0600000{i}", "measure": m, "period": "2021",
    ...          "value": float(v)} for i, (a, b) in
    ...         enumerate([(1, 2), (2, 1), (3, 4), (4, 3), (5, 6)], 1)
    ...         for m, v in (("a", a), ("b", b))]
    >>> _ = s.write_cells(rows, file="f")
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
    prep = prepare(store, [x, y], period, exclude, breakdown)
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
    data = name_frame(store, prep.values.index).assign(**{x: xv, y: yv}).reset_index()
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
        prep.notes,
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
    #: The same-area recodes read as one series, one sentence each.
    notes: list[str] = field(default_factory=list)

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
    >>> rows = [{"la_code": f"E0600000{i}", "measure": m, "period": "2021",
    ...          "value": float(i * k % 7)} for i in range(1, 7)
    ...         for k, m in ((1, "a"), (2, "b"), (3, "c"))]
    >>> _ = s.write_cells(rows, file="f")
    >>> correlation_matrix(s, ["a", "b", "c"]).n.loc["a", "c"]
    np.int64(6)
    """
    if len(set(measures)) < 2:
        raise InputError("a correlation matrix needs at least two measures")
    prep = prepare(store, measures, period, exclude, breakdown, complete=False)
    result = pairwise_correlation(prep.values, method, min_n=min_n)
    result.excluded = prep.excluded
    stacked = prep.reasons.stack()
    stacked = stacked[stacked != ""]
    missing = stacked.rename("reason").reset_index()
    missing.columns = ["la_code", "measure", "reason"]
    result.missing = missing
    result.periods = prep.periods
    result.notes = prep.notes
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
