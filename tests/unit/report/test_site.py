"""The static site (``lacompare publish site``): its pages, search index and data
files, written from a small store of seven authorities."""

from __future__ import annotations

import json
import re
from html import unescape

import pandas as pd
import pytest
from typer.testing import CliRunner

from lacompare.errors import InputError

#: Authorities with figures (two regions); every other authority has none.
WITH_VALUES = {
    "E06000047": "County Durham",
    "E08000021": "Newcastle upon Tyne",
    "E06000001": "Hartlepool",
    "E09000002": "Barking and Dagenham",
    "E09000003": "Barnet",
    "E09000007": "Camden",
}


@pytest.fixture(scope="module")
def small(tmp_path_factory, write_small_store):
    """Six authorities × two measures × two years; Camden's 2025 'timely'
    figure suppressed."""
    path = tmp_path_factory.mktemp("site") / "small.duckdb"
    return write_small_store(path, WITH_VALUES, 50.123)


@pytest.fixture(scope="module")
def site(small, tmp_path_factory):
    from lacompare.report import write_site
    from lacompare.store import open_store

    out = tmp_path_factory.mktemp("published") / "site"
    with open_store(small, read_only=True) as store:
        return write_site(
            store, out, authority="Hartlepool, Camden", measures=["cla_rate", "timely"]
        )


def _index(site) -> list[dict]:
    text = (site.folder / "search-index.js").read_text()
    prefix = "window.LACOMPARE_SITE_INDEX = "
    assert text.startswith(prefix)
    return json.loads(text.removeprefix(prefix).rstrip().rstrip(";"))


def test_search_index_lists_profiles_indicators_and_regions(site):
    entries = _index(site)
    kinds: dict[str, list[str]] = {}
    for e in entries:
        kinds.setdefault(e["kind"], []).append(e["name"])
        # Every link is relative and points at a page that was written.
        assert (site.folder / e["href"]).is_file(), e
    assert kinds["Authority profile"] == ["Camden", "Hartlepool"]
    assert len(kinds["Indicator"]) == 2
    assert {"North East", "London"} <= set(kinds["Region"])
    hartlepool = next(e for e in entries if e["name"] == "Hartlepool")
    assert "E06000001" in hartlepool["detail"] and "North East" in hartlepool["detail"]


def test_every_page_links_its_assets_relatively(site):
    pages = [site.index, *site.indicators, *site.regions]
    for page in pages:
        text = page.read_text()
        # Nothing is fetched from a network (a spec's $schema is only a name).
        assert not re.search(r'(?:src|href)="(?:https?:)?//', text), page
        for ref in re.findall(r'(?:src|href)="([^"#?]+)', text):
            assert (page.parent / ref).exists(), (page, ref)
    assert (site.folder / "vega-embed.js").stat().st_size > 100_000
    # Each profile links back to the search page.
    for profile in site.profiles:
        assert '<a href="../index.html">' in profile.read_text()


def test_indicator_page_ranks_every_authority(site):
    page = next(p for p in site.indicators if "timely" in p.name).read_text()
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)[1:]
    first = re.findall(r">([^<>]+)</(?:td|th|a)>", rows[0])
    # Higher is better: the highest 2025 value ranks first; Camden's is suppressed.
    assert first[:2] == ["1 of 5", "Barnet"]
    camden = next(r for r in rows if "Camden" in r)
    assert '<td class="num">[c]</td>' in camden
    # Authorities with a profile are linked; the others are named only.
    assert '<a href="../profiles/profile-E06000001.html">Hartlepool</a>' in page
    assert ">Barnet</th>" in page
    assert page.count('id="hex-spec"') == 1 and page.count('id="ranked-spec"') == 1


def test_region_page_holds_each_authority_region_and_england(site):
    page = next(p for p in site.regions if p.name == "north-east.html").read_text()
    table = page[page.index("<table") : page.index("</table>")]
    heads = [
        unescape(h) for h in re.findall(r'<th scope="row">(?:<a[^>]*>)?([^<]+)', table)
    ]
    assert heads[:3] == ["County Durham", "Hartlepool", "Newcastle upon Tyne"]
    assert heads[-2:] == ["North East", "England"]
    assert page.count('class="vega"') == 2


def test_headline_data_rounds_and_keeps_the_unrounded_value(site):
    table = pd.read_csv(site.folder / "data" / "headline.csv", dtype={"period": str})
    row = table[
        (table["area_name"] == "Hartlepool")
        & (table["indicator"] == "cla_rate")
        & (table["period"] == "2024")
    ].iloc[0]
    assert row["value_unrounded"] == pytest.approx(50.123)
    assert row["value"] != row["value_unrounded"]
    assert row["value"] == pytest.approx(row["value_unrounded"], abs=0.5)
    assert set(table["area_type"]) == {"authority", "region", "england"}
    payload = json.loads((site.folder / "data" / "headline.json").read_text())
    assert payload["columns"] == list(table.columns)
    assert len(payload["rows"]) == len(table)
    assert [i["key"] for i in payload["indicators"]] == ["cla_rate", "timely"]


def test_a_file_name_is_refused(small, tmp_path):
    from lacompare.report import write_site
    from lacompare.store import open_store

    with open_store(small, read_only=True) as store, pytest.raises(InputError):
        write_site(store, tmp_path / "site.html", authority="Hartlepool")


def test_publish_site_command(small, tmp_path):
    from lacompare.cli import app

    out = tmp_path / "web"
    result = CliRunner().invoke(
        app,
        [
            "publish", "site", str(out), "--db", str(small),
            "--authority", "Barnet", "-m", "cla_rate", "--jobs", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 profiles" in result.output and "index.html" in result.output
    assert (out / "profiles" / "profile-E09000003.html").is_file()
    bad = CliRunner().invoke(
        app, ["publish", "site", str(out), "--db", str(small), "--authority", "Nowhere"]
    )
    assert bad.exit_code != 0 and "Traceback" not in bad.output
