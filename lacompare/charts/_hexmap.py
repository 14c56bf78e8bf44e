"""Hex map of England's upper-tier authorities: one equal-sized hexagon each."""

from __future__ import annotations

import io
import math
import textwrap
from functools import cache
from importlib import resources

import altair as alt
import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting import NO_FIGURE, missing_key_text

from ._common import (
    auto_decimals,
    fmt_value,
    lines_or_text,
    numeric,
    quintile_inks,
    require_columns,
    titled_chart,
    without_repeated_unit,
    wrap_text,
)
from ._quantiles import quintiles
from .theme import (
    FOCUS_GREY,
    MIN_FONT_SIZE,
    ORANGE,
    QUINTILE_COLOURS,
    TEXT,
    WHITE,
)

#: A pointy-top hexagon in Vega's unit box (symbol paths are scaled by sqrt(size)).
HEX_PATH = "M0,-1L0.866,-0.5L0.866,0.5L0,1L-0.866,0.5L-0.866,-0.5Z"

_SQRT3_2 = math.sqrt(3) / 2
#: The legend's entry for an authority without a value: its symbol and meaning.
NO_VALUE_KEY = missing_key_text([None])
#: Room for the legend beside the map, in px: its title wraps inside it.
LEGEND_WIDTH = 240


@cache
def _recoded() -> dict[str, str]:
    """Former ONS code -> current code, where the area stayed the same authority.

    Codes a current authority lists as former (Barnsley, Sheffield) and predecessors
    with exactly one successor that has no other predecessor (Buckinghamshire,
    North Yorkshire, Somerset). Mergers and splits (BCP, Dorset, Cumbria,
    Northamptonshire) are not mapped: their values cannot stand for one hex.
    """
    from lacompare.geography import read_authorities

    reg = read_authorities()
    current = reg[reg["valid_to"] == ""]
    out = {
        old: rec.la_code
        for rec in current.itertuples(index=False)
        for old in rec.former_codes.split(";")
        if old
    }
    for rec in current.itertuples(index=False):
        before = [c for c in rec.predecessors.split(";") if c]
        if len(before) != 1:
            continue
        old = reg[reg["la_code"] == before[0]]
        if len(old) == 1 and [c for c in old["successors"].iloc[0].split(";") if c] == [
            rec.la_code
        ]:
            out[before[0]] = rec.la_code
    return out


@cache
def _layout() -> pd.DataFrame:
    text = (
        resources.files("lacompare.charts")
        .joinpath("data", "hex_layout.csv")
        .read_text(encoding="utf-8")
    )
    body = "".join(line for line in text.splitlines(True) if not line.startswith("# "))
    frame = pd.read_csv(
        io.StringIO(body), dtype={"la_code": str, "la_name": str, "abbr": str}
    )
    return frame.astype({"q": int, "r": int})


def read_hex_layout() -> pd.DataFrame:
    """The hex layout: one row per current upper-tier authority.

    Columns ``la_code`` (ONS code), ``la_name``, ``q`` (column) and ``r`` (row) of an
    odd-r offset grid of pointy-top hexagons: odd rows sit half a hex east, ``r = 0``
    is the southernmost row; ``abbr``, the three-letter label printed on each hex
    (curated; unique). How the file was made is in its ``# `` header lines.

    Returns
    -------
    pandas.DataFrame
        A copy, so callers may modify it.

    Examples
    --------
    >>> layout = read_hex_layout()
    >>> len(layout), layout["la_code"].is_unique
    (153, True)
    >>> layout.loc[layout["la_name"] == "Isles of Scilly", "la_code"].item()
    'E06000053'
    >>> layout.loc[layout["la_name"] == "Leeds", "abbr"].item()
    'LDS'
    """
    return _layout().copy()


