"""The profile's year-by-year marks, the zero option in the URL and the
"About this download" lists on the no-JavaScript pages (issue 20 items 3, 4, 5)."""

from __future__ import annotations

import re
from html import unescape

import pytest

pytest.importorskip("shiny")
from starlette.testclient import TestClient  # noqa: E402

from lacompare.dashboard._pages import (  # noqa: E402
    MEASURE_CSV_COLUMNS,
    about_download,
    page_state,
)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """The North East on one measure over four years; the first authority far
    above the rest in 2022, far below in 2024, suppressed in 2023."""
    from lacompare.store import open_store

    path = tmp_path_factory.mktemp("marks") / "marks.duckdb"
    with open_store(path) as store:
        store.con.execute(
            "INSERT INTO measures (measure, label, unit, polarity) VALUES "
            "('rate', 'Rate of something', 'per 10,000', 'higher-is-worse')"
        )
        codes = sorted(
            store.list_authorities().query("region == 'North East'")["la_code"]
        )
        jump = {"2021": 51.0, "2022": 90.0, "2023": None, "2024": 30.0}
        rows = [
            {
                "la_code": c,
                "measure": "rate",
                "period": p,
                "value": jump[p] if k == 0 else 50.0 + k % 4,
                **({"missing_reason": "suppressed"} if k == 0 and p == "2023" else {}),
            }
            for p in jump
            for k, c in enumerate(codes)
        ]
        store.write_cells(rows, file="marks")
    return path, codes[0]


@pytest.fixture(scope="module")
def client(small_db):
    from lacompare.dashboard.app import create_app

    with TestClient(create_app(small_db[0])) as c:
        yield c


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


def test_profile_table_marks_significant_years_with_a_key(client, small_db) -> None:
    _, code = small_db
    r = client.get(f"/table/profile?la={code}&m=rate")
    assert r.status_code == 200
    text = _text(r.text)
    years = text[text.index("year by year") :]
    assert re.search(r"2022 90 ▲ Higher \((95|99\.8)%\)", years)
    assert re.search(r"2024 30 ▼ Lower \((95|99\.8)%\)", years)
    assert re.search(r"2021 51 Not significant", years)
    # The suppressed year prints the publisher's symbol, and the key says so.
    assert re.search(r"2023 \[c\]", years)
    assert "[c] suppressed to protect confidentiality" in years
    assert "▲ significantly higher, ▼ significantly lower" in years
    # Figures are right-aligned.
    row = re.search(r"<tr class=\"item\"><th scope=\"row\">2022</th>(.*?)</tr>", r.text)
    assert row and row.group(1).startswith('<td style="text-align:right">90</td>')


def test_zero_is_kept_in_the_url(client, small_db) -> None:
    _, code = small_db
    assert page_state({"zero": "1"})["zero"] == "1"
    assert page_state({"zero": "0"})["zero"] is None
    r = client.get(f"/table/profile?la={code}&m=rate&zero=1")
    assert r.status_code == 200
    assert '<input type="hidden" name="zero" value="1">' in r.text
    assert "zero=1" in r.text.split("Downloads")[1]
    app = client.get(f"/?page=profile&la={code}&m=rate&zero=1")
    assert re.search(r'id="sel_zero"[^>]*checked', app.text)
    assert not re.search(
        r'id="sel_zero"[^>]*checked', client.get(f"/?la={code}&m=rate").text
    )


def test_about_this_download_lists_the_csvs_columns(client) -> None:
    r = client.get("/table/measure?measure=rate")
    assert r.status_code == 200
    about = r.text[r.text.index("About this download") :]
    about = about[: about.index("</details>")]
    listed = re.findall(r"<dt><code>(.*?)</code></dt>", about)
    names = {n for group in listed for n in group.split(", ")}
    csv = client.get("/download/measure?measure=rate&format=csv")
    header = csv.text.splitlines()[0].split(",")
    # Every column of the CSV is documented, and only those.
    assert names == set(header)
    assert "as named" not in about
    assert about_download(MEASURE_CSV_COLUMNS, ["la_code", "new"])[-1] == ("new", "")
    profile = client.get("/table/profile?m=rate").text
    assert "About this download" in profile and "Headline values" in profile


def test_the_downloaded_profile_keeps_the_axis_from_zero(client, small_db) -> None:
    import base64

    _, code = small_db

    def axis_from_zero(extra: str) -> bool:
        page = client.get(f"/download/profile?la={code}&m=rate&format=html{extra}")
        assert page.status_code == 200
        first = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page.text)
        svg = base64.b64decode(first.group(1)).decode()
        return bool(re.search(r">0</text>", svg))

    assert axis_from_zero("&zero=1")
    assert not axis_from_zero("")
