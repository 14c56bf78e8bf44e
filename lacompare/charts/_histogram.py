"""Distributions: a histogram of one value per authority, mean and median marked."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd

from lacompare.errors import InputError

from ._common import (
    auto_decimals,
    fmt_value,
    highlighted_row,
    nice_domain,
    numeric,
    require_columns,
    titled_chart,
)
from .theme import DARK_BLUE, DARK_PINK, ORANGE, WHITE, WIDTH


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
    edges, counts = _histogram_bins(v, bin_width)
    decimals = max(auto_decimals(v), _decimals_of(_bin_step(v, bin_width)))
    fmt = number_format

    def f(x: float) -> str:
        return fmt_value(x, fmt, decimals)

    bins = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts})
    bins["band"] = [
        f"{f(a)} to under {f(b)}"
        for a, b in zip(bins["start"], bins["end"], strict=True)
    ]
    xs = alt.Scale(domain=[float(edges[0]), float(edges[-1])], nice=False, zero=False)
    bars = _histogram_bars(bins, edges, measure, fmt, xs)
    marks, spot_text = _reference_marks(frame, v, highlight, what, f)
    when = f", {period}" if period else ""
    top = bins.loc[bins["count"].idxmax()]
    above, below = int((v > 0).sum()), int((v < 0).sum())
    sign = (
        f" {above} authorities are above zero and {below} below."
        if v.min() < 0 < v.max()
        else ""
    )
    return titled_chart(
        [bars, *_reference_lines(marks, xs)],
        width=width,
        height=height,
        title=title or f"Distribution of {measure}{when}",
        alt_text=f"Histogram of {measure} for {len(v)} authorities{when}: mean "
        f"{f(float(v.mean()))}, median {f(float(np.median(v)))}, range {f(v.min())} "
        f"to {f(v.max())}; the most common band is {top['band']} "
        f"({int(top['count'])} authorities).{sign}{spot_text}",
    )


def _bin_step(v: np.ndarray, bin_width: float | None) -> float:
    """The bars' width: ``bin_width``, else a round step giving about 12 bars."""
    if bin_width is not None:
        return bin_width
    lo, hi = nice_domain(float(v.min()), float(v.max()), pad=0)
    raw = (hi - lo) / 12
    magnitude = 10 ** np.floor(np.log10(raw)) if raw > 0 else 1.0
    return float(
        min(
            (m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw),
            default=raw,
        )
    )


def _histogram_bins(
    v: np.ndarray, bin_width: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """The bars' edges (on multiples of the step, covering every value) and counts."""
    step = _bin_step(v, bin_width)
    start = np.floor(v.min() / step) * step
    edges = np.arange(start, v.max() + step, step)
    if len(edges) < 2 or edges[-1] <= v.max():
        edges = np.append(edges, edges[-1] + step)
    counts, edges = np.histogram(v, bins=edges)
    return edges, counts


def _histogram_bars(
    bins: pd.DataFrame,
    edges: np.ndarray,
    measure: str,
    fmt: str | None,
    xs: alt.Scale,
) -> alt.Chart:
    """The bars, with ticks on their edges so each band reads off the axis."""
    ticks = [float(e) for e in edges] if len(edges) <= 16 else alt.Undefined
    x = alt.X(
        "start:Q",
        title=measure,
        scale=xs,
        axis=alt.Axis(format=fmt or alt.Undefined, values=ticks),
    )
    ymax = int(bins["count"].max())
    y = alt.Y(
        "count:Q",
        title="Number of authorities",
        scale=alt.Scale(domain=[0, ymax * 1.1], nice=False),
        axis=alt.Axis(tickMinStep=1, format="d"),
    )
    return (
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


def _reference_marks(
    frame: pd.DataFrame,
    v: np.ndarray,
    highlight: str | None,
    what: str,
    f: Callable[[float], str],
) -> tuple[pd.DataFrame, str]:
    """The mean, the median and the highlighted authority as reference lines
    (``key, at, what, colour, dash, weight``), and the alt text's sentence on
    the highlighted authority."""
    mean, median = float(v.mean()), float(np.median(v))
    refs = [
        ("mean", mean, f"Mean {f(mean)}", DARK_PINK, [6, 3], "normal"),
        ("median", median, f"Median {f(median)}", DARK_PINK, [2, 2], "normal"),
    ]
    spot_text = ""
    if highlight is not None:
        spot = highlighted_row(
            frame, "name", highlight, what, "has no value in the data"
        )
        hv = float(spot["value"].iloc[0])
        refs.append(("highlight", hv, f"{highlight} {f(hv)}", ORANGE, [1, 0], "bold"))
        share = float((v < hv).mean())
        spot_text = f" {highlight} ({f(hv)}) is higher than {share:.0%} of authorities."
    marks = pd.DataFrame(
        refs, columns=["key", "at", "what", "colour", "dash", "weight"]
    )
    return marks, spot_text


def _reference_lines(marks: pd.DataFrame, xs: alt.Scale) -> list[alt.Chart]:
    """Each reference line over a white casing (visible where it crosses a dark
    bar), named in a legend showing its colour and dash: direct labels would
    cross each other when the values are close."""
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
    casing = (
        alt.Chart(marks)
        .mark_rule(strokeWidth=6, color=WHITE)
        .encode(x=alt.X("at:Q", scale=xs))
    )
    return [casing, lines]


def _decimals_of(step: float) -> int:
    """Decimals needed to print multiples of ``step`` exactly (0 to 3)."""
    for d in range(4):
        if abs(round(step, d) - step) < 1e-9:
            return d
    return 3
