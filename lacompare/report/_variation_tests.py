"""The variation report's tests of association: each factor against each
outcome (the average and the average change) — Spearman's rank correlation for a
numeric factor, Mann-Whitney U for a factor with two values, Kruskal-Wallis for
one with a few groups — each with a sentence, and the tables of every test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.formatting import format_p
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._specs import MeasureSpec
from lacompare.report._words import join_words, sentence_label

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = ["strength", "run_tests", "tests_tables"]


def strength(r: float) -> str:
    """Words for the size of a correlation (Cohen's conventions).

    Examples
    --------
    >>> strength(0.68), strength(-0.25), strength(0.05)
    ('strong', 'weak', 'negligible')
    """
    a = abs(r)
    return (
        "negligible"
        if a < 0.1
        else "weak"
        if a < 0.3
        else "moderate"
        if a < 0.5
        else "strong"
    )


@dataclass
class _Test:
    factor: MeasureSpec
    outcome: str
    test: str
    n: int
    statistic: float
    effect: float
    p: float
    detail: str
    groups: str = ""
    sentence: str = ""


def _factor_values(store: Store, spec: MeasureSpec) -> tuple[pd.Series, str, list[str]]:
    """Each authority's factor value (number, or group label), its period text,
    and the periods used."""
    from lacompare.analysis import read_la_values

    data = read_la_values(
        store, [spec.measure], breakdown=spec.breakdown, registry=False
    )
    values = data.values[spec.measure]
    periods = data.periods.get(spec.measure, [])
    if values.notna().sum() == 0:
        labels = data.labels[spec.measure]
        values = labels.where(labels.notna(), None).astype(object)
    when = ", ".join(periods) if len(periods) <= 3 else f"{periods[0]} to {periods[-1]}"
    return values, when, periods


def _groups_of(values: pd.Series) -> list[Any] | None:
    """The factor's groups when it is categorical or binary, else None."""
    present = values.dropna()
    if present.empty:
        return None
    numeric = pd.to_numeric(present, errors="coerce")
    if numeric.notna().all():
        distinct = sorted(set(numeric))
        return distinct if len(distinct) == 2 else None
    distinct = sorted(set(present.astype(str)))
    return distinct if 2 <= len(distinct) <= 8 else None


def _group_name(value: Any) -> str:
    if isinstance(value, (int, float, np.number)):
        names = {1.0: "Yes (1)", 0.0: "No (0)"}
        return names.get(float(value), f"{float(value):g}")
    return str(value)


@dataclass(frozen=True)
class Outcome:
    """An outcome a factor is tested against: each authority's value, how a
    sentence names it, and how its figures print."""

    key: str
    values: pd.Series
    label: str
    fmt: Callable[[float], str]


def run_tests(
    spec: MeasureSpec,
    values: pd.Series,
    outcomes: list[Outcome],
    names: pd.Series,
) -> tuple[list[_Test], pd.DataFrame]:
    """Test one factor against each outcome; the points of its scatter chart
    (the first outcome, for a numeric factor)."""
    tests: list[_Test] = []
    groups = _groups_of(values)
    plot = pd.DataFrame()
    for outcome in outcomes:
        frame = pd.DataFrame({"factor": values, "outcome": outcome.values}).dropna()
        if groups is None:
            frame = frame.assign(
                factor=pd.to_numeric(frame["factor"], errors="coerce")
            ).dropna()
            test = spearman_test(spec, frame, outcome)
            if test is not None and outcome.key == "rate":
                plot = frame.assign(la_name=names.reindex(frame.index).to_numpy())
        elif len(groups) == 2:
            test = mann_whitney_test(spec, frame, groups, outcome)
        else:
            test = kruskal_test(spec, frame, groups, outcome)
        if test is not None:
            tests.append(test)
    return tests, plot


def spearman_test(
    spec: MeasureSpec, frame: pd.DataFrame, outcome: Outcome
) -> _Test | None:
    """Spearman's rank correlation of a numeric factor with the outcome (None
    with fewer than 3 authorities)."""
    from lacompare.analysis import pairwise_correlation

    if len(frame) < 3:
        return None
    flabel, olabel = sentence_label(spec.label), outcome.label
    m = pairwise_correlation(frame[["factor", "outcome"]], "spearman")
    r = float(m.r.loc["factor", "outcome"])
    p = float(m.p.loc["factor", "outcome"])
    n = int(m.n.loc["factor", "outcome"])
    direction = "positive" if r > 0 else "negative"
    detail = f"r_s = {r:.2f}, {format_p(p)}, n = {n}"
    if p < 0.05:
        sentence = (
            f"There was a statistically significant "
            f"{strength(r)} {direction} association between "
            f"{flabel} and the {olabel} ({detail}): authorities "
            f"with higher {flabel} tended to have a "
            f"{'higher' if r > 0 else 'lower'} {olabel}."
        )
    else:
        sentence = (
            f"There was no statistically significant association "
            f"between {flabel} and the {olabel} ({detail})."
        )
    return _Test(
        spec,
        olabel,
        "Spearman's rank correlation",
        n,
        r,
        r,
        p,
        detail,
        sentence=sentence,
    )


def mann_whitney_test(
    spec: MeasureSpec, frame: pd.DataFrame, groups: list[Any], outcome: Outcome
) -> _Test | None:
    """Mann-Whitney U between the two groups of a two-valued factor (1 before 0
    for a 0/1 flag), with the rank-biserial r."""
    from scipy import stats

    flabel, olabel, fmt = sentence_label(spec.label), outcome.label, outcome.fmt
    g = frame["factor"]
    if pd.api.types.is_numeric_dtype(g) or all(
        isinstance(v, (int, float, np.number)) for v in g
    ):
        g = pd.to_numeric(g)
    first, second = (
        (groups[1], groups[0])
        if groups == [0, 1] or groups == [0.0, 1.0]
        else (groups[0], groups[1])
    )
    a = frame.loc[g == first, "outcome"].to_numpy(dtype=float)
    b = frame.loc[g == second, "outcome"].to_numpy(dtype=float)
    if len(a) == 0 or len(b) == 0:
        return None
    res = stats.mannwhitneyu(a, b, alternative="two-sided")
    u, p = float(res.statistic), float(res.pvalue)
    rb = 2 * u / (len(a) * len(b)) - 1
    ga, gb = _group_name(first), _group_name(second)
    ma, mb = float(np.median(a)), float(np.median(b))
    detail = (
        f"U = {u:,.0f}, {format_p(p)}, n = {len(a)} + {len(b)}; "
        f"rank-biserial r = {rb:.2f}"
    )
    if p < 0.05:
        sentence = (
            f"Authorities with {flabel} {ga} had a significantly "
            f"{'higher' if ma > mb else 'lower'} median {olabel} "
            f"than those with {gb} ({fmt(ma)} against {fmt(mb)}; "
            f"Mann-Whitney {detail})."
        )
    else:
        sentence = (
            f"The {olabel} did not differ "
            f"significantly between authorities with {flabel} {ga} "
            f"and {gb} (medians {fmt(ma)} and {fmt(mb)}; "
            f"Mann-Whitney {detail})."
        )
    return _Test(
        spec,
        olabel,
        "Mann-Whitney U",
        len(a) + len(b),
        u,
        rb,
        p,
        detail,
        groups=f"{ga} against {gb}",
        sentence=sentence,
    )


def kruskal_test(
    spec: MeasureSpec, frame: pd.DataFrame, groups: list[Any], outcome: Outcome
) -> _Test | None:
    """Kruskal-Wallis H across the groups of a categorical factor, with epsilon²."""
    from scipy import stats

    flabel, olabel, fmt = sentence_label(spec.label), outcome.label, outcome.fmt
    labels = frame["factor"].astype(str)
    parts = [
        frame.loc[labels == lab, "outcome"].to_numpy(dtype=float) for lab in groups
    ]
    parts = [x for x in parts if len(x)]
    if len(parts) < 2:
        return None
    res = stats.kruskal(*parts)
    h, p = float(res.statistic), float(res.pvalue)
    n = sum(len(x) for x in parts)
    eps = (h - len(parts) + 1) / (n - len(parts)) if n > len(parts) else float("nan")
    detail = f"H = {h:.2f}, df = {len(parts) - 1}, {format_p(p)}, n = {n}"
    medians = join_words(
        [
            f"{lab} {fmt(float(np.median(x)))}"
            for lab, x in zip(groups, parts, strict=False)
        ]
    )
    verdict = "differed significantly" if p < 0.05 else "did not differ significantly"
    sentence = (
        f"The {olabel} {verdict}"
        f" between the groups of {flabel} (Kruskal-Wallis {detail}; "
        f"medians: {medians})."
    )
    return _Test(
        spec,
        olabel,
        "Kruskal-Wallis H",
        n,
        h,
        eps,
        p,
        detail,
        groups=", ".join(map(str, groups)),
        sentence=sentence,
    )


def tests_tables(
    tests: list[_Test], holm: Any, slabel: str
) -> tuple[ReportTable, ReportTable]:
    """Every test: printed (HTML, PDF) and as numbers (XLSX)."""
    tf = pd.DataFrame(
        [
            {
                "factor": t.factor.label,
                "outcome": t.outcome,
                "test": t.test,
                "groups": t.groups,
                "n": t.n,
                "statistic": t.statistic,
                "effect": t.effect,
                "p": t.p,
                "p_holm": float(h),
                "detail": t.detail,
                "p_text": format_p(t.p),
                "holm_text": format_p(float(h)),
            }
            for t, h in zip(tests, holm, strict=True)
        ]
    )
    printed = ReportTable(
        f"Tests of association with {slabel}",
        tf,
        [
            Column("factor", "Factor", role="label"),
            Column("outcome", "Outcome", role="text"),
            Column("test", "Test", role="text"),
            Column("n", "n", role="rate", decimals=0),
            Column("detail", "Result", role="text"),
            Column("p_text", "p", role="text"),
            Column("holm_text", "p (Holm-adjusted)", role="text"),
        ],
        notes=[
            "Spearman: r_s from -1 to 1; Mann-Whitney: U with the "
            "rank-biserial r (positive when the first group is higher); "
            "Kruskal-Wallis: H with its degrees of freedom.",
            "Significant: p < 0.05.",
        ],
        name="Tests",
    )
    numbers = ReportTable(
        f"Tests of association with {slabel} (values)",
        tf,
        [
            Column("factor", "Factor", role="label"),
            Column("outcome", "Outcome", role="text"),
            Column("test", "Test", role="text"),
            Column("groups", "Groups compared", role="text"),
            Column("n", "n", role="rate", decimals=0),
            Column("statistic", "Statistic (r_s, U or H)", role="rate", decimals=3),
            Column(
                "effect",
                "Effect size (r_s, rank-biserial r, epsilon²)",
                role="rate",
                decimals=3,
            ),
            Column("p", "p", role="rate", decimals=4),
            Column("p_holm", "p (Holm-adjusted)", role="rate", decimals=4),
        ],
        name="Tests (values)",
    )
    return printed, numbers
