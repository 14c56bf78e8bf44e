"""The web app never guesses an authority (issue 16, item 7): a profile for a
misspelt name answers with the nearest names as links, an abolished authority with
its successors; neither shows another authority's profile."""

from __future__ import annotations

import pytest

pytest.importorskip("shiny")
from starlette.testclient import TestClient  # noqa: E402

from lacompare.dashboard.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from lacompare.demo import run_demo

    db = run_demo(tmp_path_factory.mktemp("demo") / "demo").db
    with TestClient(create_app(db)) as c:
        yield c


def test_a_misspelt_profile_offers_the_authority_meant(client) -> None:
    page = client.get("/table/profile?la=Leicestr")
    assert page.status_code == 404
    assert (
        "no authority &#x27;Leicestr&#x27;; did you mean Leicester (E06000016)?"
    ) in page.text
    assert 'Did you mean: <a href="/table/profile?la=E06000016">' in page.text
    assert "<h1>Leicester" not in page.text


def test_an_abolished_authority_offers_its_successors(client) -> None:
    page = client.get("/table/profile?la=Northamptonshire")
    assert page.status_code == 404
    assert "was abolished on 2021-04-01" in page.text
    assert (
        'Its successors: <a href="/table/profile?la=E06000061">North '
        "Northamptonshire (E06000061)</a>"
    ) in page.text


def test_a_right_name_still_finds_the_profile(client) -> None:
    page = client.get("/table/profile?la=leeds")
    assert page.status_code == 200 and "<h1>Leeds" in page.text
