"""Statistical neighbours and tests on the real public data in ../shared/data.

Skipped, saying why, when that folder is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lacompare.analysis.neighbours import (
    compare_neighbour_sets,
    compute_neighbours,
    load_neighbour_set,
    neighbours_of,
    packaged_neighbour_file,
    read_neighbour_file,
)
from lacompare.analysis.significance import correlate, mann_whitney, read_la_values

pytestmark = pytest.mark.shared

FILES_2025 = [
    "sn_may_2025.xlsx",
    "sn_model_2025_wide.csv",
    "stats_neighbours_long_dashboard.csv",
]
FILES_2021 = [
    "sn_april_2021.xlsx",
    "New_Statistical_Neighbour_Groupings_April_2021.csv",
]
IOD_SCORES = [
    "income_average_score",
    "employment_average_score",
    "education_skills_and_training_average_score",
    "health_deprivation_and_disability_average_score",
    "crime_average_score",
    "barriers_to_housing_and_services_average_score",
    "living_environment_average_score",
    "idaci_average_score",
]


@pytest.fixture
def sn(shared_data):
    return shared_data / "stat_neighbours"


def table(store, set_id):
    return store.query(
        "SELECT la_code, rank, neighbour_code FROM neighbours "
        "WHERE set_id = ? ORDER BY la_code, rank",
        [set_id],
    )


@pytest.mark.parametrize(
    "name,valid_for,authorities",
    [(f, "2025-26", 153) for f in FILES_2025]
    + [(f, "2021-22", 152) for f in FILES_2021],
)
def test_every_published_file_loads_with_ten_neighbours_each(
    store, sn, name, valid_for, authorities
):
    result = load_neighbour_set(store, sn / name, "dfe", valid_for=valid_for)
    per = result.neighbours.groupby("la_code")["rank"].agg(["count", "min", "max"])
    assert len(per) == result.authorities == authorities
    assert (
        (per["count"] == 10).all()
        and (per["min"] == 1).all()
        and (per["max"] == 10).all()
    )
    assert result.excluded.empty
    assert result.neighbours["neighbour_name"].notna().all()
    assert not (
        result.neighbours["la_code"] == result.neighbours["neighbour_code"]
    ).any()
    if name == "sn_april_2021.xlsx":  # created after the model: listed with '-'
        assert sorted(
            i.message for i in result.issues if i.kind == "no-neighbours"
        ) == [
            "Cumberland (942) is listed without neighbours: left out",
            "Westmorland and Furness (943) is listed without neighbours: left out",
        ]


def test_each_model_is_the_same_in_every_layout(store, sn):
    for i, name in enumerate(FILES_2025):
        load_neighbour_set(store, sn / name, f"b{i}", valid_for="2025-26")
    for i, name in enumerate(FILES_2021):
        load_neighbour_set(store, sn / name, f"a{i}", valid_for="2021-22")
    pd.testing.assert_frame_equal(table(store, "b0"), table(store, "b1"))
    pd.testing.assert_frame_equal(table(store, "b0"), table(store, "b2"))
    pd.testing.assert_frame_equal(table(store, "a0"), table(store, "a1"))
    bands = store.query(
        "SELECT DISTINCT closeness FROM neighbours WHERE set_id "
        "IN ('b0', 'b1', 'a0', 'a1') ORDER BY 1"
    )["closeness"]
    assert bands.tolist() == [
        "Close",
        "Extremely close",
        "Not close",
        "Somewhat close",
        "Very close",
    ]


@pytest.mark.parametrize(
    "packaged,workbook,valid_for",
    [
        ("dfe-2021", "sn_april_2021.xlsx", "2021-22"),
        ("dfe-2025", "sn_may_2025.xlsx", "2025-26"),
    ],
)
def test_packaged_sets_are_the_workbooks(store, sn, packaged, workbook, valid_for):
    load_neighbour_set(store, sn / workbook, "wb", valid_for=valid_for)
    load_neighbour_set(store, packaged, "pk")
    pd.testing.assert_frame_equal(table(store, "wb"), table(store, "pk"))
    shipped = read_neighbour_file(packaged_neighbour_file(packaged))
    made = store.query(
        "SELECT n.la_code, a.la_name, n.rank, n.neighbour_code, "
        "b.la_name AS neighbour_name, n.closeness FROM neighbours n "
        "JOIN authorities a ON a.la_code = n.la_code "
        "JOIN authorities b ON b.la_code = n.neighbour_code "
        "WHERE set_id = 'wb' ORDER BY a.la_name, n.la_code, n.rank"
    )
    cols = [
        "la_code",
        "la_name",
        "rank",
        "neighbour_code",
        "neighbour_name",
        "closeness",
    ]
    assert (
        shipped[cols].astype(str).values.tolist()
        == made[cols].astype(str).values.tolist()
    )


def test_old_block_is_for_back_series_only(store, sn):
    then = load_neighbour_set(
        store, sn / "sn_may_2025.xlsx", "old", valid_for=None, include_old=True
    )
    assert then.authorities == 153 + 5
    now = load_neighbour_set(
        store, sn / "sn_may_2025.xlsx", "now", valid_for="2025-26", include_old=True
    )
    assert sorted(now.excluded["la_name"]) == [
        "Bournemouth",
        "Cumbria",
        "Dorset",
        "Northamptonshire",
        "Poole",
    ]
    assert now.authorities == 153


def test_2021_and_2025_models_compared(store):
    load_neighbour_set(store, "dfe-2021", "2021")
    load_neighbour_set(store, "dfe-2025", "2025")
    result = compare_neighbour_sets(store, "2021", "2025")
    s = result.summary
    assert (s["authorities_in_both"], s["only_in_a"], s["only_in_b"]) == (151, 1, 2)
    only = result.per_authority[result.per_authority["shared"].isna()]
    assert sorted(only["la_name"]) == [
        "Cumberland",
        "Cumbria",
        "Westmorland and Furness",
    ]
    # The 2025 model kept about half of each authority's neighbours.
    assert 4 < s["mean_shared"] < 7 and s["max_shared"] == 10
    assert sum(s["shared_counts"].values()) == 151
    assert set(result.codes_followed["la_name"]) == {"North Yorkshire", "Somerset"}


def test_neighbours_across_the_2023_changes(store):
    load_neighbour_set(store, "dfe-2021", "2021")
    assert len(neighbours_of(store, "Cumbria")) == 10
    with_cumbria = store.query(
        "SELECT la_code FROM neighbours WHERE neighbour_code = 'E10000006' ORDER BY 1"
    )["la_code"]
    assert len(with_cumbria) > 0
    for code in with_cumbria:
        # Cumbria was abolished on 31 March 2023: no-one's neighbour in 2024-25.
        later = neighbours_of(store, code, period="2024-25")
        assert "E10000006" not in set(later["neighbour_code"])
        assert "Cumbria" in [e["la_name"] for e in later.attrs["excluded"]]
        assert len(neighbours_of(store, code, period="2021-22")) == 10


@pytest.fixture
def real(store, shared_data):
    from lacompare.store import ingest

    ingest(
        store,
        shared_data / "deprivation" / "iod2019_upper_tier_all_domains_wide.csv",
        period="2019",
    )
    ingest(
        store,
        shared_data
        / "cla"
        / "cla_31_march_count_and_rate_2010_to_2025_harmonised_derived.csv",
    )
    return store


def test_neighbours_computed_from_deprivation_resemble_dfe(real):
    result = compute_neighbours(
        real, IOD_SCORES, period="2019", valid_for="2019-20", set_id="iod"
    )
    assert result.authorities >= 148
    assert set(result.excluded["reason"]) <= {"did not exist on 2020-03-31"}
    load_neighbour_set(real, "dfe-2021", "dfe")
    overlap = compare_neighbour_sets(real, "iod", "dfe").summary
    # Ten random neighbours of 150 would share about 0.7 with DfE's ten.
    assert overlap["mean_shared"] > 3
    again = compute_neighbours(
        real, IOD_SCORES, period="2019", valid_for="2019-20", set_id="iod", replace=True
    )
    pd.testing.assert_frame_equal(
        result.neighbours.drop(columns="rebased"),
        again.neighbours.drop(columns="rebased"),
    )


def test_deprivation_and_care_rates_as_002_found(real):
    period = {"idaci_average_score": "2019", "rate_per_10000": "2019"}
    res = correlate(real, "idaci_average_score", "rate_per_10000", period=period)
    values = read_la_values(real, list(period), period=period).values.dropna()
    ref = stats.spearmanr(values["idaci_average_score"], values["rate_per_10000"])
    assert res.n == len(values)
    np.testing.assert_allclose([res.r, res.p], [ref.statistic, ref.pvalue], rtol=1e-9)
    assert res.r > 0.5 and res.p < 1e-10
    assert set(res.excluded["la_code"]) == set(
        read_la_values(real, list(period), period=period).values.index
    ) - set(values.index)
    no_london = correlate(
        real,
        "idaci_average_score",
        "rate_per_10000",
        period=period,
        exclude=["region:London"],
    )
    london = no_london.excluded["reason"] == "excluded by user: region:London"
    assert no_london.n == res.n - london.sum() + (
        res.excluded["la_code"].isin(no_london.excluded.loc[london, "la_code"]).sum()
    )
    lower = mann_whitney(real, "rate_per_10000", "region:London", period="2019")
    assert lower.rank_biserial < 0 and lower.p < 0.001  # London's rates are lower