def hex_map_chart(
    data: pd.DataFrame,
    *,
    measure: str,
    value: str = "value",
    code: str = "la_code",
    period: str | None = None,
    highlight: str | None = None,
    number_format: str | None = None,
    title: str | None = None,
    hex_size: float = 30,
    region_lines: bool = True,
) -> alt.LayerChart:
    """Hex map: each authority's value as one of five shades, labelled by abbreviation.

    Each hexagon prints the authority's three-letter abbreviation (the layout's
    ``abbr``); the legend names each fifth's range of values ("27–47").

    Parameters
    ----------
    data : pandas.DataFrame
        One row per authority: ``code`` (current ONS code, as in
        :func:`lacompare.geography.read_authorities`) and ``value``. Authorities
        without a row are drawn empty and counted in the alt text.
    measure : str
        What the value is, with its unit (e.g. "CLA rate per 10,000 children").
    value, code : str
        Column names.
    period : str, optional
        Shown in the title and alt text (e.g. "2024").
    highlight : str, optional
        ONS code of an authority to outline in orange and label by name.
    number_format : str, optional
        d3-format string for values in the legend and tooltip (e.g. ",.0f").
    title : str, optional
        Chart title; default "{measure}, {period}".
    hex_size : float
        Distance between neighbouring hexagon centres, in px.
    region_lines : bool
        Draw the boundaries between regions in the gaps between hexagons.

    Returns
    -------
    altair.LayerChart
        With ``description`` (alt text) set.

    Examples
    --------
    >>> layout = read_hex_layout()
    >>> data = pd.DataFrame({"la_code": layout["la_code"], "value": range(153)})
    >>> chart = hex_map_chart(data, measure="Test rate", period="2024")
    >>> chart.description.startswith("Hex map of Test rate, 2024")
    True
    """
    what = "hex_map_chart"
    measure = without_repeated_unit(measure)
    frame, dropped = _hex_values(data, value, code, what)
    decimals = auto_decimals(frame["value"])
    fmt = number_format
    labels = _hex_classes(frame, fmt, decimals)
    width, height = _hex_positions(frame, hex_size)
    x = alt.X(
        "px:Q", axis=None, scale=alt.Scale(domain=[-hex_size / 2, width - hex_size / 2])
    )
    y = alt.Y(
        "py:Q",
        axis=None,
        scale=alt.Scale(domain=[-hex_size / 2, height - hex_size / 2], reverse=True),
    )
    # Vega scales a custom symbol path by sqrt(size): a hexagon 2 units tall spans
    # sqrt(size) px, so this leaves a thin white gap between neighbours.
    size = (0.94 * hex_size / _SQRT3_2) ** 2
    layers = _hex_layers(frame, labels, measure, size, x, y)
    if region_lines:
        layers.insert(0, _region_lines(frame, hex_size, x, y))
    when = f", {period}" if period else ""
    subtitle = [
        "One hexagon per authority, labelled with its abbreviation and shaded by "
        "the fifth of authorities its value is in (darker = higher)."
        + (" Dark lines: region boundaries." if region_lines else "")
    ]
    if highlight is not None:
        layer, said = _highlight_layer(frame, highlight, size, x, y, what)
        layers.append(layer)
        subtitle.append(said)
    if dropped:  # named under the map, never left out silently
        layers, height = _with_note(layers, dropped, width, height, hex_size, x)
    return titled_chart(
        layers,
        width=float(width),
        height=float(height),
        title=title or f"{measure}{when}",
        subtitle=subtitle,
        # The legend sits to the right: the title may run above it.
        title_width=float(width) + LEGEND_WIDTH,
        alt_text=" ".join(
            [_alt_text(frame, measure, when, fmt, decimals, highlight)]
            + ([dropped_note(dropped)] if dropped else [])
        ),
    )


