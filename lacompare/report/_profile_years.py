"""The la-profile's measures year by year: a table of every period with each
year's significance mark, and the trend chart that marks the same years.

A year's mark is the verdict :func:`lacompare.analysis.compare` gives that figure
(:func:`lacompare.analysis.significance.compare_years`: funnel limits for a
derived rate, else the z-score among authorities), so the table, the chart, the
headline table and ``compare`` never disagree about a figure (issue 20, item 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.formatting import MISSING_SYMBOLS
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._profile_words import period_key
from lacompare.report._words import d3_format, missing_where

if TYPE_CHECKING:
    from lacompare.report._profile import MeasureRow

__all__ = ["MARKS", "MARK_KEY", "trend_figure", "year_mark", "years_table"]

#: The mark of a significantly higher or lower year, in tables and the key.
MARKS = {"above": "▲", "below": "▼"}
#: The key to the marks, under every year-by-year table.
MARK_KEY = (
    "▲ significantly higher, ▼ significantly lower than England that year (at the "
    "95% or 99.8% level shown), by the test the headline table uses: a rate whose "
    "population is known against funnel limits around England's rate, other "
    "measures by their z-score among authorities."
)


def year_mark(flag: Any, level: Any) -> str:
    """A year's verdict as a table prints it.

    Examples
    --------
    >>> year_mark("above", "95%"), year_mark("below", "99.8%")
    ('▲ Higher (95%)', '▼ Lower (99.8%)')
    >>> year_mark("within", "95%"), year_mark(None, None)
    ('Not significant', '–')
    """
    if flag in MARKS:
        word = "Higher" if flag == "above" else "Lower"
        return f"{MARKS[flag]} {word} ({level})" if level else f"{MARKS[flag]} {word}"
    return "Not significant" if flag == "within" else "–"


def _ordered(trend: pd.DataFrame) -> pd.DataFrame:
    """The trend's rows in period order (one per period)."""
    if not len(trend):
        return trend
    keyed = trend.assign(_k=trend["period"].astype(str).map(period_key))
    return keyed.sort_values("_k", kind="stable").drop(columns="_k")


def years_table(name: str, region: str, m: MeasureRow) -> ReportTable:
    """Every period of one measure: the authority (with its year's mark), its
    neighbours' average, region, England and the middle half of authorities."""
    t = _ordered(m.trend)

    def col(c: str) -> pd.Series:
        return t[c] if c in t.columns else pd.Series(None, index=t.index, dtype=object)

    reasons = [
        None if not pd.isna(v) else (r if r in MISSING_SYMBOLS else "not-available")
        for v, r in zip(col("value"), col("missing_reason"), strict=True)
    ]
    frame = pd.DataFrame(
        {
            "period": t["period"].astype(str).to_numpy(),
            "value": pd.to_numeric(col("value"), errors="coerce").to_numpy(),
            "value__missing": reasons,
            "mark": [
                year_mark(f, lv)
                for f, lv in zip(col("flag"), col("flag_level"), strict=True)
            ],
        }
    )
    figures = {
        "neighbours_mean": "Neighbours' average",
        "region_value": region or "Region",
        "england_value": "England",
        "quartile_low": "Lower quartile",
        "quartile_high": "Upper quartile",
    }
    for c in figures:
        frame[c] = pd.to_numeric(col(c), errors="coerce").to_numpy()
        frame[f"{c}__missing"] = missing_where(frame[c].isna(), "blank")
    rate = {"unit": m.spec.unit, "role": "rate", "decimals": m.decimals}
    return ReportTable(
        f"{m.spec.label}: {name} year by year",
        frame,
        [
            Column("period", "Period", role="label"),
            Column("value", name, **rate),
            Column("mark", "Significantly different", role="text"),
            *[Column(c, label, **rate) for c, label in figures.items()],
        ],
        notes=[
            MARK_KEY,
            "Lower and upper quartile: the middle half of the authorities ranked "
            "that year (the shaded band of the chart).",
        ],
        name=f"Years {m.spec.key}"[:31],
    )


def trend_figure(name: str, m: MeasureRow, *, zero: bool = False) -> Any:
    """The authority against its comparators over time, its significant years
    marked and the middle half of authorities shaded; ``zero``: axis from 0."""
    from lacompare.charts import trend_chart

    chart_rows = []
    for col, series in (
        ("value", name),
        ("neighbours_mean", "Statistical neighbours (mean)"),
        ("region_value", str(m.row.get("region") or "Region")),
        ("england_value", "England"),
    ):
        part = m.trend[["period", col]].dropna()
        chart_rows += [
            {"period": p, "series": series, "value": float(v)}
            for p, v in zip(part["period"], part[col], strict=True)
        ]
    cf = pd.DataFrame(chart_rows)
    t = m.trend
    marks = (
        dict(zip(t["period"].astype(str), t["flag"], strict=True))
        if "flag" in t.columns
        else {}
    )
    band = (
        t[["period", "quartile_low", "quartile_high"]]
        .rename(columns={"quartile_low": "low", "quartile_high": "high"})
        .dropna()
        if {"quartile_low", "quartile_high"} <= set(t.columns)
        else None
    )
    unit = m.spec.unit
    return trend_chart(
        cf,
        measure=m.spec.label + (f" ({unit})" if unit and unit != "persons" else ""),
        focus=name,
        order=list(dict.fromkeys(cf["series"])),
        number_format=d3_format(unit, m.decimals),
        zero=zero,
        marks=marks,
        band=band,
        mark_note=mark_note(m),
    )


def mark_note(m: MeasureRow) -> str:
    """What a marked year differs from, by the test its verdicts used: England's
    rate (funnel limits) or the other authorities (z-score)."""
    tests = m.trend["test"].dropna().astype(str) if "test" in m.trend else []
    funnel = [t.startswith("funnel") for t in tests]
    return "than England" if funnel and all(funnel) else "than other authorities"
