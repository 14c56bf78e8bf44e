"""Create your own, the regional page and the explorer's hex map over real public
files (../shared/data): DfE's CLA release 2021-2025 (with its England and region
rows), IDACI 2019 (old Cumbria and Northamptonshire codes) and DfE's 2025
statistical neighbours."""

from __future__ import annotations

import csv
import io
import re

import pytest

pytest.importorskip("shiny")
from starlette.testclient import TestClient  # noqa: E402

from lacompare.dashboard.app import create_app  # noqa: E402

pytestmark = pytest.mark.shared

CLA = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
IDACI = "deprivation/idaci2019_upper_tier_la_summary.csv"


@pytest.fixture(scope="module")
def shared_db(shared_data, tmp_path_factory):
    from pathlib import Path

    import lacompare
    from lacompare.analysis import load_neighbour_set
    from lacompare.store import open_store
    from lacompare.store._ingest import ingest

    specs = Path(lacompare.__file__).parent / "sources" / "specs"
    path = tmp_path_factory.mktemp("custom-shared") / "shared.duckdb"
    with open_store(path) as store:
        ingest(store, shared_data / CLA)
        ingest(store, shared_data / IDACI, spec=specs / "mhclg_iod2019_upper_tier.toml")
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
    return path


@pytest.fixture(scope="module")
def client(shared_db):
    with TestClient(create_app(shared_db)) as c:
        yield c


def row_cells(html: str, label: str, nth: int = 0) -> list[str]:
    rows = re.findall(
        rf'<tr data-area[^>]*><th scope="row">{re.escape(label)}</th>(.*?)</tr>',
        html,
        re.S,
    )
    return re.findall(r'<td class="lac-num">([^<]*)</td>', rows[nth])


def test_two_authorities_two_indicators_with_published_totals(client, shared_db):
    from lacompare.catalogue import read_indicator, read_indicator_totals
    from lacompare.formatting import format_number
    from lacompare.store import open_store

    url = (
        "/table/custom?la=Leeds&la=Wakefield&measure=cla_rate_per_10000"
        "&measure=cla_count&periods=2024,2025"
    )
    page = client.get(url)
    assert page.status_code == 200, page.text
    with open_store(shared_db, read_only=True) as store:
        rate = read_indicator(store, "cla_rate_per_10000", periods=["2024", "2025"])
        count = read_indicator(store, "cla_count", periods=["2025"])
        tot = read_indicator_totals(store, "cla_rate_per_10000", periods="2025")
    leeds = rate[rate["la_code"] == "E08000035"].set_index("period")["value"]
    assert row_cells(page.text, "Leeds") == [
        format_number(leeds[p]) for p in leeds.index
    ]
    wake = count[count["la_code"] == "E08000036"]["value"].item()
    assert row_cells(page.text, "Wakefield", 1)[-1] == format_number(wake)
    # England's figure is the publisher's: printed without a mark.
    eng = tot[tot["area_code"] == "E92000001"].iloc[0]
    assert bool(eng["published"])
    assert row_cells(page.text, "England")[-1] == format_number(eng["value"])
    assert "Yorkshire and The Humber" in page.text

    download = client.get(url.replace("/table/custom?", "/table/custom.csv?"))
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert {r["indicator_id"] for r in rows} == {"cla_rate_per_10000", "cla_count"}
    assert {r["area_name"] for r in rows} >= {"Leeds", "Wakefield", "England"}


def test_neighbour_group(client):
    page = client.get("/table/custom?group=neighbours:Leeds&measure=cla_rate_per_10000")
    assert page.status_code == 200, page.text
    assert "Leeds and its 10 statistical neighbours" in page.text
    rows = re.findall(r'<tr data-area="(E[0-9]{8}|dfe:[0-9]+)"', page.text)
    authorities = [r for r in rows if not r.startswith(("E12", "E92"))]
    assert len(authorities) == 11


def test_region_page_counts_authorities(client):
    page = client.get("/region?name=North West&measure=cla_rate_per_10000")
    assert page.status_code == 200, page.text
    # Cumberland and Westmorland and Furness replaced Cumbria in 2023.
    assert re.search(r"North West has 2[0-9] authorities", page.text)
    assert "Cumberland" in page.text and "Westmorland and Furness" in page.text
    assert row_cells(page.text, "England")  # England's published row


def test_explorer_hex_map_names_old_codes(shared_db):
    """IDACI 2019 has Cumbria's and Northamptonshire's old codes: the hex map
    leaves them off and names them under the map (it used to refuse)."""
    from lacompare.dashboard import DashboardStore
    from lacompare.dashboard._views import (
        measure_catalogue,
        measure_charts,
        measure_view,
    )

    state = DashboardStore(shared_db)
    try:
        keys = measure_catalogue(state)["key"].tolist()
        key = next(k for k in keys if k.startswith("idaci_average_score"))
        charts = measure_charts(measure_view(state, key))
    finally:
        state.close()
    text = charts["hex"].description
    assert "Not on the map" in text
    assert "Cumbria" in text and "E10000006" in text
    assert "Northamptonshire" in text and "E10000021" in text
