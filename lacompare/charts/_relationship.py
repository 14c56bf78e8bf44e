"""Relationships: scatter with fitted line and Spearman's r_s, predicted vs actual."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting import format_p

from ._common import (
    Scale,
    auto_decimals,
    fmt_value,
    highlight_marker,
    highlighted_row,
    nice_domain,
    numeric,
    place_labels,
    require_columns,
    titled_chart,
)
from .theme import (
    DARK_BLUE,
    DARK_PINK,
    MIN_FONT_SIZE,
    TEXT,
)


def strength(r: float) -> str:
    """Words for the size of a correlation coefficient (after common usage).

    Examples
    --------
    >>> strength(0.45), strength(-0.85), strength(0.05)
    ('moderate positive', 'very strong negative', 'negligible')
    """
    size = abs(r)
    if size < 0.1:
        return "negligible"
    word = (
        "very weak"
        if size < 0.2
        else "weak"
        if size < 0.4
        else "moderate"
        if size < 0.6
        else "strong"
        if size < 0.8
        else "very strong"
    )
    return f"{word} {'positive' if r > 0 else 'negative'}"


def _points(data: pd.DataFrame, x: str, y: str, label: str, what: str) -> pd.DataFrame:
    require_columns(data, [x, y, label], what)
    frame = pd.DataFrame(
        {
            "name": data[label].astype(str),
            "x": numeric(data, x, what),
            "y": numeric(data, y, what),
        }
    ).dropna()
    if len(frame) < 3:
        raise InputError(
            f"{what}: needs at least 3 authorities with both values, got {len(frame)}"
        )
    return frame.reset_index(drop=True)


def _highlight(
    frame: pd.DataFrame,
    highlight: str,
    what: str,
    x_scale: alt.Scale,
    y_scale: alt.Scale,
    tip: list[alt.Tooltip],
) -> alt.Chart:
    """The highlighted authority's point, drawn over the others."""
    spot = highlighted_row(frame, "name", highlight, what, "lacks one of the values")
    return highlight_marker(
        spot,
        size=130,
        opacity=1,
        x=alt.X("x:Q", scale=x_scale),
        y=alt.Y("y:Q", scale=y_scale),
        tooltip=tip,
    )


