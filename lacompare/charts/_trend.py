"""How one authority compares through time: trend lines against its comparators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from lacompare.errors import InputError

from ._common import (
    Scale,
    auto_decimals,
    fmt_value,
    join_names,
    lines_or_text,
    nice_domain,
    numeric,
    require_columns,
    spread_1d,
    titled_chart,
    without_repeated_unit,
    wrap_text,
)
from .theme import (
    CATEGORICAL,
    FOCUS_GREY,
    HEIGHT,
    LABEL_SIZE,
    TEXT,
    WHITE,
    WIDTH,
)

#: Dash patterns for up to six series: solid first, then patterns that stay distinct
#: in greyscale print.
DASHES: tuple[tuple[int, ...], ...] = (
    (1, 0),
    (8, 4),
    (2, 3),
    (12, 3, 3, 3),
    (4, 2),
    (1, 5),
)
#: Point shapes in the same order, a third cue besides colour and dash.
SHAPES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle-up",
    "diamond",
    "cross",
    "triangle-down",
)
#: How a significant year is marked on the focus series, and its key's words.
SIGNIFICANCE_MARKS: dict[str, tuple[str, str]] = {
    "above": ("triangle-up", "Significantly higher"),
    "below": ("triangle-down", "Significantly lower"),
}
#: What the shaded band is, in its key.
BAND_LABEL = "Middle half of authorities"
#: Opacity of a series hidden by a click on its legend entry.
HIDDEN = 0.08
#: The legend's title where a click works (vega-embed); static drawings (SVG,
#: PNG, PDF: the PDF and XLSX reports, the published site) leave it out, see
#: :func:`without_click_hints`.
CLICK_HINT = "Click a name to hide or show it"


def without_click_hints(spec: Any) -> Any:
    """A chart spec for a static drawing: legend titles that say to click removed
    (a click means nothing in an SVG, PNG or PDF).

    Every static drawing goes through this (``lacompare.charts.export``); the
    spec vega-embed draws keeps the hint.

    Examples
    --------
    >>> spec = {"layer": [{"encoding": {"color": {"legend": {"title": CLICK_HINT,
    ...     "orient": "bottom"}}}}]}
    >>> without_click_hints(spec)["layer"][0]["encoding"]["color"]["legend"]
    {'title': None, 'orient': 'bottom'}
    >>> spec["layer"][0]["encoding"]["color"]["legend"]["title"] == CLICK_HINT
    True
    """
    if isinstance(spec, dict):
        out = {k: without_click_hints(v) for k, v in spec.items()}
        if out.get("title") == CLICK_HINT and "orient" in out:
            out["title"] = None
        return out
    if isinstance(spec, list):
        return [without_click_hints(v) for v in spec]
    return spec


def trend_chart(
    data: pd.DataFrame,
    *,
    measure: str,
    period: str = "period",
    value: str = "value",
    series: str = "series",
    focus: str | None = None,
    order: Sequence[str] | None = None,
    number_format: str | None = None,
    title: str | None = None,
    width: float = WIDTH,
    height: float = HEIGHT,
    zero: bool = False,
    marks: Mapping[str, str] | None = None,
    band: pd.DataFrame | None = None,
    mark_note: str = "than other authorities",
) -> alt.LayerChart:
    """Lines over time for an authority and its comparators, labelled at the end.

    Each series differs by colour, dash pattern and point shape, and is named at its
    last point (labels spaced so they never overlap) and in the legend below, where
    a click hides or shows it (a legend-bound selection).

    Parameters
    ----------
    data : pandas.DataFrame
        Long format: one row per series and period, with ``period`` (e.g. "2019-20"
        or 2020), ``series`` (e.g. "Leeds", "Statistical neighbours",
        "Yorkshire and The Humber", "England") and ``value``.
    measure : str
        What the value is, with its unit.
    period, value, series : str
        Column names.
    focus : str, optional
        The series drawn first and thickest (usually the authority); default the
        first series in ``order`` or in the data.
    order : sequence of str, optional
        Series order: sets colours, dashes and shapes (up to six series).
    number_format : str, optional
        d3-format string for the axis, labels and alt text.
    title : str, optional
        Default "{measure}, {first period} to {last period}".
    width, height : float
        Plot size in px (labels extend to the right of it).
    zero : bool
        Start the y axis at zero (default: fit the values).
    marks : mapping, optional
        ``period → 'above' | 'below'``: the focus series' significantly higher or
        lower years, each marked with a triangle (a key says what ``mark_note``).
    band : pandas.DataFrame, optional
        ``period, low, high``: the middle half of authorities, shaded.
    mark_note : str
        What the marks compare with, in the key ("Significantly higher …").

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "period": ["2022", "2023", "2024"] * 2,
    ...     "series": ["Leeds"] * 3 + ["England"] * 3,
    ...     "value": [80.0, 85.0, 89.0, 70.0, 71.0, 70.0],
    ... })
    >>> text = trend_chart(df, measure="CLA rate", marks={"2024": "above"})
    >>> print(text.description.split(": ")[1])  # doctest: +NORMALIZE_WHITESPACE
    Leeds rose from 80 to 89; England was 70 in 2022 and 70 in 2024. Leeds was
    significantly higher than other authorities in 2024.
    """
    frame, periods, names = _trend_frame(data, period, value, series, focus, order)
    valid = frame.dropna(subset=["value"])
    decimals, fmt = auto_decimals(valid["value"]), number_format
    shade = _band_frame(band, periods)
    span = pd.concat([valid["value"], shade["low"], shade["high"]]).dropna()
    domain = nice_domain(span.min(), span.max(), pad=0.08, include_zero=zero)
    frame["shown"] = [fmt_value(v, fmt, decimals) for v in frame["value"]]
    x, ys, y = _trend_axes(periods, domain, measure, fmt, height)
    colour, shown, fade = _series_toggle(names)
    lines, points = _trend_lines(frame, names, measure, x, y, colour)
    ends = _trend_ends(valid, names, periods, fmt, decimals)
    labels = _end_labels(ends, Scale(domain, height, flip=True), x, ys, colour)
    flagged = _marked_years(valid, names[0], marks or {}, mark_note)
    layers = (
        [_band_layer(shade, x, ys)] * bool(len(shade))
        + [c.encode(opacity=fade) for c in (lines.add_params(shown), points, labels)]
        + [_mark_layer(flagged, x, y, measure, fade)] * bool(len(flagged))
    )
    alt_text = _trend_alt_text(valid, names, periods, measure, fmt, decimals)
    return titled_chart(
        layers,
        width=width,
        height=height,
        title=title or f"{measure}, {periods[0]} to {periods[-1]}",
        alt_text=alt_text + _marks_alt_text(flagged, names[0], len(shade) > 0),
    ).resolve_scale(shape="independent")  # the marks' key apart from the series


def _end_labels(
    ends: pd.DataFrame, yscale: Scale, x: alt.X, ys: alt.Scale, colour: alt.Color
) -> alt.Chart:
    """Each series' name and last value at its end, spread so none overlap."""
    ends = ends.assign(label_y=_spread_ends(ends["value"], yscale))
    return (
        alt.Chart(ends)
        .mark_text(align="left", dx=10, fontSize=LABEL_SIZE, fontWeight="bold")
        .encode(
            x=x, y=alt.Y("label_y:Q", scale=ys), text=alt.Text("text:N"), color=colour
        )
    )


