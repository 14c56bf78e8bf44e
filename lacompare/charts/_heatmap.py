"""Heatmap of authorities by factors, each cell a quintile with its number printed."""

from __future__ import annotations

import json
from collections.abc import Sequence

import altair as alt
import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting import NO_FIGURE, missing_key_text

from ._common import (
    join_names,
    numeric,
    quintile_inks,
    require_columns,
    text_width,
    titled_chart,
)
from ._quantiles import quintiles
from .theme import LABEL_SIZE, ORANGE, QUINTILE_COLOURS, WHITE

#: Height of one authority's row, in px.
ROW_HEIGHT = 22
#: The legend's entry for a cell without a value: its symbol and meaning.
NO_VALUE_KEY = missing_key_text([None])


def heatmap_chart(
    data: pd.DataFrame,
    *,
    label: str = "la_name",
    factor: str = "factor",
    value: str = "value",
    factors: Sequence[str] | None = None,
    show: Sequence[str] | None = None,
    highlight: str | None = None,
    period: str | None = None,
    title: str | None = None,
    cell_width: float = 96,
) -> alt.LayerChart:
    """Authorities × factors, each cell shaded by quintile with the number printed.

    Quintiles are computed per factor across every authority in ``data`` (see
    :func:`quintiles`: 1 = lowest fifth, 5 = highest), then only the ``show``
    authorities are drawn, so a profile can show an authority and its neighbours
    placed among all authorities. The number in each cell carries the meaning;
    the shade repeats it.

    Parameters
    ----------
    data : pandas.DataFrame
        Long format: one row per authority and factor, with ``label`` (authority
        name), ``factor`` (e.g. "Deprivation") and ``value``.
    label, factor, value : str
        Column names.
    factors : sequence of str, optional
        Factor order, left to right (default: order of first appearance).
    show : sequence of str, optional
        Authorities to draw, top to bottom (default: all, in data order).
    highlight : str, optional
        An authority whose row is outlined in orange and named in bold.
    period : str, optional
        Shown in the title and alt text.
    title : str, optional
        Default "Where authorities sit on each factor: quintiles, {period}".
    cell_width : float
        Width of each factor's column in px.

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "la_name": ["Leeds", "York", "Hull", "Bradford", "Wakefield"] * 2,
    ...     "factor": ["Deprivation"] * 5 + ["Crime"] * 5,
    ...     "value": [30, 10, 40, 35, 20, 5, 1, 4, 3, 2],
    ... })
    >>> c = heatmap_chart(df, highlight="Leeds")
    >>> "Leeds: quintile 3 for Deprivation, 5 for Crime" in c.description
    True
    """
    what = "heatmap_chart"
    frame, order, counts = _heatmap_frame(data, label, factor, value, factors, what)
    names = list(show) if show is not None else list(dict.fromkeys(frame["name"]))
    missing = sorted(set(names) - set(frame["name"]))
    if missing:
        raise InputError(f"{what}: no rows for {join_names(missing)}")
    if highlight is not None and highlight not in names:
        raise InputError(
            f"{what}: highlight {highlight!r} is not among the authorities shown"
        )
    cells = _heatmap_cells(frame, names, order)
    bold = json.dumps([highlight] if highlight else [])
    y = alt.Y(
        "name:N",
        sort=names,
        title=None,
        axis=alt.Axis(
            ticks=False,
            domain=False,
            labelFontWeight=alt.ExprRef(
                f"indexof({bold}, datum.value) >= 0 ? 'bold' : 'normal'"
            ),
        ),
    )
    x = _factor_axis(order, cell_width)
    layers = _heatmap_layers(cells, x, y)
    if highlight is not None:
        layers.append(
            alt.Chart(cells[cells["name"] == highlight])
            .mark_rect(filled=False, stroke=ORANGE, strokeWidth=3)
            .encode(x=x, y=y)
        )
    when = f", {period}" if period else ""
    return titled_chart(
        layers,
        width=cell_width * len(order),
        height=ROW_HEIGHT * len(names),
        title=title or f"Where authorities sit on each factor: quintiles{when}",
        subtitle="1 = lowest fifth of authorities, 5 = highest fifth"
        + (f"; {highlight} outlined" if highlight else ""),
        alt_text=_alt_text(cells, order, names, counts, highlight, when),
    )


def _heatmap_frame(
    data: pd.DataFrame,
    label: str,
    factor: str,
    value: str,
    factors: Sequence[str] | None,
    what: str,
) -> tuple[pd.DataFrame, list[str], pd.Series]:
    """Every authority's value and quintile on each factor (``name, factor,
    value, quintile``), the factors in order, and how many authorities have a
    value for each."""
    require_columns(data, [label, factor, value], what)
    frame = pd.DataFrame(
        {
            "name": data[label].astype(str),
            "factor": data[factor].astype(str),
            "value": numeric(data, value, what),
        }
    )
    if frame.duplicated(["name", "factor"]).any():
        dup = frame[frame.duplicated(["name", "factor"])].iloc[0]
        raise InputError(
            f"{what}: more than one row for {dup['name']} and {dup['factor']}"
        )
    order = (
        list(factors) if factors is not None else list(dict.fromkeys(frame["factor"]))
    )
    unknown = sorted(set(order) - set(frame["factor"]))
    if unknown:
        raise InputError(f"{what}: no rows for factors {join_names(unknown)}")
    frame = frame[frame["factor"].isin(order)].copy()
    counts = frame.dropna(subset=["value"]).groupby("factor")["name"].nunique()
    frame["quintile"] = (
        frame.groupby("factor")["value"].transform(quintiles).astype("Int64")
    )
    return frame, order, counts


