"""The neighbour-sets page on the server (no browser): the side-by-side table
holds each set's ranks as neighbour_changes computes them, changes are named,
and bad requests get one-line errors with the right status."""

from __future__ import annotations

import re

import pandas as pd
import pytest

pytest.importorskip("shiny")
from starlette.testclient import TestClient  # noqa: E402

from lacompare.dashboard.app import create_app  # noqa: E402


def write_set(path, rows):
    pd.DataFrame(rows, columns=["la_name", "rank", "neighbour_name"]).to_csv(
        path, index=False
    )
    return path


@pytest.fixture
def db(tmp_path):
    from lacompare.analysis.neighbours import load_neighbour_set
    from lacompare.store import open_store

    path = tmp_path / "s.duckdb"
    old = [("Leeds", 1, "Sheffield"), ("Leeds", 2, "Bradford"), ("York", 1, "Leeds")]
    new = [("Leeds", 1, "Bradford"), ("Leeds", 2, "Kirklees"), ("York", 1, "Hull")]
    with open_store(path) as store:
        load_neighbour_set(store, write_set(tmp_path / "a.csv", old), "dfe-2021")
        load_neighbour_set(store, write_set(tmp_path / "b.csv", new), "dfe-2025")
    return path


def cells(html: str) -> list[list[str]]:
    body = html.split('<table id="neighbour-sets">')[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], flags=re.S)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r) for r in rows]


def test_page_sets_ranks_side_by_side_with_changes(db):
    with TestClient(create_app(db)) as client:
        page = client.get("/neighbours?la=leeds")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Statistical neighbour sets compared: Leeds</h1>" in html
    assert "2021 and 2025 statistical neighbour models are both in this store" in html
    heads = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html)
    assert heads[:4] == ["Neighbour", "Region", "DfE 2021 rank", "DfE 2025 rank"]
    rows = {r[0]: r[2:] for r in cells(html)}
    assert rows == {
        "Bradford": ["2", "1", "moved 2 → 1 (1 place closer)"],
        "Kirklees": ["–", "2", "joined"],
        "Sheffield": ["1", "–", "left"],
    }
    # The store has no measures to compute a set from: no column, and why.
    assert len(heads) == 5 and "not computed: " in html
    # The form lists the authorities with neighbours, Leeds chosen.
    assert re.search(r'<option value="E08000035" selected>Leeds</option>', html)
    assert "Neighbour sets</a>" in html and 'aria-current="page"' in html


def test_errors_are_one_line_with_their_status(db, tmp_path):
    with TestClient(create_app(db)) as client:
        page = client.get("/neighbours?la=Leedz")
        assert page.status_code == 400
        assert "no authority &#x27;Leedz&#x27;" in page.text
        assert 'href="/neighbours?la=E08000035"' in page.text  # the suggestion
        page = client.get("/neighbours?la=Bradford")
        assert page.status_code == 400
        assert "Bradford (E08000032) has no neighbours in dfe-2021, dfe-2025" in (
            page.text
        )
    from lacompare.store import open_store

    empty = tmp_path / "empty.duckdb"
    open_store(empty).close()
    with TestClient(create_app(empty)) as client:
        page = client.get("/neighbours")
    assert page.status_code == 404
    assert "no statistical neighbour sets" in page.text


def test_csv_download_holds_the_table_and_its_columns_are_documented(db):
    import csv
    import io

    with TestClient(create_app(db)) as client:
        page = client.get("/neighbours?la=Leeds")
        assert 'href="/neighbours.csv?la=E08000035"' in page.text
        assert "<code>rank_&lt;set&gt;</code>" in page.text
        got = client.get("/neighbours.csv?la=E08000035")
        bad = client.get("/neighbours.csv?la=Leedz")
    assert got.status_code == 200
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [r["neighbour_name"] for r in rows] == ["Bradford", "Kirklees", "Sheffield"]
    first = rows[0]
    assert (first["rank_dfe-2021"], first["rank_dfe-2025"]) == ("2", "1")
    assert first["change_dfe-2021_to_dfe-2025"] == "closer"
    assert first["places_dfe-2021_to_dfe-2025"] == "1"
    assert rows[1]["rank_dfe-2021"] == "" and rows[1]["la_name"] == "Leeds"
    assert bad.status_code == 400 and bad.text.startswith("error: no authority")


def test_form_lists_a_recoded_authority_once_and_an_ended_one_with_its_year(
    tmp_path,
):
    """North Yorkshire's 2021 rows are on its old county code (E10000023) and
    its 2025 rows on the unitary's (E06000065): one option, today's code;
    Cumbria (2021 only) is named with the year it ended."""
    from lacompare.analysis.neighbours import load_neighbour_set
    from lacompare.store import open_store

    path = tmp_path / "s.duckdb"
    old = [("North Yorkshire", 1, "York"), ("Cumbria", 1, "Northumberland")]
    new = [("North Yorkshire", 1, "York"), ("Cumberland", 1, "Northumberland")]
    with open_store(path) as store:
        load_neighbour_set(store, write_set(tmp_path / "a.csv", old), "a", None, "2021")
        load_neighbour_set(store, write_set(tmp_path / "b.csv", new), "b", None, "2025")
    with TestClient(create_app(path)) as client:
        html = client.get("/neighbours?la=North Yorkshire").text
        cumbria = client.get("/neighbours?la=E10000006").text
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html)
    assert options == [
        ("E06000063", "Cumberland"),
        ("E10000006", "Cumbria (until 2023)"),
        ("E06000065", "North Yorkshire"),
    ]
    # Matched across its change of code: York its nearest in both sets.
    assert {r[0]: r[2:] for r in cells(html)} == {"York": ["1", "1", "same rank"]}
    assert "<h1>Statistical neighbour sets compared: Cumbria</h1>" in cumbria
    assert "Cumbria is not in b (for 2025)" in cumbria
