"""Profiles of several authorities: ``--authority all``, a list, ``--region``,
the index page, and names refused before any file is written."""

from __future__ import annotations

import re
from html import unescape

import pytest
from typer.testing import CliRunner

from lacompare.errors import InputError
from lacompare.report._profile import prepare_profiles
from lacompare.report._profile_batch import select_authorities, write_profile_index

#: Authorities with figures: three in the North East, three in London, and
#: Bristol (a name with a comma of its own). Every other authority has none.
WITH_VALUES = {
    "E06000047": "County Durham",
    "E08000021": "Newcastle upon Tyne",
    "E06000001": "Hartlepool",
    "E09000002": "Barking and Dagenham",
    "E09000003": "Barnet",
    "E09000007": "Camden",
    "E06000023": "Bristol, City of",
}


@pytest.fixture(scope="module")
def small(tmp_path_factory, write_small_store):
    """Seven authorities × two measures × two years (one suppressed value)."""
    path = tmp_path_factory.mktemp("batch") / "small.duckdb"
    return write_small_store(path, WITH_VALUES, 50.0)


@pytest.fixture(scope="module")
def data(small):
    from lacompare.store import open_store

    with open_store(small, read_only=True) as store:
        return prepare_profiles(store, ["cla_rate", "timely"], with_spend=False)


def _links(index_html: str) -> dict[str, str]:
    """Authority name → the file its link points at, from the index page."""
    return {
        unescape(name): href
        for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', index_html)
    }


def test_all_writes_a_file_per_authority_and_an_index(small, tmp_path):
    from lacompare.cli import app

    out = tmp_path / "profiles"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "la-profile",
            "--authority",
            "all",
            "--jobs",
            "2",
            "--db",
            str(small),
            "--out",
            str(out),
            "-m",
            "cla_rate",
            "-m",
            "timely",
        ],
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.glob("profile-*.html"))
    assert files == sorted(f"profile-{c}.html" for c in WITH_VALUES)
    index = (out / "index.html").read_text()
    links = _links(index)
    assert set(links) == set(WITH_VALUES.values())
    for code, name in WITH_VALUES.items():
        assert links[name] == f"profile-{code}.html"
        assert f"{name}: how it compares" in unescape((out / links[name]).read_text())
    # Each row: the region and the headline figures (2025; Camden's suppressed).
    text = unescape(re.sub(r"<[^>]+>", " ", index))
    assert re.search(r"Barnet\s+London\s+87\s+83%", text), text
    assert re.search(r"Camden\s+London\s+94\s+\[c\]", text), text
    assert "[c] suppressed to protect confidentiality" in text
    assert "wrote 7 profiles (HTML" in result.output
    assert "index.html" in result.output


def test_region_writes_only_its_authorities(small, tmp_path):
    from lacompare.cli import app

    out = tmp_path / "ne"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "la-profile",
            "--region",
            "north east",
            "--db",
            str(small),
            "--out",
            str(out),
            "-m",
            "cla_rate",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("profile-*.html")) == [
        "profile-E06000001.html",
        "profile-E06000047.html",
        "profile-E08000021.html",
    ]
    assert set(_links((out / "index.html").read_text())) == {
        "County Durham",
        "Hartlepool",
        "Newcastle upon Tyne",
    }
    # The region's other authorities have no figures: said, not written.
    assert "no figures, so no profile:" in result.output
    assert "Gateshead" in result.output


def test_a_bad_name_in_the_list_is_refused_naming_it(small, tmp_path):
    from lacompare.cli import app

    out = tmp_path / "bad"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "la-profile",
            "--authority",
            "Camden,Atlantis,Barnet",
            "--db",
            str(small),
            "--out",
            str(out),
            "-m",
            "cla_rate",
        ],
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Atlantis" in lines[0], result.output
    assert not list(out.glob("*"))  # checked before any file is written


def test_a_list_keeps_names_with_commas(data):
    codes, skipped = select_authorities(data, "Barnet, Bristol, City of,camden")
    assert codes == ["E09000003", "E06000023", "E09000007"]  # by name
    assert skipped == []


def test_refusals(data):
    with pytest.raises(
        InputError, match="no region 'Narnia'; choose one of East Midlands"
    ):
        select_authorities(data, None, "Narnia")
    with pytest.raises(
        InputError,
        match=r"no figure for any headline measure: "
        r"Leeds \(E08000035\)",
    ):
        select_authorities(data, "Camden, Leeds")
    with pytest.raises(InputError, match="none of the authorities named is in London"):
        select_authorities(data, "Hartlepool, County Durham", "london")


def test_list_and_region_together(data):
    codes, _ = select_authorities(data, "Camden,Hartlepool,Barnet", "London")
    assert codes == ["E09000003", "E09000007"]


def test_index_from_paths(data, tmp_path):
    paths = [tmp_path / "profile-E09000007.html"]
    index = write_profile_index(data, paths, tmp_path, skipped=["Leeds"])
    html = index.read_text()
    assert _links(html) == {"Camden": "profile-E09000007.html"}
    assert "No profile (no figure for any headline measure): Leeds." in html
    assert "http://" not in html and "<script" not in html
