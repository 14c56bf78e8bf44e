"""The lacompare chart look: Analysis Function colours, fonts readable at A4.

Colours are the UK Government Analysis Function (AF) palettes, copied with their hex
codes from "Data visualisation: colours" (Analysis Function Central Team, published
23 November 2021, https://analysisfunction.civilservice.gov.uk/policy-store/
data-visualisation-colours-in-charts/), as also packaged by the AF's ``afcharts``
(``get_af_colours("categorical" | "duo" | "sequential" | "focus")``):

* categorical: dark blue #12436D, turquoise #28A197, dark pink #801650,
  orange #F46A25, dark grey #3D3D3D, light purple #A285D1 (use in this order);
* duo: dark blue and orange (the pair with the best contrast);
* sequential: dark blue #12436D, mid blue #2073BC, light blue #6BACE6;
* focus: dark blue #12436D for the highlighted element, grey #BFBFBF for the rest.

The AF sequential palette has three shades. Quintile maps and heatmaps need five, so
:data:`QUINTILE_COLOURS` adds two lighter tints of light blue (mixed with white, as
the AF guidance allows for tints of one colour). Adjacent tints cannot all reach the
3:1 contrast WCAG asks of graphics, which the guidance acknowledges; every chart
here that uses them also prints the quintile number in the cell, so colour is never
the only way to read a value.

Every chart function sets its own colours, so a chart looks the same whichever
Altair theme is active; the theme adds fonts, sizes and axis styling, and
:func:`lacompare.charts.save_chart` applies it when rendering.

Examples
--------
>>> from lacompare.charts.theme import CATEGORICAL, contrast_ratio
>>> CATEGORICAL[0]
'#12436D'
>>> contrast_ratio("#12436D", "#FFFFFF") > 10
True
"""

from __future__ import annotations

from typing import Any

import altair as alt

#: AF categorical palette, in the order the guidance says to use it.
CATEGORICAL: tuple[str, ...] = (
    "#12436D",  # dark blue
    "#28A197",  # turquoise
    "#801650",  # dark pink
    "#F46A25",  # orange
    "#3D3D3D",  # dark grey
    "#A285D1",  # light purple
)
DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE = CATEGORICAL

#: AF duo palette: two series.
DUO: tuple[str, str] = (DARK_BLUE, ORANGE)

#: AF sequential palette, darkest first.
SEQUENTIAL: tuple[str, str, str] = ("#12436D", "#2073BC", "#6BACE6")
MID_BLUE, LIGHT_BLUE = SEQUENTIAL[1], SEQUENTIAL[2]

#: AF focus palette: the highlighted element and everything else.
FOCUS: tuple[str, str] = (DARK_BLUE, "#BFBFBF")
FOCUS_GREY = FOCUS[1]

#: Quintile 1 (lowest fifth) to 5 (highest): two white-mixed tints of light blue,
#: then the AF sequential shades from light to dark.
QUINTILE_COLOURS: tuple[str, str, str, str, str] = (
    "#DAEAF9",  # light blue mixed 1:3 with white
    "#B5D6F3",  # light blue mixed 1:1 with white
    LIGHT_BLUE,
    MID_BLUE,
    DARK_BLUE,
)

#: Text: GOV.UK Design System text colour (near-black, 19:1 on white).
TEXT = "#0B0C0C"
WHITE = "#FFFFFF"
#: Gridlines: light enough to sit behind the focus grey.
GRID = "#E1E1E1"

#: Every colour a lacompare chart may use (tests check specs against this set).
PALETTE_COLOURS: frozenset[str] = frozenset(
    c.upper()
    for c in (*CATEGORICAL, *SEQUENTIAL, *FOCUS, *QUINTILE_COLOURS, TEXT, WHITE, GRID)
)

#: Fonts with wide coverage; vl-convert falls back along the list (DejaVu on Debian).
FONT = "Arial, Helvetica, 'Liberation Sans', 'DejaVu Sans', sans-serif"

#: Smallest text in any chart, in CSS pixels: at a 600 px chart printed 170 mm wide
#: this is ~8.5 pt, the floor for labels a committee reads on paper.
MIN_FONT_SIZE = 11
LABEL_SIZE = 12
TITLE_SIZE = 16

