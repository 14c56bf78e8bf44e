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
    join_names,
    nice_domain,
    numeric,
    place_labels,
    require_columns,
    titled_chart,
)
from .theme import (
    DARK_BLUE,
    DARK_GREY,
    DARK_PINK,
    FOCUS_GREY,
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
    given = [r_s is not None, p is not None, n is not None]
    if any(given) and not all(given):
        raise InputError(f"{what}: give r_s, p and n together, or none to compute them")
    if r_s is None or p is None or n is None:
        from scipy.stats import spearmanr

        result = spearmanr(frame["x"], frame["y"])
        r_s, p, n = float(result.statistic), float(result.pvalue), len(frame)
    slope, intercept = np.polyfit(frame["x"], frame["y"], 1)
    xd = nice_domain(float(frame["x"].min()), float(frame["x"].max()))
    yd = nice_domain(float(frame["y"].min()), float(frame["y"].max()))
    xs, ys = Scale(xd, width), Scale(yd, height, flip=True)
    x_scale = alt.Scale(domain=list(xd), nice=False, zero=False)
    y_scale = alt.Scale(domain=list(yd), nice=False, zero=False)
    xdec, ydec = auto_decimals(frame["x"]), auto_decimals(frame["y"])
    frame["x_text"] = [fmt_value(v, x_format, xdec) for v in frame["x"]]
    frame["y_text"] = [fmt_value(v, y_format, ydec) for v in frame["y"]]
    tip = [
        alt.Tooltip("name:N", title="Authority"),
        alt.Tooltip("x_text:N", title=x_title),
        alt.Tooltip("y_text:N", title=y_title),
    ]
    xa = alt.Axis(tickCount=8, format=x_format or alt.Undefined)
    ya = alt.Axis(tickCount=8, format=y_format or alt.Undefined)
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=42, opacity=0.75, color=DARK_BLUE)
        .encode(
            x=alt.X("x:Q", title=x_title, scale=x_scale, axis=xa),
            y=alt.Y("y:Q", title=y_title, scale=y_scale, axis=ya),
            tooltip=tip,
        )
    )
    # The fitted line over the range of the data, clipped to the plot.
    x0, x1 = float(frame["x"].min()), float(frame["x"].max())
    fit = pd.DataFrame(
        {"x": [x0, x1], "y": [intercept + slope * x0, intercept + slope * x1]}
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
    ends = ((x0, float(fit["y"].iloc[0])), (x1, float(fit["y"].iloc[1])))
    layers += _label_layers(frame, named, xs, ys, x_scale, y_scale, highlight, ends)
    caption = (
        # Plain "rs": a subscript s is missing from common fonts and makes the
        # renderer fall back to another typeface for the whole line.
        f"Spearman's rank correlation rs = {r_s:.2f}, {format_p(p)}, n = {n}. "
        "Line: least squares fit."
    )
    when = f", {period}" if period else ""
    subtitle = [caption] + ([f"Orange diamond: {highlight}."] if highlight else [])
    # The fitted line described end to end, in the measures' own units.
    y0_text = fmt_value(float(fit["y"].iloc[0]), y_format, ydec)
    y1_text = fmt_value(float(fit["y"].iloc[1]), y_format, ydec)
    slope_text = (
        f"the fitted line {'rises' if slope >= 0 else 'falls'} from {y0_text} at "
        f"{x_title} {fmt_value(x0, x_format, xdec)} to {y1_text} at "
        f"{fmt_value(x1, x_format, xdec)}"
    )
    text = (
        f"Scatter plot of {y_title} against {x_title} for {len(frame)} "
        f"authorities{when}: "
        f"Spearman's rank correlation r_s = {r_s:.2f} ({format_p(p)}, n = {n}), a "
        f"{strength(r_s)} association; {slope_text}."
    )
    if highlight is not None:
        row = frame[frame["name"] == highlight].iloc[0]
        text += (
            f" {highlight} is marked ({x_title} {row['x_text']}, "
            f"{y_title} {row['y_text']})."
        )
    return titled_chart(
        layers,
        width=width,
        height=height,
        title=title or f"{y_title} against {x_title}{when}",
        subtitle=subtitle,
        alt_text=text,
    )


def predicted_actual_chart(
    data: pd.DataFrame,
    *,
    measure: str,
    predicted: str = "predicted",
    actual: str = "actual",
    label: str = "la_name",
    lower: str | None = None,
    upper: str | None = None,
    n_labels: int = 5,
    highlight: str | None = None,
    period: str | None = None,
    number_format: str | None = None,
    title: str | None = None,
    size: float = 420,
) -> alt.LayerChart:
    """Actual against predicted values, the 45° line of agreement, biggest gaps named.

    Points above the dashed line are authorities whose actual value exceeds the
    prediction. The ``n_labels`` authorities furthest from the line (largest
    ``|actual - predicted|``) are drawn in dark pink and named.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per authority with ``label``, ``predicted`` and ``actual``; optional
        ``lower``/``upper`` columns give a prediction interval for each authority,
        drawn as a grey vertical bar.
    measure : str
        What is predicted, with its unit (e.g. "Spend per child, £").
    predicted, actual, label, lower, upper : str
        Column names.
    n_labels : int
        How many of the largest gaps to name.
    highlight : str, optional
        An authority to draw as an orange diamond and name.
    period : str, optional
        Shown in the title and alt text.
    number_format : str, optional
        d3-format string for the axes and text (e.g. "$,.0f" for £).
    title : str, optional
        Default "Actual against predicted {measure}, {period}".
    size : float
        Width and height of the square plot in px.

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> df = pd.DataFrame({"la_name": list("abcde"),
    ...                    "predicted": [100.0, 120, 140, 160, 180],
    ...                    "actual": [110.0, 118, 190, 150, 182]})
    >>> c = predicted_actual_chart(df, measure="Spend per child", n_labels=1)
    >>> "Largest gap: c (actual 190, predicted 140, 50 above)" in c.description
    True
    """
    what = "predicted_actual_chart"
    frame = _points(data, predicted, actual, label, what)
    frame["gap"] = frame["y"] - frame["x"]
    has_interval = lower is not None and upper is not None
    if has_interval:
        require_columns(data, [lower, upper], what)
        bounds = data.loc[
            data[label].astype(str).isin(frame["name"]), [label, lower, upper]
        ]
        bounds = bounds.set_index(bounds[label].astype(str))
        frame["lo"] = frame["name"].map(pd.to_numeric(bounds[lower], errors="coerce"))
        frame["hi"] = frame["name"].map(pd.to_numeric(bounds[upper], errors="coerce"))
    values = [
        frame["x"],
        frame["y"],
        *([frame["lo"].dropna(), frame["hi"].dropna()] if has_interval else []),
    ]
    everything = pd.concat(values)
    low = float(everything.min())
    if low < 0 <= min(frame["x"].min(), frame["y"].min()):
        # An interval reaching below zero for a measure that cannot be negative is
        # clipped at the axis rather than stretching it.
        low = 0.0
    domain = nice_domain(low, float(everything.max()))
    xs, ys = Scale(domain, size), Scale(domain, size, flip=True)
    scale = alt.Scale(domain=list(domain), nice=False, zero=False)
    dec = auto_decimals(everything)
    fmt = number_format
    frame["x_text"] = [fmt_value(v, fmt, dec) for v in frame["x"]]
    frame["y_text"] = [fmt_value(v, fmt, dec) for v in frame["y"]]
    frame["gap_text"] = [fmt_value(v, fmt, dec) for v in frame["gap"]]
    top = frame.reindex(frame["gap"].abs().sort_values(ascending=False).index).head(
        n_labels
    )
    frame["kind"] = np.where(
        frame["name"].isin(top["name"]), "Largest gaps (named)", "Other authorities"
    )
    tip = [
        alt.Tooltip("name:N", title="Authority"),
        alt.Tooltip("y_text:N", title=f"Actual {measure}"),
        alt.Tooltip("x_text:N", title=f"Predicted {measure}"),
        alt.Tooltip("gap_text:N", title="Actual minus predicted"),
    ]
    axis = alt.Axis(tickCount=8, format=fmt or alt.Undefined)
    xenc = alt.X("x:Q", title=f"Predicted {measure}", scale=scale, axis=axis)
    yenc = alt.Y("y:Q", title=f"Actual {measure}", scale=scale, axis=axis)
    diag = pd.DataFrame({"x": list(domain), "y": list(domain)})
    layers: list[alt.Chart] = [
        alt.Chart(diag)
        .mark_line(color=DARK_GREY, strokeDash=[6, 4], strokeWidth=1.5)
        .encode(x=xenc, y=yenc)
    ]
    if has_interval:
        iv = frame.dropna(subset=["lo", "hi"])
        layers.append(
            alt.Chart(iv)
            .mark_rule(color=FOCUS_GREY, strokeWidth=2, clip=True)
            .encode(
                x=alt.X("x:Q", scale=scale), y=alt.Y("lo:Q", scale=scale), y2="hi:Q"
            )
        )
    kinds = ["Other authorities", "Largest gaps (named)"]
    layers.append(
        alt.Chart(frame)
        .mark_point(filled=True, size=45, opacity=0.85)
        .encode(
            x=xenc,
            y=yenc,
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=kinds, range=[DARK_BLUE, DARK_PINK]),
                legend=alt.Legend(title=None),
            ),
            shape=alt.Shape(
                "kind:N",
                scale=alt.Scale(domain=kinds, range=["circle", "square"]),
                legend=alt.Legend(title=None),
            ),
            tooltip=tip,
        )
    )
    # Name the 45° line where it leaves the plot, so the dash is explained in words.
    end = pd.DataFrame(
        {"x": [domain[1]], "y": [domain[1]], "t": ["Actual = predicted"]}
    )
    layers.append(
        alt.Chart(end)
        .mark_text(
            align="right", dx=-4, dy=-8, fontSize=MIN_FONT_SIZE, color=TEXT, angle=0
        )
        .encode(x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale), text="t:N")
    )
    if highlight is not None:
        layers.append(_highlight(frame, highlight, what, scale, scale, tip))
    named = [
        *([highlight] if highlight else []),
        *[nm for nm in top["name"] if nm != highlight],
    ]
    layers += _label_layers(
        frame,
        named,
        xs,
        ys,
        scale,
        scale,
        highlight,
        ((domain[0],) * 2, (domain[1],) * 2),
    )
    when = f", {period}" if period else ""
    # One short line each, so the subtitle never runs wider than the plot.
    subtitle = ["Above the dashed line: actual higher than predicted."]
    extra = []
    if has_interval:
        extra.append("Grey bars: prediction intervals.")
    if highlight:
        extra.append(f"Orange diamond: {highlight}.")
    if extra:
        subtitle.append(" ".join(extra))
    above, below = int((frame["gap"] > 0).sum()), int((frame["gap"] < 0).sum())
    r2 = float(np.corrcoef(frame["x"], frame["y"])[0, 1] ** 2)
    gaps = [
        f"{r['name']} (actual {r['y_text']}, predicted {r['x_text']}, "
        f"{fmt_value(abs(r['gap']), fmt, dec)} {'above' if r['gap'] > 0 else 'below'})"
        for _, r in top.iterrows()
    ]
    text = (
        f"Scatter plot of actual against predicted {measure} for {len(frame)} "
        f"authorities{when}, with a dashed line where actual equals predicted: "
        f"{above} authorities are above it "
        f"(actual higher than predicted) and {below} below; the squared correlation of "
        f"predicted and actual is {r2:.2f}."
    )
    if gaps:
        text += f" Largest gap{'s' if len(gaps) > 1 else ''}: {join_names(gaps, 10)}."
    if has_interval:
        outside = frame[(frame["y"] < frame["lo"]) | (frame["y"] > frame["hi"])][
            "name"
        ].tolist()
        text += f" {len(outside)} authorities lie outside their prediction interval" + (
            f": {join_names(outside)}." if outside else "."
        )
    if highlight is not None:
        row = frame[frame["name"] == highlight].iloc[0]
        text += f" {highlight}: actual {row['y_text']}, predicted {row['x_text']}."
    return titled_chart(
        layers,
        width=size,
        height=size,
        title=title or f"Actual against predicted {measure}{when}",
        subtitle=subtitle,
        alt_text=text,
    )