def _highlight_layer(
    frame: pd.DataFrame, highlight: str, size: float, x: alt.X, y: alt.Y, what: str
) -> tuple[alt.Chart, str]:
    """The orange outline of the highlighted authority, and the subtitle's line
    naming it (a label on the map would cover neighbouring hexes)."""
    if highlight not in set(frame["la_code"]):
        raise InputError(f"{what}: highlight {highlight!r} is not on the map")
    spot = frame[frame["la_code"] == highlight]
    layer = (
        alt.Chart(spot)
        .mark_point(
            shape=HEX_PATH, filled=False, size=size, stroke=ORANGE, strokeWidth=3
        )
        .encode(x=x, y=y)
    )
    return layer, f"Orange outline: {spot['la_name'].iloc[0]}."


def _with_note(
    layers: list,
    dropped: list[tuple[str, str]],
    width: float,
    height: float,
    hex_size: float,
    x: alt.X,
) -> tuple[list, float]:
    """The layers with :func:`dropped_note` printed under the map, and the
    map's new height."""
    lines = textwrap.wrap(dropped_note(dropped), max(40, int(width / 6.5)))
    spot = pd.DataFrame(
        {"px": [-hex_size / 2], "py": [height - hex_size / 2 + 6], "text": [lines]}
    )
    height += 12 + 15 * len(lines)
    y = alt.Y(
        "py:Q",
        axis=None,
        scale=alt.Scale(domain=[-hex_size / 2, height - hex_size / 2], reverse=True),
    )
    text = (
        alt.Chart(spot)
        .mark_text(align="left", baseline="top", fontSize=MIN_FONT_SIZE, color=TEXT)
        .encode(x=x, y=y, text="text")
    )
    return [*(layer.encode(y=y) for layer in layers), text], height


def dropped_note(dropped: list[tuple[str, str]]) -> str:
    """The note naming values left off the map: codes that are not current
    upper-tier authorities (an abolished county's, such as Cumbria's).

    Examples
    --------
    >>> dropped_note([("E10000006", "Cumbria (until 2023)")])[:52]
    'Not on the map (not a current upper-tier authority):'
    >>> dropped_note([("E10000006", "Cumbria (until 2023)")])[53:]
    'Cumbria (until 2023), E10000006.'
    >>> dropped_note([])
    ''
    """
    if not dropped:
        return ""
    what = (
        "a current upper-tier authority"
        if len(dropped) == 1
        else ("current upper-tier authorities")
    )
    names = "; ".join(f"{name}, {code}" for code, name in dropped)
    return f"Not on the map (not {what}): {names}."


