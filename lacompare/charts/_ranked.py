"""How one authority ranks: every authority as a bar, it and its neighbours named."""

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
    chart_heading,
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
    without_repeated_unit,
    wrap_text,
)
from .theme import (
    DARK_BLUE,
    FOCUS_GREY,
    MIN_FONT_SIZE,
    ORANGE,
    TEXT,
    WIDTH,
)


def ranked_bar_chart(
    data: pd.DataFrame,
    *,
    measure: str,
    value: str = "value",
    label: str = "la_name",
    authority: str | None = None,
    neighbours: Sequence[str] = (),
    england: float | None = None,
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
    drawn as a column chart with the highlighted bars named above them (with none
    highlighted, the highest and lowest). England's figure, when given, is a dashed
    line labelled with its value.

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
    england : float, optional
        England's figure, drawn as a labelled line (NaN or None: none).
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
    measure = without_repeated_unit(measure)
    england = _number_or_none(england)
    frame, no_value = _ranked_frame(
        data, value, label, authority, neighbours, highest_first
    )
    decimals = auto_decimals(frame["value"])
    fmt = number_format
    frame["shown"] = [fmt_value(v, fmt, decimals) for v in frame["value"]]
    values = [*frame["value"], *([england] if england is not None else [])]
    lo = min(0.0, float(min(values)))
    domain = nice_domain(lo, float(max(values)), pad=0.02, include_zero=True)
    when = f", {period}" if period else ""
    direction = "highest to lowest" if highest_first else "lowest to highest"
    heading = chart_heading(
        title or f"{measure}{when}: authorities ranked {direction}", width
    )
    line = _england_line(england, fmt, decimals)
    chart = _draw(
        frame, authority, domain, fmt, measure, (width, height), heading, line
    )
    alt_text = _ranked_alt_text(
        frame, measure, when, direction, authority, neighbours, no_value, fmt, decimals
    )
    if line is not None:
        alt_text += f" A dashed line marks {line['text'].iloc[0]}."
    describe(chart, alt_text)
    return chart


def _draw(
    frame: pd.DataFrame,
    authority: str | None,
    domain: tuple[float, float],
    fmt: str | None,
    measure: str,
    size: tuple[float, float],
    heading: alt.Title,
    line: pd.DataFrame | None,
) -> alt.LayerChart:
    """Rows (up to 40 authorities, every one named) or columns."""
    colour = _role_colours(frame, authority)
    tip = [
        alt.Tooltip("name:N", title="Authority"),
        alt.Tooltip("shown:N", title=measure),
        alt.Tooltip("rank:Q", title="Rank"),
    ]
    axis_format = fmt or alt.Undefined
    if len(frame) <= 40:
        return _ranked_rows(
            frame, domain, colour, tip, axis_format, measure, size[0], heading, line
        )
    return _ranked_columns(
        frame, domain, colour, tip, axis_format, measure, size, heading, line
    )


def _number_or_none(value: object) -> float | None:
    """A figure as a float; None for None, NaN or a publisher's symbol."""
    number = pd.to_numeric(pd.Series([value], dtype=object), errors="coerce")
    return float(number.iloc[0]) if number.notna().iloc[0] else None


def _england_line(
    england: float | None, fmt: str | None, decimals: int
) -> pd.DataFrame | None:
    """The row the England line and its label are drawn from (None: no line)."""
    if england is None:
        return None
    text = f"England {fmt_value(england, fmt, decimals)}"
    return pd.DataFrame({"value": [england], "text": [text]})


def _ranked_frame(
    data: pd.DataFrame,
    value: str,
    label: str,
    authority: str | None,
    neighbours: Sequence[str],
    highest_first: bool,
) -> tuple[pd.DataFrame, list[str]]:
    """The authorities with a value in rank order (``name, value, rank, role``)
    and the names of those without; InputError for a name given twice or a
    highlight not in the data."""
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
    from lacompare.derive import rank_with_polarity

    # The one ranking rule: ties share the best rank; rank 1 the highest value
    # (as a neutral measure ranks) or, lowest first, as higher-is-worse ranks.
    polarity = "neutral" if highest_first else "higher-is-worse"
    frame["rank"] = rank_with_polarity(frame["value"], polarity).astype(int)
    frame = frame.sort_values(["rank", "name"]).reset_index(drop=True)
    frame["role"] = [
        "authority"
        if n == authority
        else "neighbour"
        if n in set(neighbours)
        else "other"
        for n in frame["name"]
    ]
    return frame, no_value


def _role_colours(frame: pd.DataFrame, authority: str | None) -> alt.Color:
    """Orange for the authority, dark blue its neighbours, grey the rest (the AF
    focus palette); sets each row's ``role_name`` for the legend."""
    roles = ["authority", "neighbour", "other"]
    role_names = [
        authority or "Selected authority",
        "Statistical neighbours",
        "Other authorities",
    ]
    present = [r for r in roles if (frame["role"] == r).any()]
    inks = {"authority": ORANGE, "neighbour": DARK_BLUE, "other": FOCUS_GREY}
    frame["role_name"] = frame["role"].map(dict(zip(roles, role_names, strict=True)))
    return alt.Color(
        "role_name:N",
        scale=alt.Scale(
            domain=[role_names[roles.index(r)] for r in present],
            range=[inks[r] for r in present],
        ),
        legend=alt.Legend(title=None) if len(present) > 1 else None,
    )


def _ranked_rows(
    frame: pd.DataFrame,
    domain: tuple[float, float],
    colour: alt.Color,
    tip: list[alt.Tooltip],
    axis_format: str | UndefinedType,
    measure: str,
    width: float,
    title: alt.Title,
    england: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """Horizontal bars, every authority named; highlighted rows tagged in words;
    England's figure a dashed vertical line named at its top."""
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
    x = alt.X(
        "value:Q",
        title=_lines(wrap_text(measure, plot, MIN_FONT_SIZE + 2)),
        scale=xs,
        axis=alt.Axis(format=axis_format),
    )
    base = alt.Chart(frame).encode(y=y)
    bars = base.mark_bar(height={"band": 0.75}).encode(x=x, color=colour, tooltip=tip)
    text = base.mark_text(
        align="left", dx=4, fontSize=MIN_FONT_SIZE, color=TEXT
    ).encode(x=alt.X("value:Q", scale=xs), text=alt.Text("tag:N"))
    layers: list[alt.Chart] = [bars, text]
    if england is not None:
        rule = alt.Chart(england).encode(x=alt.X("value:Q", scale=xs))
        layers += [
            rule.mark_rule(color=TEXT, strokeDash=[4, 3], strokeWidth=1.2),
            rule.mark_text(
                align="left",
                baseline="bottom",
                dx=3,
                y=-2,
                fontSize=MIN_FONT_SIZE,
                fontWeight="bold",
                color=TEXT,
            ).encode(text=alt.Text("text:N")),
        ]
    return layer_chart(layers, width=plot, height=alt.Step(18), title=title)


def _lines(lines: list[str]) -> str | list[str]:
    return lines[0] if len(lines) == 1 else lines


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
    size: tuple[float, float],
    title: alt.Title,
    england: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """Columns by rank; highlighted columns (with none, the highest and the
    lowest) named in vertical text above the bars; England's figure a dashed
    line across, named at its right end."""
    width, height = size
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
    if names.empty:
        # Nothing picked out: name the ends so the reader has a scale of names.
        names = frame.iloc[[0, -1]].copy()
        names["role"] = "neighbour"
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
        title=_lines(wrap_text(measure, height, MIN_FONT_SIZE + 2)),
        scale=ys,
        axis=alt.Axis(format=axis_format, values=_value_ticks(domain), domain=False),
    )
    bars = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("left:Q", scale=xs, title="Rank", axis=x_axis),
            x2=alt.X2("right:Q"),
            y=y,
            y2=alt.Y2Datum(0),
            color=colour,
            tooltip=tip,
        )
    )
    layers: list[alt.Chart] = [bars]
    if england is not None:
        rule = alt.Chart(england).encode(y=alt.Y("value:Q", scale=ys))
        layers += [
            rule.mark_rule(color=TEXT, strokeDash=[4, 3], strokeWidth=1.2),
            rule.mark_text(
                align="right",
                baseline="bottom",
                x=width,
                dy=-3,
                fontSize=MIN_FONT_SIZE,
                fontWeight="bold",
                color=TEXT,
            ).encode(text=alt.Text("text:N")),
        ]
    if not names.empty:
        layers += _column_names(names, n, domain, width, height, xs, ys)
    return layer_chart(layers, width=width, height=plot_h, title=title)


def _column_names(
    names: pd.DataFrame,
    n: int,
    domain: tuple[float, float],
    width: float,
    height: float,
    xs: alt.Scale,
    ys: alt.Scale,
) -> list[alt.Chart]:
    """The highlighted columns' names, in a row above the highest bar, spread so
    they do not overlap, each joined to its bar by a thin leader line."""
    top_value = domain[1]
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
    layers: list[alt.Chart] = [
        alt.Chart(names)
        .mark_rule(color=TEXT, strokeWidth=0.7)
        .encode(
            x=alt.X("position:Q", scale=xs),
            y=alt.Y(f"{start}:Q", scale=ys),
            **ends,
        )
        for start, ends in (
            ("bar_top", {"y2": alt.Y2("top:Q")}),
            ("top", {"x2": alt.X2("label_x:Q"), "y2": alt.Y2("label_y:Q")}),
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
                text=alt.Text("name:N"),
            )
        )
    return layers


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
