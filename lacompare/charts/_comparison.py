"""How one authority compares: trend lines against its comparators, ranked bars."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd
from altair.utils.schemapi import UndefinedType

from lacompare.errors import InputError

from ._common import (
    Scale,
    auto_decimals,
    describe,
    fmt_value,
    join_names,
    layer_chart,
    nice_domain,
    numeric,
    ordinal,
    require_columns,
    spread_1d,
    text_width,
    titled_chart,
)
from .theme import (
    CATEGORICAL,
    DARK_BLUE,
    FOCUS_GREY,
    HEIGHT,
    LABEL_SIZE,
    MIN_FONT_SIZE,
    ORANGE,
    TEXT,
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
) -> alt.LayerChart:
    """Lines over time for an authority and its comparators, labelled at the end.

    Each series differs by colour, dash pattern and point shape, and is named at its
    last point (labels spaced so they never overlap), so no legend is needed.

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
    >>> text = trend_chart(df, measure="CLA rate").description
    >>> text.split(": ")[1]
    'Leeds rose from 80 to 89; England was 70 in 2022 and 70 in 2024.'
    """
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
    focus = names[0]
    frame = frame[frame["series"].isin(names)]
    valid = frame.dropna(subset=["value"])
    if valid.empty:
        raise InputError(f"{what}: no row has a value")
    decimals = auto_decimals(valid["value"])
    fmt = number_format
    domain = nice_domain(
        float(valid["value"].min()), float(valid["value"].max()), pad=0.08
    )
    yscale = Scale(domain, height, flip=True)

    colours = list(CATEGORICAL[: len(names)])
    dashes = [list(d) for d in DASHES[: len(names)]]
    shapes = list(SHAPES[: len(names)])
    frame["shown"] = [fmt_value(v, fmt, decimals) for v in frame["value"]]
    axis_format = fmt or alt.Undefined
    x = alt.X(
        "period:O",
        sort=periods,
        title=None,
        scale=alt.Scale(domain=periods, type="point", padding=0.3),
        axis=alt.Axis(labelAngle=0, labelOverlap=True),
    )
    ys = alt.Scale(domain=list(domain), nice=False, zero=False)
    y = alt.Y("value:Q", title=measure, scale=ys, axis=alt.Axis(format=axis_format))
    colour = alt.Color(
        "series:N", scale=alt.Scale(domain=names, range=colours), legend=None
    )
    tip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("shown:N", title=measure),
    ]
    base = alt.Chart(frame).encode(x=x, y=y, color=colour)
    lines = base.mark_line().encode(
        strokeDash=alt.StrokeDash(
            "series:N", scale=alt.Scale(domain=names, range=dashes), legend=None
        ),
        strokeWidth=alt.when(alt.datum.series == focus)
        .then(alt.value(3.5))
        .otherwise(alt.value(2)),
        detail="series:N",
    )
    points = base.mark_point(filled=True, size=55, opacity=1).encode(
        shape=alt.Shape(
            "series:N", scale=alt.Scale(domain=names, range=shapes), legend=None
        ),
        tooltip=tip,
    )
    # Direct labels at each series' last value, spread apart vertically.
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
    wanted = [yscale.px(v) for v in last["value"]]
    placed = spread_1d(wanted, gap=LABEL_SIZE + 3, lo=0, hi=height)
    last["label_y"] = [yscale.value(p) for p in placed]
    last["period"] = last["period"].astype(str)
    labels = (
        alt.Chart(last)
        .mark_text(align="left", dx=10, fontSize=LABEL_SIZE, fontWeight="bold")
        .encode(
            x=x,
            y=alt.Y("label_y:Q", scale=ys),
            text="text:N",
            color=colour,
        )
    )
    first, final = periods[0], periods[-1]
    return titled_chart(
        [lines, points, labels],
        width=width,
        height=height,
        title=title or f"{measure}, {first} to {final}",
        alt_text=_trend_alt_text(valid, names, periods, measure, fmt, decimals),
    )


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


def ranked_bar_chart(
    data: pd.DataFrame,
    *,
    measure: str,
    value: str = "value",
    label: str = "la_name",
    authority: str | None = None,
    neighbours: Sequence[str] = (),
    period: str | None = None,
    highest_first: bool = True,
    number_format: str | None = None,
    title: str | None = None,
    width: float = WIDTH,
    height: float = 260,
) -> alt.LayerChart:
    """All authorities as bars in rank order; an authority and its neighbours stand out.

    The authority's bar is orange, its neighbours' dark blue, the rest grey (the AF
    focus palette); highlighted bars are also named in text, so colour is never the
    only cue. Up to 40 bars are drawn horizontally with every name and value; more are
    drawn as a column chart with only the highlighted bars named above them.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per authority with ``label`` (name) and ``value``. Rows without a
        value are left out and counted in the alt text.
    measure : str
        What the value is, with its unit.
    value, label : str
        Column names.
    authority : str, optional
        The authority to highlight (a ``label`` value).
    neighbours : sequence of str
        Its comparator authorities (``label`` values).
    period : str, optional
        Shown in the title and alt text.
    highest_first : bool
        Rank 1 is the highest value (default) or the lowest.
    number_format : str, optional
        d3-format string for axis and text.
    title : str, optional
        Default "{measure}, {period}: authorities ranked".
    width, height : float
        Plot size in px for the column layout (the bar layout sets its own height).

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> df = pd.DataFrame({"la_name": ["Leeds", "York", "Hull", "Bradford"],
    ...                    "value": [89.0, 45.0, 120.0, 95.0]})
    >>> chart = ranked_bar_chart(df, measure="CLA rate", authority="Leeds",
    ...                          neighbours=["Bradford"])
    >>> "Leeds ranks 3rd of 4 (89)" in chart.description
    True
    """
    what = "ranked_bar_chart"
    require_columns(data, [value, label], what)
    frame = pd.DataFrame(
        {"name": data[label].astype(str), "value": numeric(data, value, what)}
    )
    if frame["name"].duplicated().any():
        raise InputError(
            f"{what}: more than one row for "
            f"{frame.loc[frame['name'].duplicated(), 'name'].iloc[0]}"
        )
    no_value = frame[frame["value"].isna()]["name"].tolist()
    frame = frame.dropna(subset=["value"])
    if frame.empty:
        raise InputError(f"{what}: no row has a value")
    for name in [authority, *neighbours]:
        if name is not None and name not in set(frame["name"]) and name not in no_value:
            raise InputError(f"{what}: {name!r} is not in the data")
    frame["rank"] = (
        frame["value"].rank(method="min", ascending=not highest_first).astype(int)
    )
    frame = frame.sort_values(["rank", "name"]).reset_index(drop=True)
    frame["role"] = [
        "authority"
        if n == authority
        else "neighbour"
        if n in set(neighbours)
        else "other"
        for n in frame["name"]
    ]
    decimals = auto_decimals(frame["value"])
    fmt = number_format
    frame["shown"] = [fmt_value(v, fmt, decimals) for v in frame["value"]]
    roles = ["authority", "neighbour", "other"]
    role_names = [
        authority or "Selected authority",
        "Statistical neighbours",
        "Other authorities",
    ]
    present = [r for r in roles if (frame["role"] == r).any()]
    colour = alt.Color(
        "role_name:N",
        scale=alt.Scale(
            domain=[role_names[roles.index(r)] for r in present],
            range=[
                {"authority": ORANGE, "neighbour": DARK_BLUE, "other": FOCUS_GREY}[r]
                for r in present
            ],
        ),
        legend=alt.Legend(title=None) if len(present) > 1 else None,
    )
    frame["role_name"] = frame["role"].map(dict(zip(roles, role_names, strict=True)))
    tip = [
        alt.Tooltip("name:N", title="Authority"),
        alt.Tooltip("shown:N", title=measure),
        alt.Tooltip("rank:Q", title="Rank"),
    ]
    lo = min(0.0, float(frame["value"].min()))
    domain = nice_domain(lo, float(frame["value"].max()), pad=0.02, include_zero=True)
    axis_format = fmt or alt.Undefined
    when = f", {period}" if period else ""
    n = len(frame)
    direction = "highest to lowest" if highest_first else "lowest to highest"
    heading = alt.Title(title or f"{measure}{when}: authorities ranked {direction}")
    if n <= 40:
        chart = _ranked_rows(
            frame, domain, colour, tip, axis_format, measure, width, heading
        )
    else:
        chart = _ranked_columns(
            frame, domain, colour, tip, axis_format, measure, width, height, heading
        )
    describe(
        chart,
        _ranked_alt_text(
            frame,
            measure,
            when,
            direction,
            authority,
            neighbours,
            no_value,
            fmt,
            decimals,
        ),
    )
    return chart


def _ranked_rows(
    frame: pd.DataFrame,
    domain: tuple[float, float],
    colour: alt.Color,
    tip: list[alt.Tooltip],
    axis_format: str | UndefinedType,
    measure: str,
    width: float,
    title: alt.Title,
) -> alt.LayerChart:
    """Horizontal bars, every authority named; highlighted rows tagged in words."""
    tags = {"authority": "  (selected)", "neighbour": "  (neighbour)", "other": ""}
    frame = frame.assign(
        row=[f"{r}. {n}" for r, n in zip(frame["rank"], frame["name"], strict=True)],
        tag=[s + tags[r] for s, r in zip(frame["shown"], frame["role"], strict=True)],
    )
    rows = frame["row"].tolist()
    bold = frame.loc[frame["role"] == "authority", "row"].tolist()
    weight = (
        alt.ExprRef(f"indexof({_js_list(bold)}, datum.value) >= 0 ? 'bold' : 'normal'")
        if bold
        else "normal"
    )
    # Leave room to the right of the longest bar for its value and tag.
    longest = max(text_width(t, MIN_FONT_SIZE) for t in frame["tag"])
    plot = max(width - longest - 10, width * 0.5)
    xs = alt.Scale(domain=list(domain), nice=False, zero=True)
    y = alt.Y(
        "row:N",
        sort=rows,
        title=None,
        axis=alt.Axis(labelFontWeight=weight, ticks=False, domain=False),  # type: ignore[arg-type]
    )
    x = alt.X("value:Q", title=measure, scale=xs, axis=alt.Axis(format=axis_format))
    base = alt.Chart(frame).encode(y=y)
    bars = base.mark_bar(height={"band": 0.75}).encode(x=x, color=colour, tooltip=tip)
    text = base.mark_text(
        align="left", dx=4, fontSize=MIN_FONT_SIZE, color=TEXT
    ).encode(x=alt.X("value:Q", scale=xs), text="tag:N")
    return layer_chart([bars, text], width=plot, height=alt.Step(18), title=title)


def _js_list(items: list[str]) -> str:
    import json

    return json.dumps(items)


def _ranked_columns(
    frame: pd.DataFrame,
    domain: tuple[float, float],
    colour: alt.Color,
    tip: list[alt.Tooltip],
    axis_format: str | UndefinedType,
    measure: str,
    width: float,
    height: float,
    title: alt.Title,
) -> alt.LayerChart:
    """Columns by rank; highlighted columns named in vertical text above the bars."""
    n = len(frame)
    xs = alt.Scale(domain=[0.5, n + 0.5], nice=False, zero=False)
    x_axis = alt.Axis(values=_rank_ticks(n), format="d", grid=False)
    frame = frame.assign(
        position=np.arange(1, n + 1),
        left=np.arange(1, n + 1) - 0.45,
        right=np.arange(1, n + 1) + 0.45,
    )
    # Headroom above the tallest bar for the vertical names.
    names = frame[frame["role"] != "other"].copy()
    longest = max((text_width(t, MIN_FONT_SIZE) for t in names["name"]), default=0)
    label_room = longest + 16
    plot_h = height + label_room
    top_value = domain[1]
    ys = alt.Scale(
        domain=[domain[0], top_value + (top_value - domain[0]) * label_room / height],
        nice=False,
        zero=True,
    )
    # No axis line: it would run on up into the band kept for the names.
    y = alt.Y(
        "value:Q",
        title=measure,
        scale=ys,
        axis=alt.Axis(format=axis_format, values=_value_ticks(domain), domain=False),
    )
    bars = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("left:Q", scale=xs, title="Rank", axis=x_axis),
            x2="right:Q",
            y=y,
            y2=alt.datum(0),
            color=colour,
            tooltip=tip,
        )
    )
    layers: list[alt.Chart] = [bars]
    if not names.empty:
        # Names sit in a row above the highest bar, spread so they do not overlap,
        # each joined to its bar by a thin leader line.
        px = Scale((0.5, n + 0.5), width)
        wanted = [px.px(p) for p in names["position"]]
        placed = spread_1d(
            wanted,
            gap=MIN_FONT_SIZE + 3,
            lo=MIN_FONT_SIZE / 2,
            hi=width - MIN_FONT_SIZE / 2,
        )
        names["label_x"] = [px.value(p) for p in placed]
        names["label_y"] = top_value + (top_value - domain[0]) * 6 / height
        names["bar_top"] = names["value"].clip(lower=0)
        names["top"] = top_value
        # Each leader runs up from the bar's top, then across to its label.
        leaders = [
            alt.Chart(names)
            .mark_rule(color=TEXT, strokeWidth=0.7)
            .encode(
                x=alt.X("position:Q", scale=xs),
                y=alt.Y(f"{start}:Q", scale=ys),
                **ends,
            )
            for start, ends in (
                ("bar_top", {"y2": "top:Q"}),
                ("top", {"x2": "label_x:Q", "y2": "label_y:Q"}),
            )
        ]
        for role, weight in (("authority", "bold"), ("neighbour", "normal")):
            part = names[names["role"] == role]
            if part.empty:
                continue
            layers.append(
                alt.Chart(part)
                .mark_text(
                    angle=270,
                    align="left",
                    baseline="middle",
                    dx=2,
                    fontSize=MIN_FONT_SIZE,
                    fontWeight=weight,  # type: ignore[arg-type]
                    color=TEXT,
                )
                .encode(
                    x=alt.X("label_x:Q", scale=xs),
                    y=alt.Y("label_y:Q", scale=ys),
                    text="name:N",
                )
            )
        layers[1:1] = leaders
    return layer_chart(layers, width=width, height=plot_h, title=title)


def _rank_ticks(n: int) -> list[int]:
    step = 10 if n <= 60 else 25 if n <= 200 else 50
    return [1, *range(step, n + 1, step)] if n >= step else [1, n]


def _value_ticks(domain: tuple[float, float]) -> list[float]:
    lo, hi = domain
    span = hi - lo
    step = 10 ** np.floor(np.log10(span / 5))
    for mult in (1, 2, 2.5, 5, 10):
        if span / (step * mult) <= 6:
            step *= mult
            break
    start = np.ceil(lo / step) * step
    return [float(round(v, 10)) for v in np.arange(start, hi + step / 2, step)]


def _ranked_alt_text(
    frame: pd.DataFrame,
    measure: str,
    when: str,
    direction: str,
    authority: str | None,
    neighbours: Sequence[str],
    no_value: list[str],
    fmt: str | None,
    decimals: int,
) -> str:
    n = len(frame)
    top, bottom = frame.iloc[0], frame.iloc[-1]
    parts = [
        f"Ranked bar chart of {measure}{when}: {n} authorities from {direction}, "
        f"from {top['name']} ({top['shown']}) to {bottom['name']} ({bottom['shown']}); "
        f"median {fmt_value(float(frame['value'].median()), fmt, decimals)}."
    ]
    if authority is not None:
        row = frame[frame["name"] == authority]
        if row.empty:
            parts.append(f"{authority} has no value.")
        else:
            r = row.iloc[0]
            parts.append(
                f"{authority} ranks {ordinal(int(r['rank']))} of {n} ({r['shown']}), "
                "shown in orange and labelled."
            )
    nb = frame[frame["role"] == "neighbour"]
    if not nb.empty:
        first, last = nb.iloc[0], nb.iloc[-1]
        parts.append(
            f"Its {len(nb)} neighbours, in dark blue and labelled, rank from "
            f"{ordinal(int(first['rank']))} ({first['name']}, {first['shown']}) to "
            f"{ordinal(int(last['rank']))} ({last['name']}, {last['shown']})."
        )
    if no_value:
        parts.append(f"No value for {join_names(no_value)}.")
    return " ".join(parts)