#: Default plotting area; about the text width of an A4 page at 96 dpi less margins.
WIDTH = 560
HEIGHT = 320

THEME_NAME = "lacompare"


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #RRGGBB colour."""
    rgb = [int(colour.lstrip("#")[k : k + 2], 16) / 255 for k in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio between two #RRGGBB colours (1 to 21).

    Examples
    --------
    >>> round(contrast_ratio("#000000", "#FFFFFF"))
    21
    """
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_colour_on(fill: str) -> str:
    """The text colour (near-black or white) with the better contrast on ``fill``.

    Examples
    --------
    >>> text_colour_on("#12436D")
    '#FFFFFF'
    >>> text_colour_on("#DAEAF9")
    '#0B0C0C'
    """
    return max((TEXT, WHITE), key=lambda t: contrast_ratio(t, fill))


def theme_config() -> dict[str, Any]:
    """The Vega-Lite ``config`` of the lacompare theme.

    Returns
    -------
    dict
        A fresh dictionary each call, so callers may change it.

    Examples
    --------
    >>> cfg = theme_config()
    >>> cfg["axis"]["labelFontSize"] >= MIN_FONT_SIZE
    True
    """
    text = {
        "labelColor": TEXT,
        "titleColor": TEXT,
        "labelFont": FONT,
        "titleFont": FONT,
    }
    return {
        "font": FONT,
        "background": WHITE,
        "padding": 8,
        "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": HEIGHT},
        "title": {
            "font": FONT,
            "fontSize": TITLE_SIZE,
            "fontWeight": "bold",
            "color": TEXT,
            "subtitleFont": FONT,
            "subtitleFontSize": LABEL_SIZE + 1,
            "subtitleColor": TEXT,
            "anchor": "start",
            "offset": 12,
            "limit": WIDTH + 160,
        },
        "axis": {
            **text,
            "labelFontSize": LABEL_SIZE,
            "titleFontSize": LABEL_SIZE + 1,
            "titleFontWeight": "normal",
            "domainColor": DARK_GREY,
            "tickColor": DARK_GREY,
            "gridColor": GRID,
            "labelLimit": 260,
            # Flush end labels crowd their neighbours ("130140"); let them overhang.
            "labelFlush": False,
            "titlePadding": 8,
        },
        "legend": {
            **text,
            "labelFontSize": LABEL_SIZE,
            "titleFontSize": LABEL_SIZE + 1,
            "titleFontWeight": "normal",
            "symbolSize": 140,
            "labelLimit": 320,
            "orient": "bottom",
            "direction": "horizontal",
        },
        "header": {
            **text,
            "labelFontSize": LABEL_SIZE,
            "titleFontSize": LABEL_SIZE + 1,
        },
        "text": {"font": FONT, "fontSize": LABEL_SIZE, "color": TEXT},
        "mark": {"color": DARK_BLUE},
        "range": {
            "category": list(CATEGORICAL),
            "ordinal": list(QUINTILE_COLOURS),
            "ramp": list(reversed(SEQUENTIAL)),
            "heatmap": list(QUINTILE_COLOURS),
        },
        # British number formats in interactive HTML too ("£" for currency formats).
        "locale": {
            "number": {
                "decimal": ".",
                "thousands": ",",
                "grouping": [3],
                "currency": ["£", ""],
            }
        },
    }


def _theme() -> alt.theme.ThemeConfig:
    return alt.theme.ThemeConfig(config=theme_config())  # type: ignore[typeddict-item]


def register_theme() -> None:
    """Register the ``"lacompare"`` Altair theme (without enabling it).

    Examples
    --------
    >>> register_theme()
    >>> "lacompare" in alt.theme.names()
    True
    """
    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(_theme)


def enable_theme() -> None:
    """Make ``"lacompare"`` the active Altair theme (for notebooks and dashboards).

    Examples
    --------
    >>> previous = alt.theme.active
    >>> enable_theme()
    >>> alt.theme.active
    'lacompare'
    >>> _ = alt.theme.enable(previous)
    """
    register_theme()
    alt.theme.enable(THEME_NAME)


register_theme()
