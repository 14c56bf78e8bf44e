"""One verdict per figure: the la-profile (the report and the web app's profile, which
renders the same document) and ``compare`` judge each headline figure of an authority
with the same test and reach the same verdict (issue 16: Leicester's CIN rate was "not
significant" on the web profile and "below (99.8%)" in ``compare``)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.shared


def test_profile_and_compare_give_each_headline_figure_one_verdict(
    national_store: Path,
) -> None:
    from lacompare.analysis import compare_headline
    from lacompare.report import prepare_profiles
    from lacompare.store import open_store

    with open_store(national_store, read_only=True) as store:
        table = compare_headline(store, "Leicester").table
        # No measures named: the headline set, as the report and the web app use.
        profile = prepare_profiles(store, trends=False, with_spend=False)
    code = profile.resolve("Leicester")
    rows = profile.latest[profile.latest["la_code"] == code]
    assert len(rows) >= 5
    checked = 0
    for _, row in rows.iterrows():
        same = table[
            (table["measure"] == row["measure"])
            & (table["breakdown"] == row["breakdown"])
            & (table["period"] == row["period"])
        ]
        if same.empty:
            continue
        mine = same.iloc[0]
        assert (mine["flag"], mine["test"]) == (row["flag"], row["test"]), row[
            "measure"
        ]
        checked += 1
    assert checked >= 5
