"""Distributions: box plots by group with outliers named, and histograms."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from lacompare.errors import InputError

from ._common import (
    Scale,
    auto_decimals,
    fmt_value,
    highlight_marker,
    highlighted_row,
    join_names,
    nice_domain,
    numeric,
    require_columns,
    text_width,
    titled_chart,
)
from ._quantiles import box_stats
from .theme import (
    DARK_BLUE,
    DARK_GREY,
    DARK_PINK,
    LIGHT_BLUE,
    MIN_FONT_SIZE,
    ORANGE,
    TEXT,
    WHITE,
    WIDTH,
)

#: Height given to each group's row of the box plot, in px.
BOX_STEP = 46
_BOX_THICKNESS = 16
# Labels sit in the band above or below the box, clear of the whisker caps.
_LABEL_OFFSET = _BOX_THICKNESS / 2 + 8


def box_chart(
    data: pd.DataFrame,
    *,
    measure: str,
    value: str = "value",
    group: str = "region",
    label: str = "la_name",
    period: str | None = None,
    order: Sequence[str] | None = None,
    group_title: str | None = None,
    highlight: str | None = None,
    number_format: str | None = None,
    title: str | None = None,
    width: float = WIDTH,
) -> alt.LayerChart:
    """Horizontal box plots of a measure by group, every outlier named.

    Quartiles, whiskers and outliers come from :func:`box_stats` (Tukey: whiskers
    reach the furthest values within 1.5 interquartile ranges of the box; values
    beyond are outliers), computed here rather than by Vega so the labels name exactly
    the authorities outside the whiskers. Labels alternate above and below a row and
    are spaced so they do not overlap.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per authority: ``value`` (number; missing values are left out),
        ``group`` (e.g. region) and ``label`` (authority name).
    measure : str
        What the value is, with its unit (e.g. "CLA rate per 10,000 children").
    value, group, label : str
        Column names.
    period : str, optional
        Shown in the title and alt text.
    order : sequence of str, optional
        Groups from top to bottom; default highest median first.
    group_title : str, optional
        What the groups are, for the alt text (default: the ``group`` column name).
    highlight : str, optional
        An authority (``label`` value) to mark with an orange diamond.
    number_format : str, optional
        d3-format string for the axis, tooltips and alt text.
    title : str, optional
        Default "{measure} by {group_title}, {period}".
    width : float
        Plot width in px.

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "la_name": ["Leeds", "York", "Hull", "Bradford", "Wakefield", "Barnsley"],
    ...     "region": ["Yorkshire and The Humber"] * 6,
    ...     "value": [60.0, 62.0, 64.0, 66.0, 68.0, 130.0],
    ... })
    >>> chart = box_chart(df, measure="CLA rate per 10,000")
    >>> "1 outlier labelled: Barnsley (130)" in chart.description
    True
    """
    what = "box_chart"
    require_columns(data, [value, group, label], what)
    frame = data[[label, group]].copy()
    frame["value"] = numeric(data, value, what)
    frame[group] = frame[group].astype(str)
    frame = frame.dropna(subset=["value"])
    if frame.empty:
        raise InputError(f"{what}: no row has a value")
    stats = box_stats(frame, "value", group)
    if order is None:
        order = stats.sort_values("median", ascending=False)[group].tolist()
    else:
        order = [g for g in order if g in set(stats[group])]
        missing = sorted(set(stats[group]) - set(order))
        if missing:
            raise InputError(f"{what}: order leaves out groups {join_names(missing)}")
    stats = stats.set_index(group).loc[order].reset_index()
    stats["row"] = [f"{g} ({n})" for g, n in zip(stats[group], stats["n"], strict=True)]
    row_of = dict(zip(stats[group], stats["row"], strict=True))
    frame["row"] = frame[group].map(row_of)
    fences = stats.set_index(group)[["lower_fence", "upper_fence"]]
    lo_f = frame[group].map(fences["lower_fence"])
    hi_f = frame[group].map(fences["upper_fence"])
    outliers = frame[(frame["value"] < lo_f) | (frame["value"] > hi_f)].copy()
    decimals = auto_decimals(frame["value"])
    fmt = number_format

    domain = nice_domain(float(frame["value"].min()), float(frame["value"].max()))
    xscale = Scale(domain, width)
    outliers = _place_box_labels(outliers, xscale, width)
    height = BOX_STEP * len(stats)
    rows = [str(r) for r in stats["row"]]
    y = alt.Y(
        "row:N",
        sort=rows,
        title=None,
        scale=alt.Scale(domain=rows, paddingInner=0, paddingOuter=0),
        axis=alt.Axis(labelFontSize=MIN_FONT_SIZE + 1, ticks=False, domain=False),
    )
    axis_format = fmt or alt.Undefined
    xscale_spec = alt.Scale(domain=list(domain), nice=False, zero=False)

    def x(field: str) -> alt.X:
        return alt.X(
            f"{field}:Q",
            title=measure,
            scale=xscale_spec,
            axis=alt.Axis(grid=True, format=axis_format),
        )

    for col in ("q1", "median", "q3", "whisker_low", "whisker_high"):
        stats[f"{col}_text"] = [fmt_value(v, fmt, decimals) for v in stats[col]]
    tip = [
        alt.Tooltip(f"{group}:N", title=group_title or group),
        alt.Tooltip("n:Q", title="Authorities"),
        alt.Tooltip("whisker_low_text:N", title="Lowest (within whisker)"),
        alt.Tooltip("q1_text:N", title="Lower quartile"),
        alt.Tooltip("median_text:N", title="Median"),
        alt.Tooltip("q3_text:N", title="Upper quartile"),
        alt.Tooltip("whisker_high_text:N", title="Highest (within whisker)"),
    ]
    base = alt.Chart(stats).encode(y=y)
    whiskers = base.mark_rule(color=DARK_GREY, strokeWidth=1.5).encode(
        x=x("whisker_low"), x2="whisker_high:Q", tooltip=tip
    )
    caps = [
        base.mark_tick(
            color=DARK_GREY, thickness=1.5, size=_BOX_THICKNESS * 0.7
        ).encode(x=x(end), tooltip=tip)
        for end in ("whisker_low", "whisker_high")
    ]
    box = base.mark_bar(
        size=_BOX_THICKNESS, color=LIGHT_BLUE, stroke=DARK_BLUE, strokeWidth=1
    ).encode(x=x("q1"), x2="q3:Q", tooltip=tip)
    median = base.mark_tick(color=DARK_BLUE, thickness=3, size=_BOX_THICKNESS).encode(
        x=x("median"), tooltip=tip
    )
    layers: list[alt.Chart] = [whiskers, *caps, box, median]
    if not outliers.empty:
        outliers["shown"] = [fmt_value(v, fmt, decimals) for v in outliers["value"]]
        otip = [
            alt.Tooltip(f"{label}:N", title="Authority"),
            alt.Tooltip(f"{group}:N", title=group_title or group),
            alt.Tooltip("shown:N", title=measure),
        ]
        layers.append(
            alt.Chart(outliers)
            .mark_point(
                shape="circle", filled=True, size=45, color=DARK_PINK, opacity=1
            )
            .encode(x=x("value"), y=y, tooltip=otip)
        )
        for side, dy in (("above", -_LABEL_OFFSET), ("below", _LABEL_OFFSET)):
            part = outliers[outliers["side"] == side]
            if part.empty:
                continue
            layers.append(
                alt.Chart(part)
                .mark_text(fontSize=MIN_FONT_SIZE, color=TEXT, dy=dy, baseline="middle")
                .encode(x=x("label_x"), y=y, text=f"{label}:N", tooltip=otip)
            )
    subtitle = [
        "Box: middle half of authorities; thick line: median; whiskers: furthest "
        "values within 1.5 × box length;",
        "dots: outliers beyond the whiskers, named. Number of authorities in brackets.",
    ]
    if highlight is not None:
        spot = highlighted_row(
            frame, label, highlight, what, "has no value in the data"
        )
        layers.append(
            highlight_marker(
                spot,
                size=110,
                x=x("value"),
                y=y,
                tooltip=[alt.Tooltip(f"{label}:N", title="Authority")],
            )
        )
        subtitle.append(f"Orange diamond: {highlight}.")
    when = f", {period}" if period else ""
    gt = group_title or group.replace("_", " ")
    return titled_chart(
        layers,
        width=width,
        height=height,
        title=title or f"{measure} by {gt}{when}",
        subtitle=subtitle,
        alt_text=_box_alt_text(
            stats,
            outliers,
            group,
            label,
            measure,
            gt,
            when,
            fmt,
            decimals,
            highlight,
            frame,
        ),
    )


def _place_box_labels(
    outliers: pd.DataFrame, xscale: Scale, width: float
) -> pd.DataFrame:
    """Give each outlier label a side (above/below its row) and an x clear of others."""
    out = outliers.sort_values(["row", "value"]).copy()
    sides, xs = [], []
    for _, part in out.groupby("row", sort=False):
        ends = {"above": -np.inf, "below": -np.inf}
        for name, v in zip(part.iloc[:, 0], part["value"], strict=True):
            w = text_width(str(name), MIN_FONT_SIZE)
            centre = min(max(xscale.px(v), w / 2), width - w / 2)
            # Prefer the side where the label fits at its point; else the side that
            # needs the smaller shift to the right.
            shift = {s: max(0.0, ends[s] + 4 - (centre - w / 2)) for s in ends}
            side = min(ends, key=lambda s: (shift[s], s != "above"))
            centre += shift[side]
            ends[side] = centre + w / 2
            sides.append(side)
            xs.append(xscale.value(centre))
    out["side"] = sides
    out["label_x"] = xs
    return out


def _box_alt_text(
    stats: pd.DataFrame,
    outliers: pd.DataFrame,
    group: str,
    label: str,
    measure: str,
    group_title: str,
    when: str,
    fmt: str | None,
    decimals: int,
    highlight: str | None,
    frame: pd.DataFrame,
) -> str:
    top = stats.loc[stats["median"].idxmax()]
    bottom = stats.loc[stats["median"].idxmin()]
    parts = [
        f"Box plot of {measure} by {group_title}{when}, {int(stats['n'].sum())} "
        f"authorities in {len(stats)} groups:",
        f"medians range from {fmt_value(bottom['median'], fmt, decimals)} "
        f"({bottom[group]}) to {fmt_value(top['median'], fmt, decimals)} "
        f"({top[group]});",
    ]
    if outliers.empty:
        parts.append("no outliers beyond 1.5 interquartile ranges.")
    else:
        named = [
            f"{n} ({fmt_value(v, fmt, decimals)})"
            for n, v in zip(outliers[label], outliers["value"], strict=True)
        ]
        k = len(named)
        parts.append(
            f"{k} outlier{'s' if k > 1 else ''} labelled: {join_names(named, 10)}."
        )
    if highlight is not None:
        v = frame.loc[frame[label] == highlight, "value"].iloc[0]
        parts.append(f"{highlight} is marked ({fmt_value(v, fmt, decimals)}).")
    return " ".join(parts)


def histogram_chart(
    data: pd.DataFrame,
    *,
    measure: str,
    value: str = "value",
    label: str = "la_name",
    period: str | None = None,
    bin_width: float | None = None,
    highlight: str | None = None,
    number_format: str | None = None,
    title: str | None = None,
    width: float = WIDTH,
    height: float = 280,
) -> alt.LayerChart:
    """Histogram of one value per authority, with the mean and median marked.

    Bins are computed here (``numpy.histogram_bin_edges`` with rounded edges unless
    ``bin_width`` is given) so the alt text can state the commonest band. The mean
    is a dashed line, the median a dotted one, each labelled in words.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per authority with ``value`` and ``label`` columns.
    measure : str
        What the value is, with its unit.
    value, label : str
        Column names.
    period : str, optional
        Shown in the title and alt text.
    bin_width : float, optional
        Width of each bar's band; default about 12 bands with round edges.
    highlight : str, optional
        An authority to mark with an orange line labelled by name.
    number_format : str, optional
        d3-format string for axis and text.
    title : str, optional
        Default "Distribution of {measure}, {period}".
    width, height : float
        Plot size in px.

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> df = pd.DataFrame({"la_name": list("abcdefgh"),
    ...                    "value": [1, 2, 2, 3, 3, 3, 4, 9]})
    >>> histogram_chart(df, measure="Change per 10,000", bin_width=1).description[:40]
    'Histogram of Change per 10,000 for 8 aut'
    """
    what = "histogram_chart"
    require_columns(data, [value, label], what)
    values = numeric(data, value, what)
    frame = pd.DataFrame({"name": data[label].astype(str), "value": values}).dropna()
    if frame.empty:
        raise InputError(f"{what}: no row has a value")
    v = frame["value"].to_numpy()
    if bin_width is None:
        lo, hi = nice_domain(float(v.min()), float(v.max()), pad=0)
        raw = (hi - lo) / 12
        magnitude = 10 ** np.floor(np.log10(raw)) if raw > 0 else 1.0
        bin_width = float(
            min(
                (m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw),
                default=raw,
            )
        )
    start = np.floor(v.min() / bin_width) * bin_width
    edges = np.arange(start, v.max() + bin_width, bin_width)
    if len(edges) < 2 or edges[-1] <= v.max():
        edges = np.append(edges, edges[-1] + bin_width)
    counts, edges = np.histogram(v, bins=edges)
    decimals = max(auto_decimals(v), _decimals_of(bin_width))
    fmt = number_format
    bins = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts})
    bins["band"] = [
        f"{fmt_value(a, fmt, decimals)} to under {fmt_value(b, fmt, decimals)}"
        for a, b in zip(bins["start"], bins["end"], strict=True)
    ]
    axis_format = fmt or alt.Undefined
    xs = alt.Scale(domain=[float(edges[0]), float(edges[-1])], nice=False, zero=False)
    # Ticks on the bar edges, so each bar's band can be read off the axis.
    ticks = [float(e) for e in edges] if len(edges) <= 16 else alt.Undefined
    x = alt.X(
        "start:Q",
        title=measure,
        scale=xs,
        axis=alt.Axis(format=axis_format, values=ticks),
    )
    ymax = int(counts.max())
    ys = alt.Scale(domain=[0, ymax * 1.1], nice=False)
    y = alt.Y(
        "count:Q",
        title="Number of authorities",
        scale=ys,
        axis=alt.Axis(tickMinStep=1, format="d"),
    )
    bars = (
        alt.Chart(bins)
        .mark_bar(color=DARK_BLUE, stroke="#FFFFFF", strokeWidth=1)
        .encode(
            x=x,
            x2="end:Q",
            y=y,
            y2=alt.datum(0),
            tooltip=[
                alt.Tooltip("band:N", title=measure),
                alt.Tooltip("count:Q", title="Authorities"),
            ],
        )
    )
    mean, median = float(v.mean()), float(np.median(v))
    refs = [
        (
            "mean",
            mean,
            f"Mean {fmt_value(mean, fmt, decimals)}",
            DARK_PINK,
            [6, 3],
            "normal",
        ),
        (
            "median",
            median,
            f"Median {fmt_value(median, fmt, decimals)}",
            DARK_PINK,
            [2, 2],
            "normal",
        ),
    ]
    spot_text = ""
    if highlight is not None:
        spot = highlighted_row(
            frame, "name", highlight, what, "has no value in the data"
        )
        hv = float(spot["value"].iloc[0])
        refs.append(
            (
                "highlight",
                hv,
                f"{highlight} {fmt_value(hv, fmt, decimals)}",
                ORANGE,
                [1, 0],
                "bold",
            )
        )
        share = float((v < hv).mean())
        spot_text = (
            f" {highlight} ({fmt_value(hv, fmt, decimals)}) is higher than {share:.0%} "
            "of authorities."
        )
    marks = pd.DataFrame(
        refs, columns=["key", "at", "what", "colour", "dash", "weight"]
    )
    # Reference lines are named in a legend that shows each line's colour and dash
    # (one legend: both channels share it): direct labels would cross each other
    # when the values are close.
    legend = alt.Legend(
        title=None, symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=300
    )

    def by_line(column: str) -> alt.Scale:
        return alt.Scale(domain=marks["what"].tolist(), range=marks[column].tolist())

    lines = (
        alt.Chart(marks)
        .mark_rule(strokeWidth=2.5)
        .encode(
            x=alt.X("at:Q", scale=xs),
            color=alt.Color("what:N", scale=by_line("colour"), legend=legend),
            strokeDash=alt.StrokeDash("what:N", scale=by_line("dash"), legend=legend),
        )
    )
    # A white casing under each line keeps it visible where it crosses a dark bar.
    casing = (
        alt.Chart(marks)
        .mark_rule(strokeWidth=6, color=WHITE)
        .encode(x=alt.X("at:Q", scale=xs))
    )
    when = f", {period}" if period else ""
    top = bins.loc[bins["count"].idxmax()]
    above = int((v > 0).sum())
    below = int((v < 0).sum())
    sign = (
        f" {above} authorities are above zero and {below} below."
        if v.min() < 0 < v.max()
        else ""
    )

    def f(x: float) -> str:
        return fmt_value(x, fmt, decimals)

    return titled_chart(
        [bars, casing, lines],
        width=width,
        height=height,
        title=title or f"Distribution of {measure}{when}",
        alt_text=f"Histogram of {measure} for {len(v)} authorities{when}: mean "
        f"{f(mean)}, median {f(median)}, range {f(v.min())} to {f(v.max())}; the "
        f"most common band is {top['band']} ({int(top['count'])} authorities)."
        f"{sign}{spot_text}",
    )


def _decimals_of(step: float) -> int:
    """Decimals needed to print multiples of ``step`` exactly (0 to 3)."""
    for d in range(4):
        if abs(round(step, d) - step) < 1e-9:
            return d
    return 3
