"""Create your own (``/create``, ``/table/custom`` and its CSV/XLSX) and the
regional page (``/region``) over a small store built here.

The store holds two catalogue indicators (CLA rate per 10,000, decimals 0; social
worker turnover %, decimals 1) for four authorities in two regions, a suppressed
value, England's published totals and one region's; pages are fetched through
Starlette's test client and their cells read back.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

pytest.importorskip("shiny")
from starlette.testclient import TestClient  # noqa: E402

from lacompare.dashboard.app import create_app  # noqa: E402

LEEDS, WAKEFIELD, YORK, NEWCASTLE = "E08000035", "E08000036", "E06000014", "E08000021"
CLA, TURNOVER = "cla_rate_per_10000", "social_worker_turnover_rate"
TWO_BY_TWO = f"la=Leeds&la=Wakefield&measure={CLA}&measure={TURNOVER}&periods=all"


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    from lacompare.store import open_store

    path = tmp_path_factory.mktemp("custom") / "small.duckdb"
    rows = [
        (LEEDS, "LAC", "2023", 83.4),
        (LEEDS, "LAC", "2024", 89.5),  # rounds half away from zero: 90
        (WAKEFIELD, "LAC", "2023", 87.0),
        (WAKEFIELD, "LAC", "2024", "suppressed"),
        (YORK, "LAC", "2024", 45.0),
        (NEWCASTLE, "LAC", "2023", 101.2),
        (NEWCASTLE, "LAC", "2024", 99.6),
        (LEEDS, "turnover_rate_fte", "2023", 13.14),
        (LEEDS, "turnover_rate_fte", "2024", 9.05),
        (WAKEFIELD, "turnover_rate_fte", "2023", 19.46),
        (WAKEFIELD, "turnover_rate_fte", "2024", 17.7),
    ]
    cells = [
        {"la_code": la, "measure": m, "period": p}
        | ({"missing_reason": v} if isinstance(v, str) else {"value": v})
        for la, m, p, v in rows
    ]
    with open_store(path) as store:
        store.write_cells(cells, file="small.csv")
        # Published totals, as a publisher's file gives them (England both
        # years, Yorkshire and The Humber 2024 only: its 2023 is computed).
        store.con.execute(
            "INSERT INTO totals (area_code, area_name, measure, period, breakdown, "
            "value, source_id, check_result) VALUES "
            "('E92000001', 'England', 'LAC', '2023', '', 70, 1, 'not-additive'), "
            "('E92000001', 'England', 'LAC', '2024', '', 69.4, 1, 'not-additive'), "
            "('E12000003', 'Yorkshire and The Humber', 'LAC', '2024', '', 79, 1, "
            "'not-additive')"
        )
    return path


@pytest.fixture(scope="module")
def client(small_db):
    with TestClient(create_app(small_db)) as c:
        yield c


def tables(html: str) -> dict[str, dict[str, list[str]]]:
    """Each custom table by its heading: row label -> the cells' text."""
    out = {}
    heads = re.findall(r'<h2 class="lac-table-title"[^>]*>([^<]+)<', html)
    bodies = re.findall(r'<table id="[^"]+" class="lac-custom".*?</table>', html, re.S)
    assert len(heads) == len(bodies), (heads, len(bodies))
    for head, body in zip(heads, bodies, strict=True):
        rows = {}
        for tr in re.findall(r"<tr data-area[^>]*>(.*?)</tr>", body, re.S):
            label = re.search(r'<th scope="row">([^<]*)</th>', tr).group(1)
            rows[label] = re.findall(r'<td class="lac-num">([^<]*)</td>', tr)
        out[head.strip()] = rows
    return out