def _hex_values(
    data: pd.DataFrame, value: str, code: str, what: str
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The layout with each authority's value (NaN where it has none); codes
    retired for the same area read as their successors'. Also the rows left
    off the map, as (code, name): codes of no current upper-tier authority
    (Cumbria and Northamptonshire before their splits), for the note under it."""
    require_columns(data, [value, code], what)
    layout = read_hex_layout()
    # Codes retired when the same area became a new authority (Buckinghamshire 2020,
    # North Yorkshire and Somerset 2023) or was recoded (Barnsley, Sheffield 2025).
    recode = _recoded()
    codes = data[code].astype(str).map(lambda c: recode.get(c, c))
    on_map = codes.isin(set(layout["la_code"])).to_numpy()
    dropped = [(c, _former_name(c)) for c in sorted(set(codes[~on_map]))]
    data, codes = data[on_map], codes[on_map]
    if codes.duplicated().any():
        raise InputError(
            f"{what}: more than one row for {codes[codes.duplicated()].iloc[0]}"
        )
    values = pd.Series(numeric(data, value, what).to_numpy(), index=codes.to_numpy())
    frame = layout.assign(value=layout["la_code"].map(values))
    if not frame["value"].notna().any():
        raise InputError(
            f"{what}: no authority on the map has a value"
            + (f" ({dropped_note(dropped)})" if dropped else "")
        )
    return frame, dropped


def _former_name(code: str) -> str:
    """A code's authority as the registry names it (with the year it ended),
    else the code itself."""
    from lacompare.geography import read_authorities

    reg = read_authorities()
    hit = reg[reg["la_code"] == code]
    if not len(hit):
        return code
    row = hit.iloc[0]
    end = str(row["valid_to"] or "")[:4]
    return f"{row['la_name']} (until {end})" if end else str(row["la_name"])


def _hex_classes(frame: pd.DataFrame, fmt: str | None, decimals: int) -> dict:
    """Each hexagon's quintile, its legend class (the quintile's range of
    values), its fill and ink, and its value as text; returns the classes'
    labels by quintile."""
    has = frame["value"].notna()
    frame["quintile"] = pd.NA
    frame.loc[has, "quintile"] = quintiles(frame.loc[has, "value"]).to_numpy()
    frame["quintile_text"] = frame["quintile"].map(
        lambda q: NO_FIGURE[0] if pd.isna(q) else str(q)
    )
    ranges = {
        q: (g["value"].min(), g["value"].max())
        for q, g in frame[has].groupby("quintile")
    }
    # Each fifth named by its range of values, as a committee reads it.
    labels = {
        q: f"{fmt_value(lo, fmt, decimals)}–{fmt_value(hi, fmt, decimals)}"
        for q, (lo, hi) in sorted(ranges.items())
    }
    frame["class"] = frame["quintile"].map(
        lambda q: NO_VALUE_KEY if pd.isna(q) else labels[q]
    )
    frame["fill"], frame["ink"] = quintile_inks(frame["quintile"])
    frame["shown"] = [fmt_value(v, fmt, decimals) for v in frame["value"]]
    return labels


def _hex_positions(frame: pd.DataFrame, hex_size: float) -> tuple[float, float]:
    """Each hexagon's pixel centre (odd rows shifted half a hex east; north at
    the top) into ``px, py``; returns the map's width and height."""
    frame["px"] = (frame["q"] + 0.5 * (frame["r"] % 2)) * hex_size
    top = int(frame["r"].max())
    frame["py"] = (top - frame["r"]) * hex_size * _SQRT3_2
    width = (frame["q"].max() + 1.5) * hex_size
    height = top * hex_size * _SQRT3_2 + hex_size
    return width, height


def _hex_layers(
    frame: pd.DataFrame,
    labels: dict,
    measure: str,
    size: float,
    x: alt.X,
    y: alt.Y,
) -> list[alt.Chart]:
    """The shaded hexagons with their legend, and the abbreviations on them."""
    blank = bool(frame["value"].isna().any())
    domain = [*labels.values(), *([NO_VALUE_KEY] if blank else [])]
    colours = [QUINTILE_COLOURS[q - 1] for q in labels] + ([WHITE] if blank else [])
    tooltip = [
        alt.Tooltip("la_name:N", title="Authority"),
        alt.Tooltip("abbr:N", title="Label"),
        alt.Tooltip("la_code:N", title="ONS code"),
        alt.Tooltip("shown:N", title=measure),
        alt.Tooltip("quintile_text:N", title="Quintile (1 = lowest)"),
    ]
    base = alt.Chart(frame).encode(x=x, y=y)
    hexes = base.mark_point(
        shape=HEX_PATH,
        filled=True,
        size=size,
        stroke=FOCUS_GREY,
        strokeWidth=0.5,
        opacity=1,
    ).encode(
        color=alt.Color(
            "class:N",
            scale=alt.Scale(domain=domain, range=colours),
            legend=alt.Legend(
                title=lines_or_text(
                    [
                        *wrap_text(measure, LEGEND_WIDTH - 20, 13),
                        "(fifths of authorities)",
                    ]
                ),
                symbolType=HEX_PATH,
                symbolStrokeColor=FOCUS_GREY,
                symbolStrokeWidth=0.5,
                orient="right",
                direction="vertical",
                labelLimit=LEGEND_WIDTH,
                titleLimit=LEGEND_WIDTH,
            ),
        ),
        tooltip=tooltip,
    )
    names = base.mark_text(fontSize=MIN_FONT_SIZE, fontWeight="bold").encode(
        text="abbr:N", color=alt.Color("ink:N", scale=None), tooltip=tooltip
    )
    return [hexes, names]