def _trend_axes(
    periods: list[str],
    domain: tuple[float, float],
    measure: str,
    fmt: str | None,
    height: float,
) -> tuple[alt.X, alt.Scale, alt.Y]:
    """The period axis, the value scale (a fixed domain) and the value axis."""
    x = alt.X(
        "period:O",
        sort=periods,
        title=None,
        scale=alt.Scale(domain=periods, type="point", padding=0.3),
        axis=alt.Axis(labelAngle=0, labelOverlap=True),
    )
    ys = alt.Scale(domain=list(domain), nice=False, zero=False)
    # A long measure name in lines no longer than the axis: Vega would widen
    # the chart's bounds to fit one long line, or cut it short.
    title = lines_or_text(wrap_text(without_repeated_unit(measure), height - 20))
    y = alt.Y(
        "value:Q", title=title, scale=ys, axis=alt.Axis(format=fmt or alt.Undefined)
    )
    return x, ys, y


def _series_toggle(
    names: list[str],
) -> tuple[alt.Color, alt.Parameter, alt.OpacityValue]:
    """The series' colours with a legend below, the selection that legend binds
    (every series shown at first, a click on a name hides or shows it) and the
    opacity that fades a hidden series."""
    colour = alt.Color(
        "series:N",
        scale=alt.Scale(domain=names, range=list(CATEGORICAL[: len(names)])),
        legend=alt.Legend(
            title=CLICK_HINT,
            orient="bottom",
            direction="horizontal",
            columns=2,
            labelLimit=0,
            symbolType="stroke",
            symbolStrokeWidth=3,
        ),
    )
    shown = alt.selection_point(
        fields=["series"],
        bind="legend",
        toggle="true",
        value=[{"series": n} for n in names],
    )
    # Channels are Altair's classes (alt.OpacityValue, alt.Text), not dicts or
    # shorthand text: encode() makes those into classes through Altair's
    # from_dict, which hashes every schema class's schema on each call (~6 ms;
    # vega/altair#3547), a fifth of drawing a profile's charts.
    fade = alt.OpacityValue(
        **alt.when(shown).then(alt.value(1)).otherwise(alt.value(HIDDEN))
    )
    return colour, shown, fade


