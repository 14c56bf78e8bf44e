"""Charts a committee can read: Altair specs, rendered offline by vl-convert.

Every chart function takes a pandas DataFrame with documented columns and returns an
Altair chart whose ``description`` is alt text generated from the data. Colours are
the Analysis Function palettes (:mod:`lacompare.charts.theme`); no chart relies on
colour alone — lines differ by dash and shape, highlighted authorities are also
named, shaded cells carry their quintile number and hexes their authority's
abbreviation, with the legend naming each fifth's range of values.

Importing this package imports Altair (~0.3 s); vl-convert loads only when a chart
is rendered. Neither :mod:`lacompare` nor its CLI imports it at start-up.

Examples
--------
>>> import pandas as pd
>>> from lacompare.charts import box_chart, chart_png_bytes
>>> df = pd.DataFrame({"la_name": ["Leeds", "York", "Hull"],
...                    "region": ["Yorkshire and The Humber"] * 3,
...                    "value": [89.0, 45.0, 120.0]})
>>> chart = box_chart(df, measure="CLA rate per 10,000", period="2024")
>>> chart.description.startswith("Box plot of CLA rate per 10,000 by region, 2024")
True
"""

from __future__ import annotations

from ._agreement import predicted_actual_chart
from ._common import fmt_value, without_repeated_unit
from ._contribution import contribution_chart
from ._distribution import box_chart
from ._heatmap import heatmap_chart
from ._hexmap import hex_map_chart, read_hex_layout
from ._histogram import histogram_chart
from ._quantiles import box_stats, quintiles
from ._ranked import ranked_bar_chart
from ._region import region_chart
from ._relationship import scatter_chart
from ._trend import trend_chart
from .export import (
    chart_html,
    chart_pdf_bytes,
    chart_png_bytes,
    chart_spec,
    chart_svg,
    save_chart,
    vega_embed_bundle,
)
from .theme import enable_theme, theme_config

__all__ = [
    "box_chart",
    "box_stats",
    "chart_html",
    "chart_pdf_bytes",
    "chart_png_bytes",
    "chart_spec",
    "chart_svg",
    "contribution_chart",
    "enable_theme",
    "fmt_value",
    "region_chart",
    "heatmap_chart",
    "hex_map_chart",
    "histogram_chart",
    "predicted_actual_chart",
    "quintiles",
    "ranked_bar_chart",
    "read_hex_layout",
    "save_chart",
    "scatter_chart",
    "theme_config",
    "trend_chart",
    "vega_embed_bundle",
    "without_repeated_unit",
]
