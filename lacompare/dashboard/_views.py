"""What each dashboard page shows, gathered from the public API (no analysis here).

Each function takes the :class:`~lacompare.dashboard._state.DashboardStore` and
the page's state (plain strings, as they arrive in a URL) and returns the
results of :func:`lacompare.analysis.compare`, :func:`~lacompare.report.build_report`,
:func:`~lacompare.analysis.read_la_values` with
:func:`~lacompare.analysis.pairwise_correlation`, and the chart functions of
:mod:`lacompare.charts`, cached by the store's version.

The pages' parts live in their own modules, all named here:
:mod:`~lacompare.dashboard._catalogue` (the lists the pickers offer),
:mod:`~lacompare.dashboard._measure` (the measure explorer) and
:mod:`~lacompare.dashboard._relationships` (two measures; expected spend); this
module holds the profile and the data page.

A measure on these pages is a *key*: ``measure`` or ``measure[breakdown]`` with
the breakdown written out in full, as :func:`lacompare.report.resolve_measure`
reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.dashboard._catalogue import (
    DEFAULT_PROFILE_SIZE,
    ENGLAND,
    NO_MEASURES,
    authority_choices,
    authority_name,
    catalogue_entry,
    default_profile_measures,
    find_authority,
    group_choices,
    measure_catalogue,
    measure_key,
    packaged_spec_path,
    packaged_specs,
    page_choices,
    read_headline_measures,
    spend_targets,
)
from lacompare.dashboard._measure import (
    MeasureView,
    measure_charts,
    measure_table,
    measure_view,
)
from lacompare.dashboard._relationships import (
    Relationship,
    read_periods,
    relationship_view,
    spend_document,
)
from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.dashboard._state import DashboardStore
    from lacompare.report import Document
    from lacompare.store import StoreCounts

__all__ = [
    "DEFAULT_PROFILE_SIZE",
    "ENGLAND",
    "MeasureView",
    "NO_MEASURES",
    "Relationship",
    "authority_choices",
    "authority_name",
    "catalogue_entry",
    "data_counts",
    "data_overview",
    "default_profile_measures",
    "find_authority",
    "group_choices",
    "measure_catalogue",
    "measure_charts",
    "measure_key",
    "measure_table",
    "measure_view",
    "packaged_spec_path",
    "packaged_specs",
    "page_choices",
    "profile_document",
    "read_headline_measures",
    "read_periods",
    "relationship_view",
    "spend_document",
    "spend_targets",
]


def profile_document(
    state: DashboardStore,
    la: str,
    measures: Sequence[str] | None = None,
    *,
    zero: bool = False,
) -> Document:
    """The la-profile report's document for one authority (as the CLI's report);
    ``zero``: its trend charts' axes start at zero.

    The comparison of every authority (:func:`lacompare.report.prepare_profiles`)
    is computed once per measure list and store version.
    """
    from lacompare.report import prepare_profiles
    from lacompare.report import profile_document as make_document

    keys = tuple(measures or default_profile_measures(state))
    if not keys:
        raise InputError(NO_MEASURES)

    def profiles() -> Any:
        with state.store() as store:
            return prepare_profiles(store, list(keys))

    data = state.cached(("profiles", keys), profiles)
    code = data.resolve(la) if la else None
    if code is None:
        raise InputError("choose an authority")
    return state.cached(
        ("profile", keys, code, zero), lambda: make_document(data, code, zero=zero)
    )


# ---------------------------------------------------------------------- data page


def data_overview(state: DashboardStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What is loaded: the sources (file, sheet, loaded at, counts) and the
    measures (label, unit, polarity, values and missing values), counted by
    :func:`lacompare.store.list_sources` and :func:`~lacompare.store.list_measures`
    as ``lacompare info`` counts them."""

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        with state.store() as store:
            sources = store.list_sources()
            measures = store.list_measures()
        sources = sources[
            ["source_id", "file", "sheet", "observations", "totals", "loaded_at"]
        ].copy()
        sources["loaded_at"] = sources["loaded_at"].astype(str)
        sources["file"] = [Path(str(f)).name for f in sources["file"]]
        measures = measures[
            ["measure", "label", "unit", "polarity", "values", "missing"]
        ]
        return sources, measures

    return state.cached(("overview",), compute)


def data_counts(state: DashboardStore) -> StoreCounts:
    """The store's counts (values, missing values, measures, authorities,
    periods, sources) by :func:`lacompare.store.count_values`, as ``lacompare
    info`` prints them."""
    from lacompare.store import count_values

    def compute() -> StoreCounts:
        with state.store() as store:
            return count_values(store)

    return state.cached(("counts",), compute)
