"""Helpers shared by the chart functions: input checks, numbers in words, label layout.

Labels are placed in pandas, not left to Vega, because Vega-Lite has no label
collision handling for text marks: each chart fixes its scale domains and size, so
a value maps to a known pixel and labels can be spaced before the spec is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting import format_missing, format_value, is_missing

from .theme import (
    LABEL_SIZE,
    ORANGE,
    QUINTILE_COLOURS,
    TEXT,
    TITLE_SIZE,
    WHITE,
    WIDTH,
    text_colour_on,
)


def require_columns(
    data: pd.DataFrame, columns: Iterable[str | None], what: str
) -> None:
    """Raise InputError naming the missing columns, if any."""
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise InputError(
            f"{what}: data has no column {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(map(str, data.columns))})"
        )
    if data.empty:
        raise InputError(f"{what}: data has no rows")


def numeric(data: pd.DataFrame, column: str, what: str) -> pd.Series:
    """The column as floats; InputError if any non-missing cell is not a number."""
    values = pd.to_numeric(data[column], errors="coerce")
    bad = values.isna() & data[column].notna()
    if bad.any():
        first = data.loc[bad, column].iloc[0]
        raise InputError(f"{what}: column {column!r} has a non-number {first!r}")
    return values.astype(float)


def auto_decimals(values: Iterable[float]) -> int:
    """Decimals that tell the values apart without false precision (0 to 2).

    Examples
    --------
    >>> auto_decimals([22, 165]), auto_decimals([-5.6, 10]), auto_decimals([0.12, 0.3])
    (0, 1, 2)
    >>> auto_decimals([63.0, 85.0])
    0
    """
    arr = np.asarray([v for v in values if v is not None and np.isfinite(v)], float)
    if arr.size == 0:
        return 0
    spread = float(arr.max() - arr.min()) or abs(float(arr.max())) or 1.0
    by_spread = int(min(2, max(0, 2 - math.floor(math.log10(spread)))))
    # Never print more decimals than the data has (whole-number rates stay whole).
    held = next(
        (d for d in range(3) if np.allclose(np.round(arr, d), arr, rtol=0, atol=1e-9)),
        2,
    )
    return min(by_spread, held)


#: The d3-format strings the charts take for axes, read here for text too:
#: ``$`` money (£), ``,`` grouping, ``.N`` decimals, ``~`` trim zeros, then
#: ``f`` (fixed), ``d`` (whole) or ``%`` (a fraction as a percentage).
_D3_FORMAT = re.compile(
    r"(?P<money>\$)?(?P<group>,)?(?:\.(?P<decimals>\d+))?(?P<trim>~)?(?P<kind>[fd%])?"
)


def fmt_value(
    value: float | None,
    number_format: str | None = None,
    decimals: int = 0,
    missing_reason: str | None = None,
) -> str:
    """Format a number for text as the chart's axis does, through the one
    formatting family (:func:`lacompare.formatting.format_value`).

    ``number_format`` is the d3-format string the axis uses (``,.1f``,
    ``$,.0f`` for £, ``.1%`` for a fraction, ``~`` to trim zeros), so one
    string serves both; figures are rounded half away from zero and grouped in
    thousands, and a missing value prints the publisher's symbol
    (:func:`lacompare.formatting.format_missing`).

    Parameters
    ----------
    value : float or None
        The number; None or NaN is missing.
    number_format : str, optional
        A d3-format string; without one, ``decimals`` places.
    decimals : int
        Decimal places when the format gives none.
    missing_reason : str, optional
        Why a missing value is missing (``suppressed`` prints ``[c]``); none: ``–``.

    Returns
    -------
    str
        The number as the chart prints it.

    Examples
    --------
    >>> fmt_value(1234.5), fmt_value(0.123, ".1%"), fmt_value(1792, "$,.0f")
    ('1,235', '12.3%', '£1,792')
    >>> fmt_value(2.50, ",.2~f"), fmt_value(None), fmt_value(None, missing_reason="c")
    ('2.5', '–', '[x]')
    >>> fmt_value(None, missing_reason="suppressed")
    '[c]'
    """
    if is_missing(value):
        return format_missing(missing_reason)
    match = _D3_FORMAT.fullmatch(number_format or "")
    if match is None:  # a format only Vega reads (",.4~g"): the decimals given
        return format_value(value, None, decimals)
    kind = match["kind"]
    if match["decimals"] is not None:
        decimals = int(match["decimals"])
    elif kind == "d":
        decimals = 0
    elif kind in ("f", "%"):
        decimals = 6  # d3's (and Python's) default precision
    unit = "£" if match["money"] else "proportion" if kind == "%" else None
    text = format_value(value, unit, decimals)
    if match["trim"] and "." in text:
        suffix = "%" if text.endswith("%") else ""
        text = text.rstrip("%").rstrip("0").rstrip(".") + suffix
    return text


def join_names(names: Sequence[str], limit: int = 6) -> str:
    """'A', 'A and B', 'A, B and C', or the first ``limit`` and 'N others'.

    Examples
    --------
    >>> join_names(["Leeds", "York", "Hull"])
    'Leeds, York and Hull'
    >>> join_names(list("abcdefgh"), limit=3)
    'a, b, c and 5 others'
    """
    names = list(names)
    if len(names) > limit:
        rest = len(names) - limit
        names = [*names[:limit], f"{rest} other" + ("s" if rest > 1 else "")]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 22nd ...

    Examples
    --------
    >>> [ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 22, 101)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '22nd', '101st']
    """
    suffix = (
        "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    )
    return f"{n}{suffix}"


def text_width(text: str, size: float = LABEL_SIZE) -> float:
    """A generous width estimate in px (DejaVu Sans, the widest fallback font)."""
    return 0.62 * size * len(text) + 2


def nice_domain(
    lo: float, hi: float, pad: float = 0.05, include_zero: bool = False
) -> tuple[float, float]:
    """A padded domain ending on round numbers, fixed so pixel positions are known.

    Examples
    --------
    >>> nice_domain(22, 165)
    (0.0, 180.0)
    >>> nice_domain(-5.6, 10)
    (-8.0, 12.0)
    """
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    span = hi - lo
    # Padding must not invent negative values for a measure that has none.
    floor_at_zero = lo >= 0
    lo, hi = lo - pad * span, hi + pad * span
    if floor_at_zero:
        lo = max(lo, 0.0)
    step = 10 ** math.floor(math.log10(span / 5))
    for mult in (1, 2, 2.5, 5, 10):
        if span / (step * mult) <= 10:
            step *= mult
            break
    return float(math.floor(lo / step) * step), float(math.ceil(hi / step) * step)


def spread_1d(
    wanted: Sequence[float], gap: float, lo: float = -math.inf, hi: float = math.inf
) -> list[float]:
    """Move positions apart so neighbours are at least ``gap`` apart, order kept.

    Overlapping labels are grouped and each group is centred on the mean of the
    positions its members want, which moves labels as little as possible; groups
    are then pushed inside [lo, hi].

    Examples
    --------
    >>> spread_1d([10, 11, 30], gap=5)
    [8.0, 13.0, 30.0]
    """
    order = sorted(range(len(wanted)), key=lambda k: wanted[k])
    groups: list[list[int]] = []
    starts: list[float] = []
    for k in order:
        groups.append([k])
        starts.append(float(wanted[k]))
        # Merge with the previous group while they overlap.
        while len(groups) > 1:
            prev_end = starts[-2] + gap * (len(groups[-2]) - 1)
            if starts[-1] >= prev_end + gap:
                break
            merged = groups[-2] + groups[-1]
            mean = float(np.mean([wanted[m] for m in merged]))
            groups[-2:] = [merged]
            starts[-2:] = [mean - gap * (len(merged) - 1) / 2]
    out = [0.0] * len(wanted)
    positions = [
        s + gap * i for s, g in zip(starts, groups, strict=True) for i in range(len(g))
    ]
    flat = [k for g in groups for k in g]
    # Push inside the bounds from both ends.
    for i in range(len(positions)):
        floor = lo + gap * i
        positions[i] = max(positions[i], floor)
    for i in range(len(positions) - 1, -1, -1):
        ceiling = hi - gap * (len(positions) - 1 - i)
        positions[i] = min(positions[i], ceiling)
    for k, p in zip(flat, positions, strict=True):
        out[k] = round(p, 6)
    return out


#: Offsets tried for a point label (dx, dy in px; align), nearest first.
_CANDIDATES = (
    (8, 0, "left"),
    (-8, 0, "right"),
    (0, -13, "center"),
    (0, 13, "center"),
    (7, -11, "left"),
    (7, 11, "left"),
    (-7, -11, "right"),
    (-7, 11, "right"),
)


def place_labels(
    points: Sequence[tuple[float, float]],
    texts: Sequence[str],
    obstacles: Sequence[tuple[float, float]] = (),
    width: float = math.inf,
    height: float = math.inf,
    size: float = LABEL_SIZE,
) -> list[tuple[float, float, str]]:
    """Place a label beside each point (pixel coordinates, y down) without overlaps.

    Tries eight positions around each point in turn and takes the first whose box
    stays inside the plot and clears the labels already placed and the obstacle
    points; if none is clear, the one overlapping least. Returns the label anchor
    (x, y) and its horizontal alignment.

    Examples
    --------
    >>> place_labels([(100, 100), (100, 104)], ["Leeds", "York"])
    [(108, 100, 'left'), (92, 104, 'right')]
    """
    placed: list[tuple[float, float, float, float]] = []
    dots = [(x - 4, y - 4, x + 4, y + 4) for x, y in (*obstacles, *points)]
    out = []
    for (x, y), text in zip(points, texts, strict=True):
        w, h = text_width(text, size), size + 2
        best, best_cost = None, math.inf
        for dx, dy, align in _CANDIDATES:
            ax, ay = x + dx, y + dy
            left = ax if align == "left" else ax - w if align == "right" else ax - w / 2
            box = (left, ay - h / 2, left + w, ay + h / 2)
            cost = sum(_overlap(box, other) for other in placed)
            cost += sum(_overlap(box, d) for d in dots if not _inside((x, y), d))
            cost += 1000 * (
                box[0] < 0 or box[2] > width or box[1] < 0 or box[3] > height
            )
            if cost < best_cost:
                best, best_cost = (ax, ay, align, box), cost
            if cost == 0:
                break
        assert best is not None
        placed.append(best[3])
        out.append((best[0], best[1], best[2]))
    return out


def _overlap(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _inside(p: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]


class Scale:
    """A linear map from a fixed data domain to pixels, as Vega draws it."""

    def __init__(self, domain: tuple[float, float], pixels: float, flip: bool = False):
        self.d0, self.d1 = domain
        self.pixels = pixels
        self.flip = flip

    def px(self, value: float) -> float:
        """Pixel position of ``value`` (y scales are flipped: 0 at the top)."""
        frac = (value - self.d0) / (self.d1 - self.d0)
        return self.pixels * (1 - frac if self.flip else frac)

    def value(self, px: float) -> float:
        """The data value drawn at pixel ``px``."""
        frac = px / self.pixels
        frac = 1 - frac if self.flip else frac
        return self.d0 + frac * (self.d1 - self.d0)


def layer_chart(layers: Sequence[Any], **properties: Any) -> alt.LayerChart:
    """``alt.layer(*layers).properties(...)``, typed as the LayerChart it returns."""
    return alt.LayerChart(layer=list(layers), **properties)


def describe(chart: object, text: str) -> None:
    """Set a chart's alt text; every chart function ends by calling this."""
    text = " ".join(text.split())
    if not text:
        raise ValueError("alt text must not be empty")
    chart.description = text  # type: ignore[attr-defined]


#: Words a unit may start with that a label need not repeat ("rate per 10,000"
#: says no more than "per 10,000" in "CLA per 10,000 children").
_UNIT_LEADS = ("rate ", "number ", "count ", "amount ")
#: Units that mean a percentage, however the label says it.
_PERCENT = ("%", "percent", "per cent", "percentage")


def without_repeated_unit(text: str) -> str:
    """Drop a bracketed unit that the text already states, once.

    Labels often carry their unit ("Children looked after per 10,000 children")
    and callers add it again in brackets ("(rate per 10,000)"); a committee then
    reads "per 10,000 (per 10,000)". A bracket is dropped only when what it says
    (less a leading "rate", "number" ...) is already in the rest of the text.

    Examples
    --------
    >>> without_repeated_unit("CLA per 10,000 children (rate per 10,000), 2025")
    'CLA per 10,000 children, 2025'
    >>> without_repeated_unit("Pupils with an EHC plan, % (%)")
    'Pupils with an EHC plan, %'
    >>> without_repeated_unit("Spend per child (£)")
    'Spend per child (£)'
    >>> without_repeated_unit("Quintile 1 (lowest)")
    'Quintile 1 (lowest)'
    >>> without_repeated_unit("Children declared (CLA)")
    'Children declared (CLA)'
    """
    out = text
    for match in reversed(list(re.finditer(r"\s*\(([^()]+)\)", text))):
        unit = match.group(1).strip().lower()
        rest = (out[: match.start()] + out[match.end() :]).lower()
        core = unit
        for lead in _UNIT_LEADS:
            if core.startswith(lead):
                core = core[len(lead) :]
        # Whole words only: "(CLA)" is not said by "declared".
        pattern = r"(?<!\w)" + re.escape(core) + r"(?!\w)"
        said = re.search(pattern, rest) is not None or (
            unit in _PERCENT and any(word in rest for word in _PERCENT)
        )
        if core and said:
            out = out[: match.start()] + out[match.end() :]
    return out


def wrap_text(text: str, width: float, size: float = LABEL_SIZE) -> list[str]:
    """``text`` in lines that fit ``width`` px at ``size`` (by :func:`text_width`,
    a generous estimate), broken between words; one long word keeps its line.

    Vega shortens a title, legend or axis title longer than its limit with "…";
    wrapped to fit, nothing is cut.

    Examples
    --------
    >>> wrap_text("Children looked after per 10,000 children", 120, 12)
    ['Children looked', 'after per', '10,000 children']
    >>> wrap_text("short", 120, 12)
    ['short']
    """
    import textwrap

    chars = max(8, int((width - 2) / (0.62 * size)))
    return textwrap.wrap(text, chars, break_long_words=False) or [text]


def lines_or_text(lines: list[str]) -> str | list[str]:
    """One line as a string, several as a list (Vega draws a list as lines)."""
    return lines[0] if len(lines) == 1 else lines


def chart_heading(
    title: str,
    width: float,
    subtitle: str | Sequence[str] | None = None,
) -> alt.Title:
    """A chart's title and subtitle, each wrapped to fit ``width`` px (at least
    360, at most the theme's title limit) and the title without a repeated unit.

    Examples
    --------
    >>> h = chart_heading("A rather long title about children looked after per "
    ...                   "10,000 children (rate per 10,000), 2025", 300)
    >>> h.text
    ['A rather long title about children', 'looked after per 10,000 children,', '2025']
    """
    room = min(max(width, 360.0), WIDTH + 150.0)
    text = lines_or_text(wrap_text(without_repeated_unit(title), room, TITLE_SIZE))
    if subtitle is None:
        return alt.Title(text)
    given = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    lines = [ln for s in given for ln in wrap_text(s, room, LABEL_SIZE + 1)]
    return alt.Title(text, subtitle=lines)


def titled_chart(
    layers: Sequence[Any],
    *,
    width: float,
    height: float,
    title: str,
    alt_text: str,
    subtitle: str | Sequence[str] | None = None,
    title_width: float | None = None,
) -> alt.LayerChart:
    """The layers as one chart of a fixed size, with its title and alt text.

    Every chart function ends here, so none can leave without a title or alt text.
    Title and subtitle are wrapped to ``title_width`` (default ``width``; see
    :func:`chart_heading`), never cut short.

    Examples
    --------
    >>> dot = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    >>> c = titled_chart([dot], width=100, height=50, title="One",
    ...                  alt_text="One dot.", subtitle=["a note"])
    >>> c.title.subtitle, c.description
    (['a note'], 'One dot.')
    """
    heading = chart_heading(title, title_width or width, subtitle)
    chart = layer_chart(layers, width=width, height=height, title=heading)
    describe(chart, alt_text)
    return chart


def highlighted_row(
    frame: pd.DataFrame, column: str, highlight: str, what: str, problem: str
) -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` is ``highlight``; InputError if none.

    ``problem`` ends the message: "highlight 'X' <problem>".
    """
    rows = frame[frame[column] == highlight]
    if rows.empty:
        raise InputError(f"{what}: highlight {highlight!r} {problem}")
    return rows


def highlight_marker(
    data: pd.DataFrame, *, size: float, x: Any, y: Any, **mark: Any
) -> alt.Chart:
    """The orange diamond, outlined in the text colour, that marks one authority.

    Every chart marks its highlighted authority the same way (and names it in the
    subtitle or a label, so colour is never the only cue); ``mark`` adds to the
    mark's properties (``opacity``) and ``tooltip`` goes to the encoding.
    """
    tooltip = mark.pop("tooltip", alt.Undefined)
    return (
        alt.Chart(data)
        .mark_point(
            shape="diamond",
            filled=True,
            size=size,
            color=ORANGE,
            stroke=TEXT,
            strokeWidth=1,
            **mark,
        )
        .encode(x=x, y=y, tooltip=tooltip)
    )


def quintile_inks(quintile: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Fill colour of each quintile (white where missing) and the text colour on it.

    Examples
    --------
    >>> fill, ink = quintile_inks(pd.Series([1, None, 5], dtype="Int64"))
    >>> fill.iloc[1], ink.iloc[0] != ink.iloc[2]
    ('#FFFFFF', True)
    """
    fill = quintile.map(lambda q: WHITE if pd.isna(q) else QUINTILE_COLOURS[int(q) - 1])
    return fill, fill.map(text_colour_on)
