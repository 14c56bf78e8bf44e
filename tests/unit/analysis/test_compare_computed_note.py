"""compare says, in a note every output shows, when England's or a region's figure
is computed rather than published (issue 16)."""

from __future__ import annotations

import pandas as pd

from lacompare.analysis._compare import Comparison


def comparison(england_source: str, region_source: str) -> Comparison:
    table = pd.DataFrame(
        {
            "measure": ["rate_per_10000"],
            "england_source": [england_source],
            "region_source": [region_source],
            "region": ["East Midlands"],
        }
    )
    excluded = pd.DataFrame(columns=["la_code", "la_name", "reason"])
    return Comparison(table=table, neighbour_set="dfe-2025", excluded=excluded)


def test_a_computed_england_figure_is_noted():
    notes = comparison("computed: mean of 151 authorities", "published").notes()
    assert (
        "England's rate_per_10000 is not a published figure: computed: mean of "
        "151 authorities"
    ) in notes
    assert not any(n.startswith("East Midlands") for n in notes)


def test_published_figures_need_no_note():
    notes = comparison("published", "published").notes()
    assert not any("not a published figure" in n for n in notes)


def test_a_computed_region_is_noted_by_name():
    notes = comparison("published", "computed: mean of 10 authorities").notes()
    assert any(
        n.startswith("East Midlands's rate_per_10000 is not a published") for n in notes
    )


def test_the_note_names_the_indicator_by_its_label():
    result = comparison("computed: mean of 151 authorities", "published")
    result.table["label"] = ["Children looked after per 10,000 children"]
    assert (
        "England's Children looked after per 10,000 children (rate_per_10000) is "
        "not a published figure: computed: mean of 151 authorities"
    ) in result.notes()
