"""The web app's server-rendered routes on the packaged demo data (no browser).

The store is built in the test by :func:`lacompare.run_demo`; pages are fetched
through Starlette's test client. Figures on the pages are checked against
:func:`lacompare.analysis.compare` on the same store.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("shiny")
from starlette.testclient import TestClient  # noqa: E402

from lacompare.dashboard.app import create_app, page_state  # noqa: E402


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from lacompare.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo") / "demo").db


@pytest.fixture
def client(demo_db, tmp_path):
    import shutil

    db = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, db)
    with TestClient(create_app(db)) as c:
        yield c


def test_page_state_reads_repeated_measures():
    from starlette.datastructures import QueryParams

    state = page_state(QueryParams("page=nope&la=E08000035&m=a&m=b%5Bx%5D"))
    assert state["page"] == "profile"  # unknown pages fall back to the profile
    assert state["m"] == ["a", "b[x]"]
    assert state["la"] == "E08000035"


def test_measure_table_matches_compare(client, demo_db):
    from lacompare.analysis import compare
    from lacompare.store import open_store

    page = client.get("/table/measure?measure=pop_0_25&group=region:North East")
    assert page.status_code == 200
    html = page.text
    names = re.findall(r'<th scope="row">([^<]+)</th>', html)
    with open_store(demo_db, read_only=True) as store:
        table = compare(store, None, ["pop_0_25"]).table
    ne = table[(table["region"] == "North East") & table["value"].notna()]
    assert sorted(names) == sorted(ne["la_name"])
    # Rows in rank order; each printed rank is the comparison's.
    ranks = {r.la_name: int(r.rank) for r in ne.itertuples()}
    assert names == sorted(names, key=ranks.get)
    assert 'th scope="col"' in html and "<caption>" in html
    assert "Skip to main content" in html
    # The table is in the page; the one script is an enhancement (keyboard
    # scrolling of wide tables), not what draws it.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/lac/dashboard.js" defer>'
    ]


def test_profile_table_resolves_name_variants(client):
    page = client.get("/table/profile?la=Bath %26 N.E Somerset")
    assert page.status_code == 200
    assert re.search(r"<h1>Bath and North East Somerset", page.text)
    assert "format=xlsx" in page.text and "<table" in page.text
    # An authority with no value for the headline measures says so in one line.
    none = client.get("/table/profile?la=St.Helens")
    assert "St. Helens (E08000013) has no value for any of the headline" in none.text
    assert none.status_code == 404
    bad = client.get("/table/profile?la=Nowhereshire")
    assert bad.status_code == 404
    assert 'role="alert"' in bad.text
    assert "no authority &#x27;Nowhereshire&#x27;" in bad.text


def alert(html: str) -> str:
    """The one-line error of a page (unescaped)."""
    import html as h

    found = re.findall(r'<div class="lac-error" role="alert">(.*?)</div>', html, re.S)
    assert len(found) == 1, html[:500]
    return h.unescape(re.sub(r"<[^>]+>", "", found[0])).strip()


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/table/measure?measure=nope", 404, "Error: no measure 'nope' in the store"),
        (
            "/table/measure?measure=pop_0_25&period=1999",
            404,
            "has no values for period '1999'; periods: 2021",
        ),
        (
            "/table/measure?measure=pop_0_25&group=region:Atlantis",
            404,
            "Error: no region 'Atlantis' in the store",
        ),
        (
            "/table/measure?measure=pop_0_25&group=county:Kent",
            400,
            "Error: comparison group 'county:Kent': choose england, region:NAME or "
            "neighbours:AUTHORITY",
        ),
        (
            "/table/measure?measure=pop_0_25&highlight=Nowhereshire",
            404,
            "Error: no authority 'Nowhereshire'",
        ),
        (
            "/table/profile?la=Leeds&m=nope",
            404,
            "Error: no measure 'nope' in the store",
        ),
        (
            "/table/profile?la=Leeds&m=pop_0_25&m=pop_0_25",
            400,
            "Error: a measure is named twice: pop_0_25, pop_0_25",
        ),
    ],
)
def test_table_errors_are_4xx_with_one_line(client, url, status, message):
    page = client.get(url)
    assert page.status_code == status
    text = alert(page.text)
    assert message in text and "\n" not in text and "Traceback" not in text
    # The form is still there to correct the choice, and the answer is the same
    # when asked again (errors are cached with their status).
    assert '<form method="get"' in page.text
    again = client.get(url)
    assert again.status_code == status and again.text == page.text


def test_good_table_pages_are_200(client):
    assert (
        client.get("/table/measure?measure=pop_0_25&group=region:London").status_code
        == 200
    )
    assert client.get("/table/profile?la=Leeds").status_code == 200


def test_downloads(client):
    csv = client.get("/download/measure?measure=pop_0_25&format=csv")
    assert csv.status_code == 200
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("la_code,la_name") and len(lines) > 100
    xlsx = client.get("/download/profile?la=Bristol&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = client.get("/download/measure?measure=pop_0_25&format=doc")
    assert bad.status_code == 400
    assert bad.text == "error: format 'doc': choose csv or xlsx"
    missing = client.get("/download/measure?measure=nope&format=csv")
    assert missing.status_code == 404
    assert missing.text == "error: no measure 'nope' in the store"
    nobody = client.get("/download/profile?la=Nowhereshire&format=xlsx")
    assert nobody.status_code == 404 and "no authority 'Nowhereshire'" in nobody.text


def test_shiny_page_keeps_state_and_assets(client):
    page = client.get("/?page=measure&measure=pop_0_25&highlight=E08000035")
    assert page.status_code == 200
    assert 'data-value="measure"' in page.text
    assert (
        page.text
        == client.get("/?page=measure&measure=pop_0_25&highlight=E08000035").text
    )
    bundle = client.get("/assets/vega-embed.js")
    assert "window.vegaEmbed" in bundle.text and "https://cdn" not in bundle.text
    assert client.get("/healthz").text == "ok"


def test_failed_load_changes_nothing(client, tmp_path):
    from lacompare.dashboard._state import DashboardStore
    from lacompare.errors import InputError

    state = DashboardStore(tmp_path / "s.duckdb")
    bad = tmp_path / "upload.csv"
    bad.write_text("local_authority,n\nLeeds,1\nAtlantis,2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        state.load(bad, "my returns.csv", period="2021")
    assert str(err.value).startswith("my returns.csv, row 3")
    with state.store() as s:
        assert s.query("SELECT count(*) AS n FROM sources")["n"][0] == 0
    assert state.version == 0
    assert not any(state.uploads_folder().glob("*/my returns.csv"))
    good = tmp_path / "good.csv"
    good.write_text("local_authority,n\nLeeds,1\nYork,2\n", encoding="utf-8")
    result = state.load(good, "good.csv", period="2021")
    assert result.observations == 2 and state.version == 1
    with state.store() as s:
        kept = s.query("SELECT file FROM sources")["file"][0]
    assert kept.endswith("good.csv") and "lacompare-uploads" in kept
    state.close()


def test_shiny_page_resolves_or_reports_the_linked_authority(client):
    # A name variant in a shared link opens that authority.
    named = client.get("/?page=profile&la=Bath %26 N.E Somerset")
    assert named.status_code == 200
    assert re.search(r'<option value="E06000022" selected', named.text)
    assert 'role="alert"' not in named.text
    # One that resolves to nothing is said in one line, not silently replaced.
    bad = client.get("/?page=profile&la=Nowhereshire&measure=nope")
    alerts = re.findall(r'role="alert">(.*?)</div>', bad.text, re.S)
    text = " ".join(re.sub(r"<[^>]+>", "", a) for a in alerts)
    assert "la=Nowhereshire: no authority &#x27;Nowhereshire&#x27;" in text
    assert "measure=nope: no measure &#x27;nope&#x27; in the store" in text


def test_measure_picker_without_javascript_searches(client):
    page = client.get("/table/measure?q=0-25")
    assert page.status_code == 200
    import html as h

    select = page.text.split('<select id="measure"')[1].split("</select>")[0]
    options = [
        (h.unescape(k), h.unescape(t))
        for k, t in re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select)
    ]
    assert options
    assert all("0-25" in f"{t} {k}".lower() for k, t in options), options
    everything = client.get("/table/measure").text.split('<select id="measure"')[1]
    assert len(options) < everything.count("<option")
    # The search picks its first match and lists only matches.
    assert '<input id="q" name="q" type="text" value="0-25">' in page.text
    none = client.get("/table/measure?q=zzzz-no-such")
    assert none.status_code == 404
    assert "no measure matches &#x27;zzzz-no-such&#x27;" in none.text


def test_every_colour_pair_of_the_stylesheet_meets_wcag_aa():
    # The stylesheet's text colours on their rule's background (else the background
    # of the element it sits in, e.g. '.lac-header a'; else white) must reach 4.5:1,
    # WCAG 2.2 AA for normal text.
    import re
    from importlib.resources import files

    from lacompare.charts.theme import contrast_ratio

    css = files("lacompare.dashboard").joinpath("static/dashboard.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    backgrounds = {}
    for selector, body in rules:
        bg = re.search(r"background(?:-color)?:\s*(#[0-9A-Fa-f]{6})", body)
        for one in selector.split(","):
            if bg:
                backgrounds[one.strip()] = bg.group(1)
    checked = []
    for selector, body in rules:
        fg = re.search(r"(?<![-\w])color:\s*(#[0-9A-Fa-f]{6})", body)
        if not fg:
            continue
        for one in selector.split(","):
            one = one.strip()
            back = backgrounds.get(one) or backgrounds.get(one.split()[0], "#FFFFFF")
            checked.append((one, contrast_ratio(fg.group(1), back)))
    assert len(checked) >= 10
    low = [(s, round(r, 2)) for s, r in checked if r < 4.5]
    assert low == []
