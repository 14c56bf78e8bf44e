"""The ``variation`` report: an exploratory analysis of one measure across authorities.

After the What Works Centre's *Exploratory analyses of the rates of children
looked after in English local authorities* (2018): the national figure over
time; each authority's average over the window, and its average year-on-year
change, summarised by region with London split into Inner and Outer London
(tables of N, minimum, maximum, mean, SD and box plots naming the outliers);
then the association of each chosen factor with the average and with the
change — Spearman's rank correlation for a numeric factor, Mann-Whitney U for
a factor with two values, Kruskal-Wallis for one with more — each with its n
and p (and p adjusted for the number of tests, Holm), and the limitations.

The per-authority figures are :func:`lacompare.analysis.summarise`'s (``mean``
and ``change`` per authority); correlations are
:func:`lacompare.analysis.pairwise_correlation` (equal to scipy's ``spearmanr``
on each pair's complete cases); the two- and k-group tests are scipy's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting import format_p
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._reports import (
    Document,
    MeasureSpec,
    SourceTracker,
    format_measure_value,
    join_words,
    measure_decimals,
    missing_where,
    resolve_measure,
    sentence_label,
    split_specs,
)

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = ["build_variation", "strength"]

_STAT_COLS = ("n", "min", "max", "mean", "median", "sd")


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


def _period_key(period: str) -> tuple[int, str]:
    digits = "".join(ch for ch in str(period)[:4] if ch.isdigit())
    return (int(digits) if len(digits) == 4 else 0, str(period))


def _regional_table(
    summary: Any, title: str, unit: str | None, decimals: int, name: str
) -> ReportTable:
    t = summary.table.copy()
    t = t[["region", *_STAT_COLS]]
    body = t[t["region"] != "England"].sort_values("mean")
    eng = t[t["region"] == "England"]
    t = pd.concat([body, eng], ignore_index=True)
    t["row_role"] = np.where(t["region"] == "England", "total", "item")
    for c in ("min", "max", "mean", "median", "sd"):
        t[c + "__missing"] = missing_where(t[c].isna(), "not-applicable")
    shown = unit if unit not in (None, "", "persons") else None
    return ReportTable(
        title,
        t,
        [
            Column("region", "Region", role="label"),
            Column("n", "Authorities (N)", role="rate", decimals=0),
            Column("min", "Minimum", unit=shown, role="rate", decimals=decimals),
            Column("max", "Maximum", unit=shown, role="rate", decimals=decimals),
            Column("mean", "Mean", unit=shown, role="rate", decimals=decimals + 1),
            Column("median", "Median", unit=shown, role="rate", decimals=decimals + 1),
            Column(
                "sd", "Std. deviation", unit=shown, role="rate", decimals=decimals + 1
            ),
        ],
        notes=[
            "Regions in order of their mean, lowest first; London is split into "
            "Inner and Outer London. England is every authority summarised."
        ],
        name=name,
    )


def _d3(unit: str | None, decimals: int) -> str:
    if (
        unit
        and unit.lower().startswith("£")
        and unit.lower() not in ("£000", "£ thousand", "£m")
    ):
        return f"$,.{decimals}f"
    return f",.{decimals}f"


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


def _run_tests(
    spec: MeasureSpec,
    values: pd.Series,
    outcomes: dict[str, pd.Series],
    outcome_labels: dict[str, str],
    fmt: Any,
    decimals: int,
    names: pd.Series,
) -> tuple[list[_Test], pd.DataFrame]:
    from scipy import stats

    from lacompare.analysis import pairwise_correlation

    tests: list[_Test] = []
    groups = _groups_of(values)
    flabel = sentence_label(spec.label)
    plot = pd.DataFrame()
    for key, outcome in outcomes.items():
        olabel = outcome_labels[key]
        frame = pd.DataFrame({"factor": values, "outcome": outcome}).dropna()
        if groups is None:
            x = pd.to_numeric(frame["factor"], errors="coerce")
            frame = frame.assign(factor=x).dropna()
            if len(frame) < 3:
                continue
            m = pairwise_correlation(frame[["factor", "outcome"]], "spearman")
            r = float(m.r.loc["factor", "outcome"])
            p = float(m.p.loc["factor", "outcome"])
            n = int(m.n.loc["factor", "outcome"])
            direction = "positive" if r > 0 else "negative"
            sig = p < 0.05
            detail = f"r_s = {r:.2f}, {format_p(p)}, n = {n}"
            if sig:
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
            tests.append(
                _Test(
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
            )
            if key == "rate":
                plot = frame.assign(la_name=names.reindex(frame.index).to_numpy())
        elif len(groups) == 2:
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
                continue
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
            tests.append(
                _Test(
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
            )
        else:
            labels = frame["factor"].astype(str)
            parts = [
                frame.loc[labels == lab, "outcome"].to_numpy(dtype=float)
                for lab in groups
            ]
            parts = [x for x in parts if len(x)]
            if len(parts) < 2:
                continue
            res = stats.kruskal(*parts)
            h, p = float(res.statistic), float(res.pvalue)
            n = sum(len(x) for x in parts)
            eps = (
                (h - len(parts) + 1) / (n - len(parts))
                if n > len(parts)
                else float("nan")
            )
            detail = f"H = {h:.2f}, df = {len(parts) - 1}, {format_p(p)}, n = {n}"
            medians = join_words(
                [
                    f"{lab} {fmt(float(np.median(x)))}"
                    for lab, x in zip(groups, parts, strict=False)
                ]
            )
            verdict = (
                "differed significantly" if p < 0.05 else "did not differ significantly"
            )
            sentence = (
                f"The {olabel} {verdict}"
                f" between the groups of {flabel} (Kruskal-Wallis {detail}; "
                f"medians: {medians})."
            )
            tests.append(
                _Test(
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
            )
    return tests, plot


def build_variation(
    store: Store,
    *,
    measure: str | None = None,
    factors: Sequence[str] | str | None = None,
    periods: str | Sequence[str] | None = None,
    exclude: Sequence[str] | str | None = None,
    title: str | None = None,
    **unknown: Any,
) -> Document:
    """The variation report for one measure and the factors to test against it.

    Parameters
    ----------
    store
        An open store.
    measure
        The measure (``measure``, ``measure[breakdown]``, ``…=Label``).
    factors
        Factor measures to test for association (same spec; a 0/1 or two-valued
        factor is tested with Mann-Whitney U).
    periods
        The window: ``'2021:2025'`` or a list of periods (default: every period
        of the measure).
    exclude
        Authorities to leave out (names, codes, regions), e.g. the Isles of Scilly.
    title
        The report's title.
    """
    from lacompare.analysis import adjust_p, summarise
    from lacompare.charts import box_chart, histogram_chart, scatter_chart, trend_chart
    from lacompare.derive import window_values

    if unknown:
        raise InputError(
            "the variation report has no option " + ", ".join(sorted(unknown))
        )
    if not measure:
        raise InputError("variation needs a measure (--measure M)")
    spec = resolve_measure(store, measure)
    factor_specs = [resolve_measure(store, f) for f in split_specs(factors)]
    if isinstance(periods, str) and "," in periods:
        periods = [p.strip() for p in periods.split(",") if p.strip()]
    tracker = SourceTracker(store)
    label = spec.label
    slabel = sentence_label(label)
    unit = spec.unit

    rate = summarise(
        store,
        spec.measure,
        by="london_region",
        periods=periods,
        per_la="mean",
        exclude=exclude,
        breakdown=spec.breakdown,
    )
    used = rate.periods.get(spec.measure, [])
    if rate.n == 0:
        raise InputError(
            f"no authority has a value of {spec.key} in {periods or 'any period'}"
        )
    used = sorted(used, key=_period_key)
    span = f"{used[0]} to {used[-1]}" if len(used) > 1 else used[0]
    tracker.use(spec.measure, spec.breakdown, used)
    pooled = window_values(
        store, spec.measure, used, how="pooled", breakdown=spec.breakdown
    )
    dec = measure_decimals(pooled["value"].dropna(), unit)

    def fmt(v: Any, d: int = dec) -> str:
        return format_measure_value(v, unit, d)

    doc = Document(
        "variation",
        title or f"Variation in {slabel} between English local authorities, {span}",
        subtitle="An exploratory analysis: rates, change, regional "
        "variation and associated factors.",
        name="variation",
    )

    # Method.
    method = doc.section("Data and method")
    method.p(
        f"The outcome is {slabel} ({spec.key}), for {rate.n} authorities over "
        f"{len(used)} period{'s' if len(used) != 1 else ''} ({span}). Two "
        "figures are worked out for each authority: its average over the "
        "periods, and its average change (the mean of its year-on-year "
        "differences: positive when it has mostly risen)."
    )
    left = rate.excluded
    if len(left):
        reasons = left.groupby("reason")["la_name"].apply(
            lambda s: ", ".join(sorted(set(s.astype(str))))
        )
        method.bullets([f"Left out ({why}): {names}" for why, names in reasons.items()])
    if factor_specs:
        method.p(
            "Factors tested: "
            + join_words([sentence_label(f.label) for f in factor_specs])
            + ". Each factor is "
            "the measure's latest period in the store. Numeric factors are tested "
            "with Spearman's rank correlation; a factor with two values with the "
            "Mann-Whitney U test; one with a few groups with Kruskal-Wallis."
        )

    # National over time.
    nat = doc.section(f"{label}: England over time")
    per = (
        pooled.dropna(subset=["value"])
        .groupby("period")["value"]
        .agg(["count", "mean", "median"])
    )
    published = store.query(
        """SELECT period, any_value(value) AS england FROM totals
           WHERE measure = ? AND breakdown = ? AND (area_code = 'E92000001'
                 OR lower(area_name) = 'england')
           GROUP BY period""",
        [spec.measure, spec.breakdown],
    ).set_index("period")
    frame = pd.DataFrame({"period": used})
    frame["england"] = (
        frame["period"].map(published["england"]) if len(published) else np.nan
    )
    frame["n"] = frame["period"].map(per["count"]).fillna(0).astype(int)
    frame["mean"] = frame["period"].map(per["mean"])
    frame["median"] = frame["period"].map(per["median"])
    frame["england__missing"] = missing_where(frame["england"].isna(), "not-available")
    shown_unit = unit if unit not in (None, "", "persons") else None
    nat.table(
        ReportTable(
            f"{label}: England and the spread of authorities by period",
            frame,
            [
                Column("period", "Period", role="label"),
                Column(
                    "england",
                    "England (published)",
                    unit=shown_unit,
                    role="rate",
                    decimals=dec,
                ),
                Column("n", "Authorities (N)", role="rate", decimals=0),
                Column(
                    "mean",
                    "Mean of authorities",
                    unit=shown_unit,
                    role="rate",
                    decimals=dec + 1,
                ),
                Column(
                    "median",
                    "Median of authorities",
                    unit=shown_unit,
                    role="rate",
                    decimals=dec + 1,
                ),
            ],
            notes=[
                "England (published): the national figure from the source's own "
                "England row, where the store has one ([x] where not). The mean of "
                "authorities gives each authority equal weight."
            ],
            name="England by period",
        )
    )
    if len(used) >= 2:
        rows = []
        for r in frame.itertuples():
            if r.england == r.england:
                rows.append(
                    {
                        "period": r.period,
                        "series": "England (published)",
                        "value": float(r.england),
                    }
                )
            if r.median == r.median:
                rows.append(
                    {
                        "period": r.period,
                        "series": "Median of authorities",
                        "value": float(r.median),
                    }
                )
        nat.figure(
            trend_chart(
                pd.DataFrame(rows), measure=label, number_format=_d3(unit, dec)
            ),
            name="England over time",
        )
        first, last = frame.iloc[0], frame.iloc[-1]
        col = (
            "england"
            if first["england"] == first["england"]
            and last["england"] == last["england"]
            else "median"
        )
        what = (
            "England's figure" if col == "england" else "the median authority's figure"
        )
        a, b = float(first[col]), float(last[col])
        move = "rose" if b > a else "fell" if b < a else "stayed the same"
        pct = f" ({(b - a) / a * 100:+.0f}%)" if a else ""
        nat.p(
            f"Between {first['period']} and {last['period']} {what} {move}, "
            f"from {fmt(a)} to {fmt(b)}{pct}."
        )
        tracker.use(spec.measure, spec.breakdown, used)

    # Regional variation in the average.
    reg = doc.section(f"Regional variation in the average, {span}")
    t = rate.table
    body = t[t["region"] != "England"].dropna(subset=["mean"])
    key_points = []
    if len(body):
        hi = body.loc[body["mean"].idxmax()]
        lo = body.loc[body["mean"].idxmin()]
        eng = t[t["region"] == "England"].iloc[0]
        sentence = (
            f"Across {int(eng['n'])} authorities the average {slabel} over "
            f"{span} was {fmt(eng['mean'], dec + 1)} (SD "
            f"{fmt(eng['sd'], dec + 1)}), from {fmt(eng['min'])} to "
            f"{fmt(eng['max'])}. {hi['region']} had the highest regional "
            f"mean ({fmt(hi['mean'], dec + 1)}) and {lo['region']} the "
            f"lowest ({fmt(lo['mean'], dec + 1)})."
        )
        reg.p(sentence)
        key_points.append(sentence)
    reg.table(
        _regional_table(
            rate,
            f"The average {slabel} by region, {span} (N = {rate.n})",
            unit,
            dec,
            "Average by region",
        )
    )
    values = rate.values.dropna(subset=["value"])
    if len(values) >= 5:
        reg.figure(
            box_chart(
                values.rename(columns={"region": "group"}),
                measure=label,
                group="group",
                period=span,
                group_title="region",
                number_format=_d3(unit, dec),
            ),
            caption="Each authority's average over the periods. Boxes span "
            "the middle half of authorities; the line is the median; "
            "authorities beyond the whiskers are named.",
            name="Average by region",
        )

    # Change.
    outcomes: dict[str, pd.Series] = {}
    outcome_labels: dict[str, str] = {}
    names = rate.values.drop_duplicates("la_code").set_index("la_code")["la_name"]
    outcomes["rate"] = rate.values.dropna(subset=["value"]).set_index("la_code")[
        "value"
    ]
    outcome_labels["rate"] = f"average {slabel}"
    change = None
    if len(used) >= 2:
        change = summarise(
            store,
            spec.measure,
            by="london_region",
            periods=used,
            per_la="change",
            exclude=exclude,
            breakdown=spec.breakdown,
        )
        ch = doc.section(f"Change in {slabel}, {span}")
        cv = change.values.dropna(subset=["value"])
        eng = change.table[change.table["region"] == "England"].iloc[0]
        up = int((cv["value"] > 0).sum())
        flat = int((cv["value"] == 0).sum())
        down = int((cv["value"] < 0).sum())
        n = len(cv)
        sentence = (
            f"Between {used[0]} and {used[-1]}, authorities' {slabel} "
            f"changed on average by {fmt(eng['mean'], dec + 2)} a year (SD "
            f"{fmt(eng['sd'], dec + 2)}, range {fmt(eng['min'], dec + 1)} "
            f"to {fmt(eng['max'], dec + 1)}; N = {n}). {round(100 * up / n)}% "
            f"of authorities saw an average increase, {round(100 * flat / n)}"
            f"% no change and {round(100 * down / n)}% a decrease."
        )
        ch.p(sentence)
        key_points.append(sentence)
        counts = pd.DataFrame(
            {
                "band": ["Increase", "No change", "Decrease", "All authorities"],
                "n": [up, flat, down, n],
                "row_role": ["item"] * 3 + ["total"],
            }
        )
        counts["share"] = counts["n"] / n
        ch.table(
            ReportTable(
                f"Authorities by direction of average change in {slabel}, {span}",
                counts,
                [
                    Column("band", "Average change", role="label"),
                    Column("n", "Authorities", rounding=0),
                    Column(
                        "share", "Share", unit="proportion", role="rate", decimals=0
                    ),
                ],
                name="Direction of change",
            )
        )
        if n >= 5:
            ch.figure(
                histogram_chart(
                    cv,
                    measure=f"Average change a year in {slabel}",
                    period=span,
                    number_format=f",.{dec + 1}f",
                ),
                caption="Below 0: authorities whose figure mostly fell.",
                name="Change distribution",
            )
        ch.table(
            _regional_table(
                change,
                f"The average change in {slabel} by region, {span} (N = {change.n})",
                unit,
                dec + 1,
                "Change by region",
            )
        )
        if n >= 5:
            ch.figure(
                box_chart(
                    cv.rename(columns={"region": "group"}),
                    measure=f"Average change a year in {slabel}",
                    group="group",
                    period=span,
                    group_title="region",
                    number_format=f",.{dec + 1}f",
                ),
                caption="Each authority's average year-on-year change.",
                name="Change by region",
            )
        outcomes["change"] = cv.set_index("la_code")["value"]
        outcome_labels["change"] = f"average change in {slabel}"

    # Associations.
    all_tests: list[_Test] = []
    if factor_specs:
        assoc = doc.section("Factors associated with the rate and its change")
        assoc.p(
            "Each test uses the authorities with both figures; n says how many. "
            "p is the chance of an association at least this strong if there "
            "were none; with several tests, some small p-values arise by "
            "chance, so the table also gives p adjusted for the number of "
            "tests (Holm)."
        )
        drop = (
            set(
                rate.excluded.loc[
                    rate.excluded["reason"].str.startswith("excluded"), "la_code"
                ]
            )
            if len(rate.excluded)
            else set()
        )
        for f in factor_specs:
            values_f, when, fperiods = _factor_values(store, f)
            values_f = values_f[~values_f.index.isin(drop)]
            tracker.use(f.measure, f.breakdown, fperiods)
            sub = doc.section(f"{f.label} ({when})", level=3)
            tests, plot = _run_tests(
                f, values_f, outcomes, outcome_labels, fmt, dec, names
            )
            if not tests:
                sub.p(
                    f"Too few authorities have both {sentence_label(f.label)} and "
                    f"{slabel} to test."
                )
                continue
            sub.p(" ".join(t.sentence for t in tests))
            all_tests += tests
            if len(plot) >= 5:
                t0 = tests[0]
                fdec = measure_decimals(plot["factor"], f.unit)
                sub.figure(
                    scatter_chart(
                        plot,
                        x="factor",
                        y="outcome",
                        x_title=f.label,
                        y_title=f"Average {slabel}",
                        r_s=t0.statistic,
                        p=t0.p,
                        n=t0.n,
                        x_format=_d3(f.unit, fdec),
                        y_format=_d3(unit, dec),
                    ),
                    caption="Each point is an authority.",
                    name=f"Scatter {f.key}"[:31],
                )
        if all_tests:
            holm = adjust_p([t.p for t in all_tests], method="holm")
            rows = [
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
                for t, h in zip(all_tests, holm, strict=True)
            ]
            tf = pd.DataFrame(rows)
            assoc.table(
                ReportTable(
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
                ),
                xlsx=False,
            )
            assoc.table(
                ReportTable(
                    f"Tests of association with {slabel} (values)",
                    tf,
                    [
                        Column("factor", "Factor", role="label"),
                        Column("outcome", "Outcome", role="text"),
                        Column("test", "Test", role="text"),
                        Column("groups", "Groups compared", role="text"),
                        Column("n", "n", role="rate", decimals=0),
                        Column(
                            "statistic",
                            "Statistic (r_s, U or H)",
                            role="rate",
                            decimals=3,
                        ),
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
                ),
                html=False,
            )
            sig = [t for t, h in zip(all_tests, holm, strict=True) if t.p < 0.05]
            if sig:
                key_points.append(
                    "Statistically significant associations: "
                    + join_words(
                        [
                            f"{sentence_label(t.factor.label)} "
                            f"with the {t.outcome} ({t.detail})"
                            for t in sig
                        ]
                    )
                    + "."
                )
            else:
                key_points.append(
                    "None of the factors tested was significantly "
                    "associated with the outcome."
                )

    lim = doc.section("Limitations")
    lim.bullets(
        [
            "These are associations between authorities, not causes: an authority "
            "with a higher figure on a factor need not have a higher rate because of "
            "it, and no finding says what any one authority should do.",
            "Each authority is one unit, whatever its size; figures for small "
            "authorities move more from year to year by chance.",
            "Factors are tested one at a time; several factors may move together "
            "(deprivation with unemployment, for example), and no test here accounts "
            "for the others.",
            "Factors may come from other periods than the outcome (each factor's "
            "period is given with it), and authorities created or merged during the "
            "window lack some figures and are left out of the tests that need them.",
            f"With {len(all_tests)} tests, about one in twenty would show p < 0.05 by "
            "chance alone: read the Holm-adjusted p-values."
            if all_tests
            else "",
            "Suppressed or missing values are left out, never counted as 0; the "
            "tables give N, and the tests n.",
        ]
    )
    doc.key_points = key_points
    doc.reading_notes = [
        "Average change: the mean of each authority's year-on-year differences "
        "over the periods (positive when the figure has mostly risen).",
        "SD: standard deviation across authorities.",
        "p < 0.001: smaller than one in a thousand.",
    ]
    doc.sources = tracker.frame()
    return doc