def _region_lines(
    frame: pd.DataFrame, hex_size: float, x: alt.X, y: alt.Y
) -> alt.Chart:
    """Segments along hex edges shared by authorities in different regions."""
    from lacompare.geography import read_authorities

    reg = read_authorities()
    region = reg[reg["valid_to"] == ""].set_index("la_code")["region"]
    at = {
        (q, r): i for i, (q, r) in enumerate(zip(frame["q"], frame["r"], strict=True))
    }
    px, py = frame["px"].to_numpy(), frame["py"].to_numpy()
    codes = frame["la_code"].to_numpy()
    half = hex_size / (2 * math.sqrt(3))  # half an edge of a hexagon this far apart
    rows = []
    for (q, r), i in at.items():
        for nq, nr in _neighbours(q, r):
            j = at.get((nq, nr))
            if j is None or j < i or region.get(codes[i]) == region.get(codes[j]):
                continue
            mx, my = (px[i] + px[j]) / 2, (py[i] + py[j]) / 2
            dx, dy = px[j] - px[i], py[j] - py[i]
            norm = math.hypot(dx, dy)
            ux, uy = -dy / norm, dx / norm
            rows.append(
                (mx - ux * half, my - uy * half, mx + ux * half, my + uy * half)
            )
    seg = pd.DataFrame(rows, columns=["px", "py", "px2", "py2"])
    return (
        alt.Chart(seg)
        .mark_rule(color=TEXT, strokeWidth=1.5)
        .encode(x=x, y=y, x2="px2:Q", y2="py2:Q")
    )


def _neighbours(q: int, r: int) -> list[tuple[int, int]]:
    """The six cells next to (q, r) on an odd-r grid."""
    steps = (
        ((1, 0), (-1, 0), (0, 1), (1, 1), (0, -1), (1, -1))
        if r % 2
        else ((1, 0), (-1, 0), (-1, 1), (0, 1), (-1, -1), (0, -1))
    )
    return [(q + dq, r + dr) for dq, dr in steps]


def _alt_text(
    frame: pd.DataFrame,
    measure: str,
    when: str,
    fmt: str | None,
    decimals: int,
    highlight: str | None,
) -> str:
    from lacompare.geography import read_authorities

    reg = read_authorities()
    reg = reg[reg["valid_to"] == ""].set_index("la_code")["region"]
    has = frame[frame["value"].notna()]
    hi = has.loc[has["value"].idxmax()]
    lo = has.loc[has["value"].idxmin()]
    parts = [
        f"Hex map of {measure}{when}: {len(has)} authorities, one hexagon each "
        "labelled with its abbreviation, shaded by the fifth of authorities its "
        "value is in (darker = higher).",
        f"Highest {hi['la_name']} ({fmt_value(hi['value'], fmt, decimals)}), "
        f"lowest {lo['la_name']} ({fmt_value(lo['value'], fmt, decimals)}).",
    ]
    for q, word in ((5, "top"), (1, "bottom")):
        group = has[has["quintile"] == q]
        if group.empty:
            continue
        regions = group["la_code"].map(reg).value_counts()
        name, count = regions.index[0], int(regions.iloc[0])
        parts.append(
            f"The {word} fifth ({len(group)} authorities) is most common in {name} "
            f"({count} authorities)."
        )
    missing = int(frame["value"].isna().sum())
    if missing:
        parts.append(f"{missing} authorities have no value and are left blank.")
    if highlight is not None:
        row = frame[frame["la_code"] == highlight].iloc[0]
        where = (
            "has no value"
            if pd.isna(row["value"])
            else f"is in quintile {row['quintile']} "
            f"({fmt_value(row['value'], fmt, decimals)})"
        )
        parts.append(f"{row['la_name']} is outlined in orange and {where}.")
    return " ".join(parts)