def test_two_authorities_two_indicators_rounded_with_symbols(client):
    page = client.get(f"/table/custom?{TWO_BY_TWO}")
    assert page.status_code == 200, page.text
    got = tables(page.text)
    cla = got["Children looked after per 10,000 children"]
    turnover = got["Social worker turnover rate (%)"]
    # Both authorities in both tables, rounded as the catalogue says.
    assert cla["Leeds"] == ["83", "90"]
    assert cla["Wakefield"] == ["87", "[c]"]
    assert turnover["Leeds"] == ["13.1", "9.1"]
    assert turnover["Wakefield"] == ["19.5", "17.7"]
    # England's published figures; the region's 2023 computed and marked.
    assert cla["England"] == ["70", "69"]
    assert cla["Yorkshire and The Humber"] == ["85†", "79"]
    assert "computed: mean of 2 authorities (no published figure)" in page.text
    # The key explains the symbol shown; columns are years.
    assert "[c] suppressed to protect confidentiality" in page.text
    assert '<th scope="col" class="lac-num">2024</th>' in page.text
    # The table is in the page: the one script only makes wide tables' scrolling
    # box reachable by keyboard (progressive enhancement).
    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/lac/dashboard.js" defer>'
    ]
    for href in ("/table/custom.csv?", "/table/custom.xlsx?", "/create?"):
        assert href in page.text


def test_csv_rounded_and_unrounded(client):
    page = client.get(f"/table/custom.csv?{TWO_BY_TWO}")
    assert page.status_code == 200, page.text
    rows = list(csv.DictReader(io.StringIO(page.text)))
    by = {(r["indicator_id"], r["area_name"], r["period"]): r for r in rows}
    leeds = by[(CLA, "Leeds", "2024")]
    assert (leeds["value"], float(leeds["value_unrounded"])) == ("90", 89.5)
    assert by[(TURNOVER, "Leeds", "2024")]["value"] == "9.1"
    wake = by[(CLA, "Wakefield", "2024")]
    assert (wake["value"], wake["value_unrounded"], wake["missing_reason"]) == (
        "[c]",
        "",
        "suppressed",
    )
    eng = by[(CLA, "England", "2024")]
    assert (eng["area_type"], eng["published"], eng["computed"]) == (
        "england",
        "true",
        "false",
    )
    region = by[(CLA, "Yorkshire and The Humber", "2023")]
    assert region["computed"] == "true" and region["value"] == "85"
    assert {r["indicator_id"] for r in rows} == {CLA, TURNOVER}


def test_xlsx_has_rounded_and_unrounded_sheets(client):
    from openpyxl import load_workbook

    page = client.get(f"/table/custom.xlsx?{TWO_BY_TWO}")
    assert page.status_code == 200, page.text
    book = load_workbook(io.BytesIO(page.content))
    assert book.sheetnames == ["Rounded", "Unrounded", "Notes"]

    def row(sheet, name, nth=0):
        found = [r for r in book[sheet].iter_rows(values_only=True) if r[0] == name]
        return found[nth]

    # First block: the CLA rate (periods 2023, 2024 in columns D and E).
    assert row("Rounded", "Leeds")[3:5] == (83, 90)
    assert row("Unrounded", "Leeds")[3:5] == (83.4, 89.5)
    assert row("Rounded", "Wakefield")[3:5] == (87, "[c]")
    # Second block: turnover, one decimal.
    assert row("Rounded", "Leeds", 1)[3:5] == (13.1, 9.1)
    assert row("Unrounded", "Leeds", 1)[3:5] == (13.14, 9.05)
    cells = [c for r in book["Rounded"].iter_rows() for c in r if c.value == 13.1]
    assert cells[0].number_format == "#,##0.0"
    notes = [r[0] for r in book["Notes"].iter_rows(values_only=True)]
    assert "[c] suppressed to protect confidentiality" in notes


def test_unknown_names_are_400_with_a_message(client):
    page = client.get(f"/table/custom?la=Nowhereshire&measure={CLA}")
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "no authority &#x27;Nowhereshire&#x27;" in (
        page.text
    )
    page = client.get("/table/custom?la=Leeds&measure=cla_rate")
    assert page.status_code == 400
    assert "no indicator &#x27;cla_rate&#x27;" in page.text
    assert "cla_rate_per_10000" in page.text  # the near id is suggested
    page = client.get("/table/custom?la=Leeds")
    assert page.status_code == 400 and "choose at least one indicator" in page.text
    page = client.get(f"/table/custom?region=Atlantis&measure={CLA}")
    assert page.status_code == 400 and "no region" in page.text
    csv_page = client.get("/table/custom.csv?la=Nowhereshire&measure=" + CLA)
    assert csv_page.status_code == 400 and "Traceback" not in csv_page.text


