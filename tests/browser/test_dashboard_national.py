"""The web app over real published data, checked against the published figures.

A small national store is built in the module from real files of ../shared/data
(DfE's CLA 2021-2025 release, the CIN rates, IoD2019 IDACI and DfE's 2025
statistical neighbours), served by ``lacompare serve``, and each figure the
pages print is compared with the figure read here from the raw CSV files.
Skipped (saying why) without ../shared/data or chromium.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from dashboard_server import CLA, CLA_31_MARCH, IDACI, SPECS, Server

pytestmark = [pytest.mark.browser, pytest.mark.shared]

CIN = "cin_cpp/cin_rates_per_10k_2013_to_2025_dashboard_derived.csv"
NEIGHBOURS = "stat_neighbours/stats_neighbours_long_dashboard.csv"
CLA_KEY = f"rate_per_10000[{CLA_31_MARCH}]"
LEEDS = "E08000035"
#: ONS codes since the 2024 Barnsley/Sheffield boundary change, which the registry
#: uses and DfE's 2025 files do not yet (../shared/data/la_lookup/PROVENANCE.md).
RECODED = {"E08000016": "E08000038", "E08000019": "E08000039"}
TIMEOUT = 60_000


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def published(shared_data) -> dict:
    """The 2025 CLA rates at 31 March as DfE published them, by ONS code, with
    England's and the regions', Leeds' DfE 2025 neighbours, the IDACI scores and
    DfE's list of the 153 current authorities."""
    rows = [
        r
        for r in read_rows(shared_data / CLA)
        if r["time_period"] == "2025"
        and r["population_type"] == "Children looked after on 31 March each year"
    ]
    las = {
        RECODED.get(r["new_la_code"], r["new_la_code"]): r
        for r in rows
        if r["geographic_level"] == "Local authority"
    }
    england = next(r for r in rows if r["geographic_level"] == "National")
    regions = {
        r["region_name"]: r["rate_per_10000"]
        for r in rows
        if r["geographic_level"] == "Regional"
    }
    by_dfe = {r["old_la_code"]: code for code, r in las.items()}
    leeds_dfe = las[LEEDS]["old_la_code"]
    neighbours = [
        by_dfe[r["SN_LA_number"]]
        for r in read_rows(shared_data / NEIGHBOURS)
        if r["LA.number"] == leeds_dfe
    ]
    idaci = {
        r["Upper Tier Local Authority District code (2019)"]: r["IDACI - Average score"]
        for r in read_rows(shared_data / IDACI)
    }
    current = read_rows(shared_data / "la_lookup/csc_dashboard_la_list_153.csv")
    return {
        "las": las,
        "england": england["rate_per_10000"],
        "regions": regions,
        "neighbours": neighbours,
        "idaci": idaci,
        "current": current,
    }


def number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


@pytest.fixture(scope="module")
def national_server(shared_data, tmp_path_factory) -> Iterator[Server]:
    """``lacompare serve`` over a store of four real files and a neighbour set,
    with nothing set by hand (no polarity, no labels)."""
    from lacompare.analysis import load_neighbour_set
    from lacompare.store import open_store
    from lacompare.store._ingest import ingest

    folder = tmp_path_factory.mktemp("national")
    db = folder / "national.duckdb"
    with open_store(db) as store:
        ingest(store, shared_data / CLA)
        ingest(
            store,
            shared_data / CIN,
            spec=SPECS / "dfe_dashboard_cin_rates_2013_2025.toml",
        )
        ingest(store, shared_data / IDACI, spec=SPECS / "mhclg_iod2019_upper_tier.toml")
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
    srv = Server(["--db", str(db)], folder / "serve.log")
    try:
        yield srv
    finally:
        srv.stop()


def column(page, n: int, rows: int) -> list[str]:
    """Column ``n`` of the explorer's table once it has ``rows`` rows, read in
    one go: Shiny redraws the table once the pickers receive their full lists,
    so cells read one call at a time could come from two drawings."""
    return page.wait_for_function(
        """([n, rows]) => {
            const cells = document.querySelectorAll(
                `#measure-table tbody td:nth-child(${n})`);
            return cells.length === rows &&
                Array.from(cells, c => c.textContent.trim());
        }""",
        arg=[n, rows],
        timeout=TIMEOUT,
    ).json_value()


def row_cells(page, name: str) -> list[str]:
    """The cells of the profile's headline row whose heading contains ``name``
    (heading first), read in one go (see :func:`column`)."""
    return page.wait_for_function(
        """(name) => {
            const table = document.querySelector("#profile_body table");
            const row = table && Array.from(table.querySelectorAll("tbody tr"))
                .find(r => r.querySelector("th").textContent.includes(name));
            return row && Array.from(row.querySelectorAll("th, td"),
                                     c => c.textContent.trim());
        }""",
        arg=name,
        timeout=TIMEOUT,
    ).json_value()


