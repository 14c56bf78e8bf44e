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
on each pair's complete cases); the two- and k-group tests are scipy's
(:mod:`lacompare.report._variation_tests`). The report is built in steps: read
the measure (:func:`read_variation`), then one function per section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from lacompare.report._options import check_options
from lacompare.report._reports import (
    Document,
    MeasureSpec,
    join_words,
    measure_decimals,
    sentence_label,
)
from lacompare.report._variation_data import (
    Variation,
    _regional_table,
    change_table,
    national_frame,
    national_table,
    read_variation,
)
from lacompare.report._variation_tests import (
    Outcome,
    _factor_values,
    _Test,
    run_tests,
    strength,
    tests_tables,
)
from lacompare.report._words import d3_format

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = ["build_variation", "strength"]


def build_variation(
    store: Store,
    *,
    measure: str | None = None,
    factors: Sequence[str] | str | None = None,
    periods: str | Sequence[str] | None = None,
    exclude: Sequence[str] | str | None = None,
    title: str | None = None,
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
    check_options("variation", {"measure": measure})
    v = read_variation(store, str(measure), factors, periods, exclude)
    doc = Document(
        "variation",
        title or f"Variation in {v.slabel} between English local authorities, {v.span}",
        subtitle="An exploratory analysis: rates, change, regional "
        "variation and associated factors.",
        name="variation",
    )
    method_section(doc, v)
    national_section(doc, v, store)
    regional_section(doc, v)
    outcomes = [
        Outcome(
            "rate",
            v.rate.values.dropna(subset=["value"]).set_index("la_code")["value"],
            f"average {v.slabel}",
            v.fmt,
        )
    ]
    change = change_section(doc, v, store)
    if change is not None:
        outcomes.append(change)
    tests = associations_section(doc, v, store, outcomes) if v.factors else []
    limitations_section(doc, len(tests))
    doc.key_points = v.key_points
    doc.reading_notes = [
        "Average change: the mean of each authority's year-on-year differences "
        "over the periods (positive when the figure has mostly risen).",
        "SD: standard deviation across authorities.",
        "p < 0.001: smaller than one in a thousand.",
    ]
    doc.sources = v.tracker.frame()
    return doc


def method_section(doc: Document, v: Variation) -> None:
    """What the outcome is, who is left out, and how factors are tested."""
    method = doc.section("Data and method")
    method.p(
        f"The outcome is {v.slabel} ({v.spec.key}), for {v.rate.n} authorities over "
        f"{len(v.used)} period{'s' if len(v.used) != 1 else ''} ({v.span}). Two "
        "figures are worked out for each authority: its average over the "
        "periods, and its average change (the mean of its year-on-year "
        "differences: positive when it has mostly risen)."
    )
    left = v.rate.excluded
    if len(left):
        reasons = left.groupby("reason")["la_name"].apply(
            lambda s: ", ".join(sorted(set(s.astype(str))))
        )
        method.bullets([f"Left out ({why}): {names}" for why, names in reasons.items()])
    if v.factors:
        method.p(
            "Factors tested: "
            + join_words([sentence_label(f.label) for f in v.factors])
            + ". Each factor is "
            "the measure's latest period in the store. Numeric factors are tested "
            "with Spearman's rank correlation; a factor with two values with the "
            "Mann-Whitney U test; one with a few groups with Kruskal-Wallis."
        )


def national_section(doc: Document, v: Variation, store: Store) -> None:
    """The national figure over time: a table, a chart and how it moved."""
    from lacompare.charts import trend_chart

    nat = doc.section(f"{v.spec.label}: England over time")
    frame = national_frame(v, store)
    nat.table(national_table(v, frame))
    if len(v.used) < 2:
        return
    rows = []
    for r in frame.itertuples():
        if r.england == r.england:
            rows.append(
                {
                    "period": r.period,
                    "series": "England (published)",
                    "value": r.england,
                }
            )
        if r.median == r.median:
            rows.append(
                {
                    "period": r.period,
                    "series": "Median of authorities",
                    "value": r.median,
                }
            )
    nat.figure(
        trend_chart(
            pd.DataFrame(rows),
            measure=v.spec.label,
            number_format=d3_format(v.spec.unit, v.decimals),
        ),
        name="England over time",
    )
    first, last = frame.iloc[0], frame.iloc[-1]
    col = (
        "england"
        if first["england"] == first["england"] and last["england"] == last["england"]
        else "median"
    )
    what = "England's figure" if col == "england" else "the median authority's figure"
    a, b = float(first[col]), float(last[col])
    move = "rose" if b > a else "fell" if b < a else "stayed the same"
    pct = f" ({(b - a) / a * 100:+.0f}%)" if a else ""
    nat.p(
        f"Between {first['period']} and {last['period']} {what} {move}, "
        f"from {v.fmt(a)} to {v.fmt(b)}{pct}."
    )
    v.tracker.use(v.spec.measure, v.spec.breakdown, v.used)


def regional_section(doc: Document, v: Variation) -> None:
    """Regional variation in each authority's average over the window."""
    from lacompare.charts import box_chart

    reg = doc.section(f"Regional variation in the average, {v.span}")
    t, dec, fmt = v.rate.table, v.decimals, v.fmt
    body = t[t["region"] != "England"].dropna(subset=["mean"])
    if len(body):
        hi = body.loc[body["mean"].idxmax()]
        lo = body.loc[body["mean"].idxmin()]
        eng = t[t["region"] == "England"].iloc[0]
        sentence = (
            f"Across {int(eng['n'])} authorities the average {v.slabel} over "
            f"{v.span} was {fmt(eng['mean'], dec + 1)} (SD "
            f"{fmt(eng['sd'], dec + 1)}), from {fmt(eng['min'])} to "
            f"{fmt(eng['max'])}. {hi['region']} had the highest regional "
            f"mean ({fmt(hi['mean'], dec + 1)}) and {lo['region']} the "
            f"lowest ({fmt(lo['mean'], dec + 1)})."
        )
        reg.p(sentence)
        v.key_points.append(sentence)
    reg.table(
        _regional_table(
            v.rate,
            f"The average {v.slabel} by region, {v.span} (N = {v.rate.n})",
            v.spec.unit,
            dec,
            "Average by region",
        )
    )
    values = v.rate.values.dropna(subset=["value"])
    if len(values) >= 5:
        reg.figure(
            box_chart(
                values.rename(columns={"region": "group"}),
                measure=v.spec.label,
                group="group",
                period=v.span,
                group_title="region",
                number_format=d3_format(v.spec.unit, dec),
            ),
            caption="Each authority's average over the periods. Boxes span "
            "the middle half of authorities; the line is the median; "
            "authorities beyond the whiskers are named.",
            name="Average by region",
        )


def change_section(doc: Document, v: Variation, store: Store) -> Outcome | None:
    """Each authority's average year-on-year change: how many rose and fell,
    its spread and its regions. Returns the change as an outcome to test
    factors against (None with one period)."""
    from lacompare.analysis import summarise
    from lacompare.charts import box_chart, histogram_chart

    if len(v.used) < 2:
        return None
    change = summarise(
        store,
        v.spec.measure,
        by="london_region",
        periods=v.used,
        per_la="change",
        exclude=v.exclude,
        breakdown=v.spec.breakdown,
    )
    ch = doc.section(f"Change in {v.slabel}, {v.span}")
    cv = change.values.dropna(subset=["value"])
    eng = change.table[change.table["region"] == "England"].iloc[0]
    up, flat = int((cv["value"] > 0).sum()), int((cv["value"] == 0).sum())
    down, n, dec, fmt = int((cv["value"] < 0).sum()), len(cv), v.decimals, v.fmt
    sentence = (
        f"Between {v.used[0]} and {v.used[-1]}, authorities' {v.slabel} "
        f"changed on average by {fmt(eng['mean'], dec + 2)} a year (SD "
        f"{fmt(eng['sd'], dec + 2)}, range {fmt(eng['min'], dec + 1)} "
        f"to {fmt(eng['max'], dec + 1)}; N = {n}). {round(100 * up / n)}% "
        f"of authorities saw an average increase, {round(100 * flat / n)}"
        f"% no change and {round(100 * down / n)}% a decrease."
    )
    ch.p(sentence)
    v.key_points.append(sentence)
    ch.table(change_table(v, up, flat, down))
    what = f"Average change a year in {v.slabel}"
    if n >= 5:
        ch.figure(
            histogram_chart(
                cv, measure=what, period=v.span, number_format=f",.{dec + 1}f"
            ),
            caption="Below 0: authorities whose figure mostly fell.",
            name="Change distribution",
        )
    ch.table(
        _regional_table(
            change,
            f"The average change in {v.slabel} by region, {v.span} (N = {change.n})",
            v.spec.unit,
            dec + 1,
            "Change by region",
        )
    )
    if n >= 5:
        ch.figure(
            box_chart(
                cv.rename(columns={"region": "group"}),
                measure=what,
                group="group",
                period=v.span,
                group_title="region",
                number_format=f",.{dec + 1}f",
            ),
            caption="Each authority's average year-on-year change.",
            name="Change by region",
        )
    values = cv.set_index("la_code")["value"]
    return Outcome("change", values, f"average change in {v.slabel}", v.fmt)


def _excluded_codes(v: Variation) -> set[str]:
    left = v.rate.excluded
    if not len(left):
        return set()
    return set(left.loc[left["reason"].str.startswith("excluded"), "la_code"])


def factor_section(
    doc: Document, v: Variation, store: Store, f: MeasureSpec, outcomes: list[Outcome]
) -> list[_Test]:
    """One factor: its tests against each outcome in words, and a scatter chart."""
    from lacompare.charts import scatter_chart

    values_f, when, fperiods = _factor_values(store, f)
    values_f = values_f[~values_f.index.isin(_excluded_codes(v))]
    v.tracker.use(f.measure, f.breakdown, fperiods)
    sub = doc.section(f"{f.label} ({when})", level=3)
    names = v.rate.values.drop_duplicates("la_code").set_index("la_code")["la_name"]
    tests, plot = run_tests(f, values_f, outcomes, names)
    if not tests:
        sub.p(
            f"Too few authorities have both {sentence_label(f.label)} and "
            f"{v.slabel} to test."
        )
        return []
    sub.p(" ".join(t.sentence for t in tests))
    if len(plot) >= 5:
        t0 = tests[0]
        fdec = measure_decimals(plot["factor"], f.unit)
        sub.figure(
            scatter_chart(
                plot,
                x="factor",
                y="outcome",
                x_title=f.label,
                y_title=f"Average {v.slabel}",
                r_s=t0.statistic,
                p=t0.p,
                n=t0.n,
                x_format=d3_format(f.unit, fdec),
                y_format=d3_format(v.spec.unit, v.decimals),
            ),
            caption="Each point is an authority.",
            name=f"Scatter {f.key}"[:31],
        )
    return tests


def associations_section(
    doc: Document, v: Variation, store: Store, outcomes: list[Outcome]
) -> list[_Test]:
    """Each factor's tests, then every test in a table with Holm-adjusted p."""
    from lacompare.analysis import adjust_p

    assoc = doc.section("Factors associated with the rate and its change")
    assoc.p(
        "Each test uses the authorities with both figures; n says how many. "
        "p is the chance of an association at least this strong if there "
        "were none; with several tests, some small p-values arise by "
        "chance, so the table also gives p adjusted for the number of "
        "tests (Holm)."
    )
    tests: list[_Test] = []
    for f in v.factors:
        tests += factor_section(doc, v, store, f, outcomes)
    if not tests:
        return tests
    holm = adjust_p([t.p for t in tests], method="holm")
    printed, numbers = tests_tables(tests, holm, v.slabel)
    assoc.table(printed, xlsx=False)
    assoc.table(numbers, html=False)
    sig = [t for t in tests if t.p < 0.05]
    if sig:
        v.key_points.append(
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
        v.key_points.append(
            "None of the factors tested was significantly associated with the outcome."
        )
    return tests


def limitations_section(doc: Document, tests: int) -> None:
    """What the tests cannot say."""
    doc.section("Limitations").bullets(
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
            f"With {tests} tests, about one in twenty would show p < 0.05 by "
            "chance alone: read the Holm-adjusted p-values."
            if tests
            else "",
            "Suppressed or missing values are left out, never counted as 0; the "
            "tables give N, and the tests n.",
        ]
    )