def test_region_group_and_all(client):
    region = tables(
        client.get(f"/table/custom?region=Yorkshire and The Humber&measure={CLA}").text
    )["Children looked after per 10,000 children"]
    assert list(region) == [
        "Leeds",
        "Wakefield",
        "York",
        "Yorkshire and The Humber",
        "England",
    ]
    group = tables(
        client.get(f"/table/custom?group=region:North East&measure={CLA}").text
    )["Children looked after per 10,000 children"]
    assert group["Newcastle upon Tyne"] == ["101", "100"]
    everyone = client.get(f"/table/custom?la=all&measure={CLA}&periods=latest:1")
    got = tables(everyone.text)["Children looked after per 10,000 children"]
    assert set(got) >= {"Leeds", "Wakefield", "York", "Newcastle upon Tyne", "England"}
    assert got["York"] == ["45"]  # latest:1 is 2024 only
    assert "North East" in got and "Yorkshire and The Humber" in got


def test_create_page_lists_and_searches(client):
    page = client.get("/create")
    assert page.status_code == 200
    for ind in (CLA, TURNOVER):
        assert f'name="measure" value="{ind}"' in page.text
    assert f'name="la" value="{LEEDS}"' in page.text
    assert 'action="/table/custom"' in page.text and 'method="get"' in page.text
    # A search keeps what is ticked and lists what matches.
    found = client.get(f"/create?q=turnover&measure={CLA}&la={LEEDS}")
    assert f'value="{CLA}" id="m-{CLA}" checked' in found.text
    assert f'value="{TURNOVER}"' in found.text
    assert f'value="{LEEDS}" id="la-{LEEDS}" checked' in found.text
    assert "2 of 2 indicators listed" in found.text
    none = client.get("/create?q=zzzz")
    assert "No indicator matches" in none.text


def test_region_page(client):
    page = client.get(f"/region?name=yorkshire and the humber&measure={CLA}")
    assert page.status_code == 200, page.text
    got = tables(page.text)["Children looked after per 10,000 children"]
    assert list(got) == [
        "Leeds",
        "Wakefield",
        "York",
        "Yorkshire and The Humber",
        "England",
    ]
    assert got["York"] == ["–", "45"]  # no figure in 2023: the dash, with its key
    assert "– no figure" in page.text
    # Wakefield's 2024 figure is suppressed: 2 of the 3 have one.
    assert "Yorkshire and The Humber has 3 authorities; 2 have a figure for 2024." in (
        page.text
    )
    assert 'class="lac-vega"' in page.text and "Line chart of" in page.text
    assert "/table/custom.csv?region=Yorkshire" in page.text
    bad = client.get(f"/region?name=Atlantis&measure={CLA}")
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    bad = client.get("/region?name=North East&measure=nope")
    assert bad.status_code == 400 and "no indicator" in bad.text
    other = client.get(f"/region?name=North East&measure={CLA}&highlight=Leeds")
    assert other.status_code == 200 and "none is picked out" in other.text


def test_measure_table_links_to_the_region(client):
    page = client.get("/table/measure?measure=LAC&group=region:North East")
    assert page.status_code == 200
    assert "/region?name=North+East&amp;measure=cla_rate_per_10000" in page.text
    nav = client.get("/table/profile?la=Leeds&m=LAC")
    assert "/region?name=Yorkshire+and+The+Humber&amp;measure=cla_rate_per_10000" in (
        nav.text
    )


def test_hex_map_names_codes_not_on_the_map():
    """The explorer's hex map for a measure last published before 2021 (IDACI
    2019): old county codes are left off the map and named under it."""
    import pandas as pd

    from lacompare.charts import chart_spec, hex_map_chart, read_hex_layout

    layout = read_hex_layout()
    data = pd.DataFrame(
        {
            "la_code": [*layout["la_code"][:100], "E10000006", "E10000021"],
            "value": [float(v) for v in range(102)],
        }
    )
    chart = hex_map_chart(data, measure="IDACI average score", period="2019")
    note = (
        "Not on the map (not current upper-tier authorities): Cumbria (until 2023), "
        "E10000006; Northamptonshire (until 2021), E10000021."
    )
    assert chart.description.endswith(note)
    spec = chart_spec(chart)
    drawn = [
        " ".join(row["text"])
        for rows in spec.get("datasets", {}).values()
        for row in rows
        if isinstance(row.get("text"), list)
    ]
    # The note is drawn under the map (wrapped), not only in the alt text.
    assert [" ".join(d.split()) for d in drawn] == [note]
