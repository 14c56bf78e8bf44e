"""Distributions by group: box plots with every outlier named."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    TEXT,
    WIDTH,
)

#: Height given to each group's row of the box plot, in px.
BOX_STEP = 46
#: The box plot's key, under its title.
BOX_KEY = (
    "Box: middle half of authorities; thick line: median; whiskers: furthest "
    "values within 1.5 × box length;",
    "dots: outliers beyond the whiskers, named. Number of authorities in brackets.",
)
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
    frame, stats = _box_stats(data, value, group, label, order, what)
    decimals, fmt = auto_decimals(frame["value"]), number_format
    domain = nice_domain(float(frame["value"].min()), float(frame["value"].max()))
    outliers = _place_box_labels(_outliers(frame, stats, group), domain, width)
    x, y = _value_axis(measure, domain, fmt), _row_axis(stats)
    layers = _box_layers(stats, group, group_title or group, fmt, decimals, x, y)
    if not outliers.empty:
        outliers["shown"] = [fmt_value(v, fmt, decimals) for v in outliers["value"]]
        layers += _outlier_layers(outliers, label, group, group_title, measure, x, y)
    subtitle = list(BOX_KEY)
    if highlight is not None:
        layers.append(_marked(frame, label, highlight, what, x("value"), y))
        subtitle.append(f"Orange diamond: {highlight}.")
    when = f", {period}" if period else ""
    gt = group_title or group.replace("_", " ")
    text = _box_alt_text(
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
    )
    return titled_chart(
        layers,
        width=width,
        height=BOX_STEP * len(stats),
        title=title or f"{measure} by {gt}{when}",
        subtitle=subtitle,
        alt_text=text,
    )


def _row_axis(stats: pd.DataFrame) -> alt.Y:
    """A row per group, named with its number of authorities."""
    rows = [str(r) for r in stats["row"]]
    return alt.Y(
        "row:N",
        sort=rows,
        title=None,
        scale=alt.Scale(domain=rows, paddingInner=0, paddingOuter=0),
        axis=alt.Axis(labelFontSize=MIN_FONT_SIZE + 1, ticks=False, domain=False),
    )


def _marked(
    frame: pd.DataFrame, label: str, highlight: str, what: str, x: alt.X, y: alt.Y
) -> alt.Chart:
    """The highlighted authority's diamond on its group's row."""
    spot = highlighted_row(frame, label, highlight, what, "has no value in the data")
    tooltip = [alt.Tooltip(f"{label}:N", title="Authority")]
    return highlight_marker(spot, size=110, x=x, y=y, tooltip=tooltip)


def _box_stats(
    data: pd.DataFrame,
    value: str,
    group: str,
    label: str,
    order: Sequence[str] | None,
    what: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The authorities with a value (``label, group, value, row``) and each
    group's box statistics (:func:`box_stats`) in the order drawn, with the row
    name it is drawn in (``"Region (n)"``)."""
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
    frame["row"] = frame[group].map(dict(zip(stats[group], stats["row"], strict=True)))
    return frame, stats


def _outliers(frame: pd.DataFrame, stats: pd.DataFrame, group: str) -> pd.DataFrame:
    """The authorities beyond their group's whiskers (Tukey's fences)."""
    fences = stats.set_index(group)[["lower_fence", "upper_fence"]]
    lo_f = frame[group].map(fences["lower_fence"])
    hi_f = frame[group].map(fences["upper_fence"])
    return frame[(frame["value"] < lo_f) | (frame["value"] > hi_f)].copy()


def _value_axis(
    measure: str, domain: tuple[float, float], fmt: str | None
) -> Callable[[str], alt.X]:
    """The x encoding of a field on the value scale, with the measure's axis."""
    axis_format = fmt or alt.Undefined
    xscale_spec = alt.Scale(domain=list(domain), nice=False, zero=False)

    def x(field: str) -> alt.X:
        return alt.X(
            f"{field}:Q",
            title=measure,
            scale=xscale_spec,
            axis=alt.Axis(grid=True, format=axis_format),
        )

    return x


def _box_layers(
    stats: pd.DataFrame,
    group: str,
    group_title: str,
    fmt: str | None,
    decimals: int,
    x: Callable[[str], alt.X],
    y: alt.Y,
) -> list[alt.Chart]:
    """Whiskers with their caps, the boxes and the medians, one tooltip for all."""
    for col in ("q1", "median", "q3", "whisker_low", "whisker_high"):
        stats[f"{col}_text"] = [fmt_value(v, fmt, decimals) for v in stats[col]]
    tip = [
        alt.Tooltip(f"{group}:N", title=group_title),
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
    return [whiskers, *caps, box, median]


def _outlier_layers(
    outliers: pd.DataFrame,
    label: str,
    group: str,
    group_title: str | None,
    measure: str,
    x: Callable[[str], alt.X],
    y: alt.Y,
) -> list[alt.Chart]:
    """The outliers as dots, each named above or below its row."""
    otip = [
        alt.Tooltip(f"{label}:N", title="Authority"),
        alt.Tooltip(f"{group}:N", title=group_title or group),
        alt.Tooltip("shown:N", title=measure),
    ]
    layers = [
        alt.Chart(outliers)
        .mark_point(shape="circle", filled=True, size=45, color=DARK_PINK, opacity=1)
        .encode(x=x("value"), y=y, tooltip=otip)
    ]
    for side, dy in (("above", -_LABEL_OFFSET), ("below", _LABEL_OFFSET)):
        part = outliers[outliers["side"] == side]
        if part.empty:
            continue
        layers.append(
            alt.Chart(part)
            .mark_text(fontSize=MIN_FONT_SIZE, color=TEXT, dy=dy, baseline="middle")
            .encode(x=x("label_x"), y=y, text=f"{label}:N", tooltip=otip)
        )
    return layers


def _place_box_labels(
    outliers: pd.DataFrame, domain: tuple[float, float], width: float
) -> pd.DataFrame:
    """Give each outlier label a side (above/below its row) and an x clear of others."""
    xscale = Scale(domain, width)
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