def _band_frame(band: pd.DataFrame | None, periods: list[str]) -> pd.DataFrame:
    """The band's rows on the chart's periods (``period, low, high``)."""
    if band is None or not len(band):
        return pd.DataFrame({"period": [], "low": [], "high": []})
    require_columns(band, ["period", "low", "high"], "trend_chart band")
    out = pd.DataFrame(
        {
            "period": band["period"].astype(str),
            "low": numeric(band, "low", "trend_chart band"),
            "high": numeric(band, "high", "trend_chart band"),
        }
    ).dropna()
    out = out[out["period"].isin(periods)]
    out["band"] = BAND_LABEL
    return out


def _band_layer(shade: pd.DataFrame, x: alt.X, ys: alt.Scale) -> alt.Chart:
    """The middle half of authorities: a grey band with its own legend entry."""
    return (
        alt.Chart(shade)
        .mark_area(opacity=0.35, interpolate="linear")
        .encode(
            x=x,
            y=alt.Y("low:Q", scale=ys),
            y2=alt.Y2("high:Q"),
            # Fill, not colour: the series' colour scale stays one legend.
            fill=alt.Fill(
                "band:N",
                scale=alt.Scale(domain=[BAND_LABEL], range=[FOCUS_GREY]),
                legend=alt.Legend(
                    title=None, orient="bottom", symbolType="square", labelLimit=0
                ),
            ),
        )
    )


def _marked_years(
    valid: pd.DataFrame, focus: str, marks: Mapping[str, str], note: str
) -> pd.DataFrame:
    """The focus series' points in the years marked significant, with the key's
    words (``mark``) for each."""
    mine = valid[valid["series"] == focus].copy()
    mine["flag"] = mine["period"].astype(str).map(dict(marks))
    mine = mine[mine["flag"].isin(list(SIGNIFICANCE_MARKS))].copy()
    mine["mark"] = [f"{SIGNIFICANCE_MARKS[f][1]} {note}" for f in mine["flag"]]
    return mine


def _mark_layer(
    flagged: pd.DataFrame, x: alt.X, y: alt.Y, measure: str, fade: alt.OpacityValue
) -> alt.Chart:
    """Large triangles, outlined in the text colour, on the years marked; their
    key is a legend of its own (a shape scale independent of the series')."""
    used = dict(zip(flagged["flag"], flagged["mark"], strict=True))
    # Higher before lower in the key, whichever year comes first.
    shapes = {
        used[f]: SIGNIFICANCE_MARKS[f][0] for f in SIGNIFICANCE_MARKS if f in used
    }
    return (
        alt.Chart(flagged)
        .mark_point(size=240, filled=True, fill=WHITE, stroke=TEXT, strokeWidth=2)
        .encode(
            x=x,
            y=y,
            shape=alt.Shape(
                "mark:N",
                scale=alt.Scale(domain=list(shapes), range=list(shapes.values())),
                legend=alt.Legend(
                    title=None, orient="bottom", direction="vertical", labelLimit=0
                ),
            ),
            opacity=fade,
            tooltip=[
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("shown:N", title=measure),
                alt.Tooltip("mark:N", title="Significance"),
            ],
        )
    )


def _marks_alt_text(flagged: pd.DataFrame, focus: str, banded: bool) -> str:
    """The alt text's sentences on the marked years and the band."""
    out = []
    for flag, (_, words) in SIGNIFICANCE_MARKS.items():
        rows = flagged[flagged["flag"] == flag]
        if len(rows):
            note = rows["mark"].iloc[0].removeprefix(words).strip()
            out.append(
                f" {focus} was {words.lower()} {note} in "
                + join_names(list(rows["period"].astype(str)))
                + "."
            )
    if banded:
        out.append(
            " The shaded band is the middle half of authorities (lower to upper "
            "quartile)."
        )
    return "".join(out)