def _heatmap_cells(
    frame: pd.DataFrame, names: list[str], order: list[str]
) -> pd.DataFrame:
    """Every shown authority's cell for every factor, blank where it has no
    value: its number (the quintile, or the missing symbol), fill, ink and
    legend class."""
    grid = pd.MultiIndex.from_product(
        [names, order], names=["name", "factor"]
    ).to_frame(index=False)
    cells = grid.merge(frame, on=["name", "factor"], how="left")
    cells["text"] = cells["quintile"].map(
        lambda q: NO_FIGURE[0] if pd.isna(q) else str(int(q))
    )
    cells["fill"], cells["ink"] = quintile_inks(cells["quintile"])
    cells["q_label"] = cells["quintile"].map(
        lambda q: NO_VALUE_KEY if pd.isna(q) else _QUINTILE_WORDS[int(q)]
    )
    return cells


def _factor_axis(order: list[str], cell_width: float) -> alt.X:
    """The factors across the top, each name wrapped to its column."""
    wrapped = {f: _wrap(f, cell_width) for f in order}
    return alt.X(
        "factor:N",
        sort=order,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            ticks=False,
            domain=False,
            labelExpr=f"{json.dumps(wrapped)}[datum.value]",
            # Vega draws extra lines of a label downwards, into the cells; lift
            # every label by the extra lines so the names stay above the grid.
            labelLineHeight=LABEL_SIZE + 2,
            labelPadding=6
            + (max(len(w) for w in wrapped.values()) - 1) * (LABEL_SIZE + 2),
            labelFontSize=LABEL_SIZE,
            labelLimit=cell_width * 2,
        ),
    )


def _heatmap_layers(cells: pd.DataFrame, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """The shaded cells with their legend, and the numbers printed in them."""
    tip = [
        alt.Tooltip("name:N", title="Authority"),
        alt.Tooltip("factor:N", title="Factor"),
        alt.Tooltip("value:Q", title="Value", format=",.4~g"),
        alt.Tooltip("q_label:N", title="Quintile"),
    ]
    legend_domain = [_QUINTILE_WORDS[q] for q in range(1, 6)]
    blanks = bool(cells["quintile"].isna().any())
    base = alt.Chart(cells).encode(x=x, y=y)
    rects = base.mark_rect(stroke=WHITE, strokeWidth=2).encode(
        color=alt.Color(
            "q_label:N",
            scale=alt.Scale(
                domain=[*legend_domain, *([NO_VALUE_KEY] if blanks else [])],
                range=[*QUINTILE_COLOURS, *([WHITE] if blanks else [])],
            ),
            legend=alt.Legend(
                title="Quintile among all authorities",
                orient="bottom",
                direction="horizontal",
                columns=3,
                symbolType="square",
                symbolStrokeColor="#BFBFBF",
            ),
        ),
        tooltip=tip,
    )
    numbers = base.mark_text(fontSize=LABEL_SIZE, fontWeight="bold").encode(
        text="text:N", color=alt.Color("ink:N", scale=None), tooltip=tip
    )
    return [rects, numbers]


_QUINTILE_WORDS = {
    1: "1 (lowest fifth)",
    2: "2",
    3: "3",
    4: "4",
    5: "5 (highest fifth)",
}


def _wrap(text: str, width: float) -> list[str]:
    """Split a factor name into lines that fit a column."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}") <= width - 6:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [text]


def _alt_text(
    cells: pd.DataFrame,
    order: list[str],
    names: list[str],
    counts: pd.Series,
    highlight: str | None,
    when: str,
) -> str:
    total = int(counts.max()) if len(counts) else 0
    parts = [
        f"Heatmap of {len(names)} authorities by {len(order)} factors "
        f"({join_names(order, 8)}){when}: each cell shows the authority's quintile "
        f"for that factor among {total} authorities, 1 = lowest fifth, 5 = highest "
        "fifth, printed in the cell and shaded "
        "from light to dark blue."
    ]

    def row_text(name: str) -> str:
        row = cells[cells["name"] == name].set_index("factor")["text"]
        blank = NO_FIGURE[0]
        bits = [f"{'no value' if row[f] == blank else row[f]} for {f}" for f in order]
        bits[0] = ("quintile " + bits[0]) if row[order[0]] != blank else bits[0]
        return f"{name}: " + ", ".join(bits)

    if highlight is not None:
        parts.append(row_text(highlight) + ".")
    if len(names) <= 12:
        others = [n for n in names if n != highlight]
        if others:
            parts.append("; ".join(row_text(n) for n in others) + ".")
    else:
        for f in order:
            top = cells[(cells["factor"] == f) & (cells["text"] == "5")][
                "name"
            ].tolist()
            parts.append(f"{f}: {len(top)} of those shown in the highest fifth.")
    return " ".join(parts)
