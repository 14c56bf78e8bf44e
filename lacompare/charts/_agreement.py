"""Predicted against actual: the 45° line of agreement, the biggest gaps named."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ._common import (
    Scale,
    auto_decimals,
    fmt_value,
    join_names,
    nice_domain,
    require_columns,
    titled_chart,
)
from ._relationship import _highlight, _label_layers, _points
from .theme import DARK_BLUE, DARK_GREY, DARK_PINK, FOCUS_GREY, MIN_FONT_SIZE, TEXT


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
        _add_intervals(frame, data, label, lower, upper, what)
    domain, dec = _shared_domain(frame, has_interval)
    fmt = number_format
    top = _largest_gaps(frame, fmt, dec, n_labels)
    scale = alt.Scale(domain=list(domain), nice=False, zero=False)
    layers = _agreement_layers(frame, domain, scale, measure, fmt, has_interval)
    if highlight is not None:
        layers.append(
            _highlight(frame, highlight, what, scale, scale, _pa_tip(measure))
        )
    named = [
        *([highlight] if highlight else []),
        *[nm for nm in top["name"] if nm != highlight],
    ]
    xs, ys = Scale(domain, size), Scale(domain, size, flip=True)
    diagonal = ((domain[0],) * 2, (domain[1],) * 2)
    layers += _label_layers(frame, named, xs, ys, scale, scale, highlight, diagonal)
    when = f", {period}" if period else ""
    # One short line each, so the subtitle never runs wider than the plot.
    subtitle = ["Above the dashed line: actual higher than predicted."]
    extra = ["Grey bars: prediction intervals."] if has_interval else []
    if highlight:
        extra.append(f"Orange diamond: {highlight}.")
    if extra:
        subtitle.append(" ".join(extra))
    return titled_chart(
        layers,
        width=size,
        height=size,
        title=title or f"Actual against predicted {measure}{when}",
        subtitle=subtitle,
        alt_text=_agreement_alt_text(
            frame, top, measure, when, fmt, dec, has_interval, highlight
        ),
    )


def _largest_gaps(
    frame: pd.DataFrame, fmt: str | None, dec: int, n_labels: int
) -> pd.DataFrame:
    """The ``n_labels`` authorities furthest from the line; every point's
    values as text and its ``kind`` (named among the largest gaps, or not)."""
    for column, name in (("x", "x_text"), ("y", "y_text"), ("gap", "gap_text")):
        frame[name] = [fmt_value(v, fmt, dec) for v in frame[column]]
    top = frame.reindex(frame["gap"].abs().sort_values(ascending=False).index).head(
        n_labels
    )
    frame["kind"] = np.where(
        frame["name"].isin(top["name"]), "Largest gaps (named)", "Other authorities"
    )
    return top


def _add_intervals(
    frame: pd.DataFrame,
    data: pd.DataFrame,
    label: str,
    lower: str,
    upper: str,
    what: str,
) -> None:
    """Each authority's prediction interval into ``lo`` and ``hi``."""
    require_columns(data, [lower, upper], what)
    bounds = data.loc[
        data[label].astype(str).isin(frame["name"]), [label, lower, upper]
    ]
    bounds = bounds.set_index(bounds[label].astype(str))
    frame["lo"] = frame["name"].map(pd.to_numeric(bounds[lower], errors="coerce"))
    frame["hi"] = frame["name"].map(pd.to_numeric(bounds[upper], errors="coerce"))


def _shared_domain(
    frame: pd.DataFrame, has_interval: bool
) -> tuple[tuple[float, float], int]:
    """One domain for both axes covering every value and interval, and the
    decimals that tell them apart."""
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
    return nice_domain(low, float(everything.max())), auto_decimals(everything)


def _pa_tip(measure: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("name:N", title="Authority"),
        alt.Tooltip("y_text:N", title=f"Actual {measure}"),
        alt.Tooltip("x_text:N", title=f"Predicted {measure}"),
        alt.Tooltip("gap_text:N", title="Actual minus predicted"),
    ]


def _agreement_layers(
    frame: pd.DataFrame,
    domain: tuple[float, float],
    scale: alt.Scale,
    measure: str,
    fmt: str | None,
    has_interval: bool,
) -> list[alt.Chart]:
    """The dashed 45° line (named where it leaves the plot), the intervals and
    the points, the largest gaps in another colour and shape."""
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
        layers.append(
            alt.Chart(frame.dropna(subset=["lo", "hi"]))
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
            tooltip=_pa_tip(measure),
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
    return layers


def _agreement_alt_text(
    frame: pd.DataFrame,
    top: pd.DataFrame,
    measure: str,
    when: str,
    fmt: str | None,
    dec: int,
    has_interval: bool,
    highlight: str | None,
) -> str:
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
    return text
