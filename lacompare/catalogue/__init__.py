"""The indicator catalogue: what people see, between the raw store and analysis.

The store holds every publisher's measure as loaded (2,000+ on the national store,
published and derived copies of one figure side by side). The catalogue
(``indicators.toml``, package data with its sources named in its header) gives each
indicator a stable readable id, label, topic, unit, polarity, decimal places, year
type, description, whether it is a headline indicator, and the store measures it is
read from in order of preference: published first, derived only to fill gaps.

* :func:`read_catalogue`, :func:`get_indicator`: the entries.
* :func:`read_indicator`: one value per authority and period from the preferred
  source, saying which and whether it is published;
  :func:`read_indicator_totals`: England's and regions' published figures, computed
  (and flagged) only where none is published.
* :func:`search_indicators`, :func:`suggest_indicators`: by words, typos forgiven
  (``lacompare measures``).
* :func:`resolve_key`: the store key an indicator id typed on the command line
  means (its preferred source with values); :func:`display_label`: what a table
  people read calls a store key (the indicator's label and unit).
* :func:`refresh_catalogue`: the store's copy (tables ``indicators`` and
  ``indicator_sources``), refreshed when a store is opened for writing and the
  catalogue has changed, and by ``lacompare build`` (which also gives the measures
  it loaded the catalogue's polarity).

Examples
--------
>>> get_indicator("social_worker_turnover_rate").polarity
'higher-is-worse'
>>> [i.id for i in read_catalogue() if i.headline][:3]
['cla_rate_per_10000', 'cin_rate_per_10000', 'cpp_rate_per_10000']
"""

from __future__ import annotations

from lacompare.catalogue._keys import (
    catalogue_label,
    display_label,
    label_with_unit,
    preferred_source,
    resolve_key,
    source_for_periods,
    source_note,
)
from lacompare.catalogue._model import (
    Indicator,
    Source,
    band_text,
    get_indicator,
    headline_keys,
    indicator_decimals,
    indicator_for_key,
    parse_catalogue,
    read_catalogue,
)
from lacompare.catalogue._search import (
    SEARCH_COLUMNS,
    search_indicators,
    suggest_indicators,
    suggestion_text,
    unknown_measure_hint,
)
from lacompare.catalogue._values import (
    TOTAL_COLUMNS,
    VALUE_COLUMNS,
    CatalogueRefresh,
    catalogue_frame,
    period_key,
    read_indicator,
    read_indicator_totals,
    refresh_catalogue,
)

__all__ = [
    "CatalogueRefresh",
    "Indicator",
    "SEARCH_COLUMNS",
    "Source",
    "TOTAL_COLUMNS",
    "VALUE_COLUMNS",
    "band_text",
    "catalogue_label",
    "display_label",
    "catalogue_frame",
    "get_indicator",
    "headline_keys",
    "indicator_decimals",
    "indicator_for_key",
    "label_with_unit",
    "parse_catalogue",
    "period_key",
    "preferred_source",
    "read_catalogue",
    "read_indicator",
    "read_indicator_totals",
    "refresh_catalogue",
    "resolve_key",
    "source_for_periods",
    "source_note",
    "search_indicators",
    "suggest_indicators",
    "suggestion_text",
    "unknown_measure_hint",
]