def _trend_frame(
    data: pd.DataFrame,
    period: str,
    value: str,
    series: str,
    focus: str | None,
    order: Sequence[str] | None,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The rows drawn (``period, series, value``), the periods in order and the
    series in order, the focus first; InputError for series it cannot draw."""
    what = "trend_chart"
    require_columns(data, [period, value, series], what)
    frame = pd.DataFrame(
        {
            "period": data[period],
            "series": data[series].astype(str),
            "value": numeric(data, value, what),
        }
    )
    periods = _period_order(frame["period"])
    frame["period"] = frame["period"].astype(str)
    names = list(order) if order is not None else list(dict.fromkeys(frame["series"]))
    unknown = sorted(set(frame["series"]) - set(names))
    if unknown:
        raise InputError(f"{what}: order leaves out series {join_names(unknown)}")
    if len(names) > len(DASHES):
        raise InputError(
            f"{what}: {len(names)} series; at most {len(DASHES)} stay distinguishable "
            "(show neighbours as one median series, or use ranked_bar_chart)"
        )
    if focus is not None:
        if focus not in names:
            raise InputError(f"{what}: focus {focus!r} is not a series in the data")
        names = [focus, *[n for n in names if n != focus]]
    if frame["value"].isna().all():
        raise InputError(f"{what}: no row has a value")
    return frame[frame["series"].isin(names)], periods, names


def _trend_lines(
    frame: pd.DataFrame,
    names: list[str],
    measure: str,
    x: alt.X,
    y: alt.Y,
    colour: alt.Color,
) -> tuple[alt.Chart, alt.Chart]:
    """The lines (the focus thickest, each its own dash) and their points (each
    its own shape, with a tooltip)."""
    tip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("shown:N", title=measure),
    ]
    dashes = [list(d) for d in DASHES[: len(names)]]
    base = alt.Chart(frame).encode(x=x, y=y, color=colour)
    lines = base.mark_line().encode(
        strokeDash=alt.StrokeDash(
            "series:N", scale=alt.Scale(domain=names, range=dashes), legend=None
        ),
        strokeWidth=alt.StrokeWidthValue(
            **alt.when(alt.datum.series == names[0])
            .then(alt.value(3.5))
            .otherwise(alt.value(2))
        ),
        detail=alt.Detail("series:N"),
    )
    points = base.mark_point(filled=True, size=55, opacity=1).encode(
        shape=alt.Shape(
            "series:N",
            scale=alt.Scale(domain=names, range=list(SHAPES[: len(names)])),
            legend=None,
        ),
        tooltip=tip,
    )
    return lines, points


def _trend_ends(
    valid: pd.DataFrame,
    names: list[str],
    periods: list[str],
    fmt: str | None,
    decimals: int,
) -> pd.DataFrame:
    """Each series' last value, in series order, with its label text."""
    last = valid.assign(
        pos=valid["period"].astype(str).map({p: k for k, p in enumerate(periods)})
    )
    last = last.sort_values("pos").groupby("series").tail(1)
    last = (
        last.set_index("series")
        .loc[[n for n in names if n in set(last["series"])]]
        .reset_index()
    )
    last["text"] = [
        f"{s} {fmt_value(v, fmt, decimals)}"
        for s, v in zip(last["series"], last["value"], strict=True)
    ]
    last["period"] = last["period"].astype(str)
    return last


def _spread_ends(values: pd.Series, yscale: Scale) -> list[float]:
    """Heights for the end labels: at their values, spread apart so none overlap."""
    wanted = [yscale.px(v) for v in values]
    placed = spread_1d(wanted, gap=LABEL_SIZE + 3, lo=0, hi=yscale.pixels)
    return [yscale.value(p) for p in placed]


def _period_order(periods: pd.Series) -> list[str]:
    """Distinct periods as strings, numerically sorted when they are numbers."""
    distinct = list(dict.fromkeys(periods.dropna()))
    numbers = pd.to_numeric(pd.Series(distinct), errors="coerce")
    if numbers.notna().all():
        distinct = [d for _, d in sorted(zip(numbers, distinct, strict=True))]
    else:
        distinct = sorted(distinct, key=str)
    return [str(p) for p in distinct]


def _trend_alt_text(
    valid: pd.DataFrame,
    names: list[str],
    periods: list[str],
    measure: str,
    fmt: str | None,
    decimals: int,
) -> str:
    phrases = []
    for name in names:
        s = valid[valid["series"] == name].copy()
        if s.empty:
            phrases.append(f"{name} has no values")
            continue
        s["pos"] = s["period"].astype(str).map({p: k for k, p in enumerate(periods)})
        s = s.sort_values("pos")
        a, b = s.iloc[0], s.iloc[-1]
        va, vb = (
            fmt_value(a["value"], fmt, decimals),
            fmt_value(b["value"], fmt, decimals),
        )
        if len(s) == 1:
            phrases.append(f"{name} was {va} in {a['period']}")
        elif va == vb:
            phrases.append(
                f"{name} was {va} in {a['period']} and {vb} in {b['period']}"
            )
        else:
            verb = "rose" if b["value"] > a["value"] else "fell"
            span = (
                ""
                if (a["period"], b["period"]) == (periods[0], periods[-1])
                else f" ({a['period']} to {b['period']})"
            )
            phrases.append(f"{name} {verb} from {va} to {vb}{span}")
    return (
        f"Line chart of {measure}, {periods[0]} to {periods[-1]}: "
        + "; ".join(phrases)
        + "."
    )