def _label_layers(
    frame: pd.DataFrame,
    names: Sequence[str],
    xs: Scale,
    ys: Scale,
    x_scale: alt.Scale,
    y_scale: alt.Scale,
    bold: str | None,
    line: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> list[alt.Chart]:
    """Text layers naming ``names``, placed beside their points without overlaps.

    Labels also keep off ``line`` (two data points: a fitted or reference line).
    """
    chosen = frame[frame["name"].isin(names)]
    if chosen.empty:
        return []
    pts = [(xs.px(a), ys.px(b)) for a, b in zip(chosen["x"], chosen["y"], strict=True)]
    others = [(xs.px(a), ys.px(b)) for a, b in zip(frame["x"], frame["y"], strict=True)]
    if line is not None:
        (ax, ay), (bx, by) = ((xs.px(p[0]), ys.px(p[1])) for p in line)
        steps = max(2, int(np.hypot(bx - ax, by - ay) / 6))
        others += [
            (ax + (bx - ax) * t, ay + (by - ay) * t) for t in np.linspace(0, 1, steps)
        ]
    spots = place_labels(
        pts,
        chosen["name"].tolist(),
        obstacles=others,
        width=xs.pixels,
        height=ys.pixels,
        size=MIN_FONT_SIZE,
    )
    placed = chosen.assign(
        lx=[xs.value(p[0]) for p in spots],
        ly=[ys.value(p[1]) for p in spots],
        align=[p[2] for p in spots],
        weight=["bold" if n == bold else "normal" for n in chosen["name"]],
    )
    layers = []
    for (align, weight), part in placed.groupby(["align", "weight"]):
        layers.append(
            alt.Chart(part)
            .mark_text(
                align=align,
                baseline="middle",
                fontSize=MIN_FONT_SIZE,
                fontWeight=weight,
                color=TEXT,
            )
            .encode(
                x=alt.X("lx:Q", scale=x_scale),
                y=alt.Y("ly:Q", scale=y_scale),
                text="name:N",
            )
        )
    return layers


def scatter_chart(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    x_title: str,
    y_title: str,
    label: str = "la_name",
    r_s: float | None = None,
    p: float | None = None,
    n: int | None = None,
    highlight: str | None = None,
    label_points: Sequence[str] = (),
    period: str | None = None,
    x_format: str | None = None,
    y_format: str | None = None,
    title: str | None = None,
    width: float = 460,
    height: float = 360,
) -> alt.LayerChart:
    """Scatter of two measures across authorities, an OLS line and Spearman's r_s.

    The caption under the title gives Spearman's rank correlation r_s with its p-value
    and n: the caller's, when a test was run elsewhere (so the chart shows the same
    numbers as the report's table), else computed here with
    ``scipy.stats.spearmanr`` on the authorities with both values. The straight
    line is an ordinary least squares fit of y on x.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per authority with ``label``, ``x`` and ``y`` columns.
    x, y : str
        Columns of the two measures.
    x_title, y_title : str
        The measures in words, with units (axis titles and alt text).
    label : str
        Column of authority names.
    r_s, p, n : optional
        Spearman's r_s, its p-value and the number of authorities, if computed
        elsewhere; give all three or none.
    highlight : str, optional
        An authority to draw as an orange diamond and name.
    label_points : sequence of str
        Other authorities to name beside their points.
    period : str, optional
        Shown in the title and alt text.
    x_format, y_format : str, optional
        d3-format strings for the axes and text.
    title : str, optional
        Default "{y_title} against {x_title}, {period}".
    width, height : float
        Plot size in px.

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> df = pd.DataFrame({"la_name": list("abcdef"),
    ...                    "idaci": [0.1, 0.15, 0.2, 0.25, 0.3, 0.35],
    ...                    "cla": [40.0, 55.0, 50.0, 70.0, 90.0, 85.0]})
    >>> c = scatter_chart(df, x="idaci", y="cla", x_title="IDACI score",
    ...                   y_title="CLA rate")
    >>> "r_s = 0.89" in c.description
    True
    """
    what = "scatter_chart"
    frame = _points(data, x, y, label, what)
    r_s, p, n = _spearman(frame, r_s, p, n, what)
    titles, formats = (x_title, y_title), (x_format, y_format)
    for axis, fmt in zip("xy", formats, strict=True):
        decimals = auto_decimals(frame[axis])
        frame[f"{axis}_text"] = [fmt_value(v, fmt, decimals) for v in frame[axis]]
    fit = _fitted_line(frame)
    layers = _scatter_layers(
        frame, fit, titles, formats, highlight, label_points, (width, height), what
    )
    when = f", {period}" if period else ""
    # Plain "rs": a subscript s is missing from common fonts and makes the
    # renderer fall back to another typeface for the whole line.
    caption = f"Spearman's rank correlation rs = {r_s:.2f}, {format_p(p)}, n = {n}."
    subtitle = [f"{caption} Line: least squares fit."]
    subtitle += [f"Orange diamond: {highlight}."] if highlight else []
    slope = _slope_text(frame, fit, x_title, formats)
    return titled_chart(
        layers,
        width=width,
        height=height,
        title=title or f"{y_title} against {x_title}{when}",
        subtitle=subtitle,
        alt_text=_scatter_alt_text(frame, titles, (r_s, p, n), when, slope, highlight),
    )


def _scatter_alt_text(
    frame: pd.DataFrame,
    titles: tuple[str, str],
    test: tuple[float, float, int],
    when: str,
    slope: str,
    highlight: str | None,
) -> str:
    (x_title, y_title), (r_s, p, n) = titles, test
    text = (
        f"Scatter plot of {y_title} against {x_title} for {len(frame)} "
        f"authorities{when}: "
        f"Spearman's rank correlation r_s = {r_s:.2f} ({format_p(p)}, n = {n}), a "
        f"{strength(r_s)} association; {slope}."
    )
    if highlight is not None:
        row = frame[frame["name"] == highlight].iloc[0]
        text += (
            f" {highlight} is marked ({x_title} {row['x_text']}, "
            f"{y_title} {row['y_text']})."
        )
    return text


def _spearman(
    frame: pd.DataFrame, r_s: float | None, p: float | None, n: int | None, what: str
) -> tuple[float, float, int]:
    """Spearman's r_s, p and n: the caller's, else computed on the points."""
    given = [r_s is not None, p is not None, n is not None]
    if any(given) and not all(given):
        raise InputError(f"{what}: give r_s, p and n together, or none to compute them")
    if r_s is None or p is None or n is None:
        from scipy.stats import spearmanr

        result = spearmanr(frame["x"], frame["y"])
        return float(result.statistic), float(result.pvalue), len(frame)
    return r_s, p, n


def _fitted_line(frame: pd.DataFrame) -> pd.DataFrame:
    """The least squares line of y on x at the ends of the data's range."""
    slope, intercept = np.polyfit(frame["x"], frame["y"], 1)
    x0, x1 = float(frame["x"].min()), float(frame["x"].max())
    return pd.DataFrame(
        {"x": [x0, x1], "y": [intercept + slope * x0, intercept + slope * x1]}
    )


def _slope_text(
    frame: pd.DataFrame,
    fit: pd.DataFrame,
    x_title: str,
    formats: tuple[str | None, str | None],
) -> str:
    """The fitted line described end to end, in the measures' own units."""
    xdec, ydec = auto_decimals(frame["x"]), auto_decimals(frame["y"])
    (x0, x1), (y0, y1) = (float(v) for v in fit["x"]), (float(v) for v in fit["y"])
    rises = "rises" if y1 >= y0 else "falls"
    return (
        f"the fitted line {rises} from {fmt_value(y0, formats[1], ydec)} at "
        f"{x_title} {fmt_value(x0, formats[0], xdec)} to "
        f"{fmt_value(y1, formats[1], ydec)} at {fmt_value(x1, formats[0], xdec)}"
    )


def _scatter_layers(
    frame: pd.DataFrame,
    fit: pd.DataFrame,
    titles: tuple[str, str],
    formats: tuple[str | None, str | None],
    highlight: str | None,
    label_points: Sequence[str],
    size: tuple[float, float],
    what: str,
) -> list[alt.Chart]:
    """The points, the fitted line (clipped to the plot), the highlighted
    authority and the names of the points to label."""
    xd = nice_domain(float(frame["x"].min()), float(frame["x"].max()))
    yd = nice_domain(float(frame["y"].min()), float(frame["y"].max()))
    xs, ys = Scale(xd, size[0]), Scale(yd, size[1], flip=True)
    x_scale = alt.Scale(domain=list(xd), nice=False, zero=False)
    y_scale = alt.Scale(domain=list(yd), nice=False, zero=False)
    tip = [
        alt.Tooltip("name:N", title="Authority"),
        alt.Tooltip("x_text:N", title=titles[0]),
        alt.Tooltip("y_text:N", title=titles[1]),
    ]
    xa = alt.Axis(tickCount=8, format=formats[0] or alt.Undefined)
    ya = alt.Axis(tickCount=8, format=formats[1] or alt.Undefined)
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=42, opacity=0.75, color=DARK_BLUE)
        .encode(
            x=alt.X("x:Q", title=titles[0], scale=x_scale, axis=xa),
            y=alt.Y("y:Q", title=titles[1], scale=y_scale, axis=ya),
            tooltip=tip,
        )
    )
    line = (
        alt.Chart(fit)
        .mark_line(color=DARK_PINK, strokeWidth=2.5, clip=True)
        .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale))
    )
    layers: list[alt.Chart] = [points, line]
    if highlight is not None:
        layers.append(_highlight(frame, highlight, what, x_scale, y_scale, tip))
    named = [
        *([highlight] if highlight else []),
        *[nm for nm in label_points if nm != highlight],
    ]
    ends = tuple((float(a), float(b)) for a, b in zip(fit["x"], fit["y"], strict=True))
    layers += _label_layers(frame, named, xs, ys, x_scale, y_scale, highlight, ends)
    return layers