def test_profile_shows_published_cla_figures(
    page, national_server, published, artefacts, console_errors
):
    from playwright.sync_api import expect

    # By name, with no measures named: the headline measures are the packaged
    # defaults (CLA, CIN rates, IDACI), not whatever happens to have a polarity.
    page.goto(f"{national_server.url}/?page=profile&la=Leeds")
    body = page.locator("#profile_body")
    expect(body.locator("h2")).to_have_text("Leeds: how it compares", timeout=TIMEOUT)
    headline = body.locator("table").first
    measures = headline.locator("tbody th").all_inner_texts()
    assert any("Children looked after per 10,000" in m for m in measures), measures
    assert any("Children in need" in m for m in measures), measures
    assert any("IDACI" in m for m in measures), measures

    leeds = published["las"][LEEDS]
    nb_values = [
        number(published["las"][c]["rate_per_10000"]) for c in published["neighbours"]
    ]
    nb_values = [v for v in nb_values if v is not None]
    assert len(published["neighbours"]) == 10
    cells = row_cells(page, "Children looked after per 10,000")
    # Measure, period, Leeds, neighbours' average, region, England, rank…
    assert cells[1] == "2025"
    assert number(cells[2]) == number(leeds["rate_per_10000"])
    assert number(cells[3]) == round(sum(nb_values) / len(nb_values))
    assert number(cells[4]) == number(published["regions"]["Yorkshire and The Humber"])
    assert number(cells[5]) == number(published["england"]) == 67
    values = [number(r["rate_per_10000"]) for r in published["las"].values()]
    values = [v for v in values if v is not None]
    rank = 1 + sum(v > number(leeds["rate_per_10000"]) for v in values)
    assert cells[6] == f"{rank} of {len(values)}"
    expect(body.locator(".lac-vega svg").first).to_be_attached(timeout=TIMEOUT)
    page.screenshot(path=artefacts / "national-profile-leeds.png", full_page=True)
    assert console_errors == []


def test_explorer_ranks_cla_rate_as_published(
    page, national_server, published, artefacts, console_errors
):
    from playwright.sync_api import expect

    las = published["las"]
    page.goto(
        f"{national_server.url}/?page=measure&measure={quote(CLA_KEY)}"
        f"&period=2025&highlight={LEEDS}"
    )
    body = page.locator("#measure_body")
    table = body.locator("#measure-table table")
    expect(table).to_be_visible(timeout=TIMEOUT)
    expect(body.locator(".lac-vega svg")).to_have_count(3, timeout=TIMEOUT)
    with_value = {
        c: number(r["rate_per_10000"])
        for c, r in las.items()
        if number(r["rate_per_10000"]) is not None
    }
    codes = column(page, 2, len(with_value))
    assert sorted(codes) == sorted(with_value)
    # Every authority's rate as published, the highest first, England 67 beside.
    shown = [number(v) for v in column(page, 5, len(with_value))]
    assert shown == [with_value[c] for c in codes]
    assert shown == sorted(shown, reverse=True)
    assert set(column(page, 8, len(with_value))) == {"67"}
    # The hex map has one hexagon per current authority (153), blank where the
    # rate is suppressed.
    hexmap = body.locator(".lac-vega").first
    label = hexmap.get_attribute("aria-label") or ""
    assert f"{len(with_value)} authorities" in label
    current = {
        RECODED.get(r["new_la_code"], r["new_la_code"]) for r in published["current"]
    }
    assert len(current) == 153
    blank = current - set(with_value)
    assert f"{len(blank)} authorities have no value" in label
    page.screenshot(path=artefacts / "national-explorer-cla.png", full_page=True)

    # Leeds' statistical neighbours: DfE's 2025 set, as the published list has it.
    page.goto(
        f"{national_server.url}/?page=measure&measure={quote(CLA_KEY)}"
        f"&period=2025&group=neighbours:{LEEDS}"
    )
    expect(body.locator("h2")).to_contain_text(
        "Leeds and its statistical neighbours", timeout=TIMEOUT
    )
    codes = column(page, 2, 11)
    assert sorted(codes) == sorted([LEEDS, *published["neighbours"]])
    assert console_errors == []


def test_relationship_cla_rate_and_idaci(
    page, national_server, published, artefacts, console_errors
):
    from playwright.sync_api import expect
    from scipy.stats import spearmanr

    from lacompare.geography.changes import continuing_codes

    # Joined on the codes both files print; IDACI 2019 predates the same-area
    # recodes (Buckinghamshire, North Yorkshire, Somerset), which analyses count
    # as one series under the code of today.
    today = continuing_codes()
    idaci = {today.get(code, code): v for code, v in published["idaci"].items()}
    pairs = [
        (number(r["rate_per_10000"]), number(idaci[r["new_la_code"]]))
        for r in published["las"].values()
        if r["new_la_code"] in idaci
    ]
    pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
    r_s = spearmanr([x for x, _ in pairs], [y for _, y in pairs]).statistic
    page.goto(
        f"{national_server.url}/?page=relationships&x={quote(CLA_KEY)}"
        "&y=idaci_average_score"
    )
    stat = page.locator("#scatter_body .lac-stat")
    expect(stat).to_contain_text("Spearman r", timeout=TIMEOUT)
    assert f"= {r_s:.3f}, p < 0.001, n = {len(pairs)} authorities" in stat.inner_text()
    expect(page.locator("#scatter_body .lac-vega svg")).to_be_attached(timeout=TIMEOUT)
    page.screenshot(path=artefacts / "national-relationship.png", full_page=True)
    assert console_errors == []


def test_tables_without_javascript_say_not_found(browser, national_server):
    """The no-JS tables answer a bad link with 404 and the error in one line."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        response = page.goto(
            f"{national_server.url}/table/measure?measure={quote(CLA_KEY)}&period=2019"
        )
        assert response is not None and response.status == 404
        alert = page.locator("[role=alert]").inner_text()
        assert "has no values for period '2019'; periods: 2021, 2022" in alert
        response = page.goto(f"{national_server.url}/table/profile?la=Leeds")
        assert response is not None and response.status == 200
        assert page.locator("h1").inner_text() == "Leeds: how it compares"
    finally:
        context.close()
