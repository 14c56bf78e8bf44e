"""The neighbour-sets page in a real browser: an authority's DfE 2021 and 2025
statistical neighbours and a computed set side by side, checked against DfE's
published files, changed with the form, and checked with axe-core.

The store is built in the module from real files of ../shared/data: DfE's two
neighbour workbooks as published (sn_april_2021.xlsx, sn_may_2025.xlsx), and
IoD2019 IDACI, from which a computed set is made. Skipped (saying why) without
../shared/data or chromium. Screenshots go to tests/browser/artefacts/.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import pytest
from axe import serious_violations
from dashboard_server import IDACI, SPECS, Server

pytestmark = [pytest.mark.browser, pytest.mark.shared]

TIMEOUT = 60_000
SN = "stat_neighbours"


@pytest.fixture(scope="module")
def nb_store(shared_data, tmp_path_factory):
    """Both DfE sets from their published workbooks and a set computed from
    IDACI; also the store's DfE code -> name for checking the page."""
    from lacompare.analysis import compute_neighbours, load_neighbour_set
    from lacompare.store import open_store
    from lacompare.store._ingest import ingest

    path = tmp_path_factory.mktemp("nb-store") / "nb.duckdb"
    with open_store(path) as store:
        for set_id, name, day in (
            ("dfe-2021", "sn_april_2021.xlsx", "2021-22"),
            ("dfe-2025", "sn_may_2025.xlsx", "2025-26"),
        ):
            load_neighbour_set(store, shared_data / SN / name, set_id, valid_for=day)
        ingest(store, shared_data / IDACI, spec=SPECS / "mhclg_iod2019_upper_tier.toml")
        idaci = [m for m in store.list_measures()["measure"] if "idaci" in m][0]
        compute_neighbours(store, [idaci], k=10, set_id="computed-idaci")
        codes = store.query("SELECT dfe_code, la_name FROM authorities")
    names = dict(zip(codes["dfe_code"].astype(str), codes["la_name"], strict=True))
    return path, names


@pytest.fixture(scope="module")
def nb_server(nb_store, tmp_path_factory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("nb-server") / "serve.log"
    srv = Server(["--db", str(nb_store[0])], log)
    try:
        yield srv
    finally:
        srv.stop()


def published(shared_data, la_number: str) -> dict[str, list[str]]:
    """An authority's ten neighbours (DfE codes, nearest first) in each model,
    read from DfE's CSV copies of the two workbooks."""
    out = {}
    for set_id, name, first in (
        ("dfe-2021", "New_Statistical_Neighbour_Groupings_April_2021.csv", 5),
        ("dfe-2025", "sn_model_2025_wide.csv", 4),
    ):
        with (shared_data / SN / name).open(encoding="utf-8-sig", newline="") as f:
            row = next(r for r in csv.reader(f) if r and r[0] == la_number)
        out[set_id] = [row[first + 2 * i] for i in range(10)]
    return out


def column(page, heading: str) -> list[str]:
    """The cells of the side-by-side table's column headed ``heading``."""
    heads = page.locator("#neighbour-sets thead th").all_inner_texts()
    index = heads.index(heading)
    rows = page.locator("#neighbour-sets tbody tr")
    return [
        rows.nth(i).locator("th, td").nth(index).inner_text()
        for i in range(rows.count())
    ]


def ranked(page, heading: str) -> list[str]:
    """The neighbours the table ranks in a set, nearest first."""
    names = column(page, "Neighbour")
    ranks = column(page, heading)
    pairs = sorted((int(r), n) for r, n in zip(ranks, names, strict=True) if r != "–")
    return [n for _, n in pairs]


def test_leeds_sets_side_by_side_as_published(
    page, nb_server, nb_store, shared_data, artefacts, console_errors
):
    from playwright.sync_api import expect

    names = nb_store[1]
    page.goto(f"{nb_server.url}/neighbours?la=Leeds", timeout=TIMEOUT)
    expect(page.locator("h1")).to_have_text(
        "Statistical neighbour sets compared: Leeds"
    )
    expect(page.locator(".lac-lead")).to_contain_text(
        "2021 and 2025 statistical neighbour models are both in this store"
    )
    want = published(shared_data, "383")
    assert ranked(page, "DfE 2021 rank") == [names[c] for c in want["dfe-2021"]]
    assert ranked(page, "DfE 2025 rank") == [names[c] for c in want["dfe-2025"]]
    assert len(ranked(page, "Computed (computed-idaci) rank")) == 10

    # What changed, 2021 to 2025, in the table and in words.
    change = dict(
        zip(
            column(page, "Neighbour"),
            column(page, "Change, DfE 2021 to DfE 2025"),
            strict=True,
        )
    )
    joined = {names[c] for c in set(want["dfe-2025"]) - set(want["dfe-2021"])}
    left = {names[c] for c in set(want["dfe-2021"]) - set(want["dfe-2025"])}
    assert {n for n, c in change.items() if c == "joined"} == joined
    assert {n for n, c in change.items() if c == "left"} == left
    both = set(want["dfe-2021"]) & set(want["dfe-2025"])
    for code in both:
        r21, r25 = want["dfe-2021"].index(code) + 1, want["dfe-2025"].index(code) + 1
        text = change[names[code]]
        assert (
            text == "same rank"
            if r21 == r25
            else text.startswith(f"moved {r21} → {r25}")
        )
    words = page.locator("h3", has_text="DfE 2021 to DfE 2025").locator("+ ul")
    expect(words).to_contain_text(f"In both: {len(both)} of the neighbours.")
    expect(words).to_contain_text(f"Joined ({len(joined)}):")
    page.screenshot(path=artefacts / "neighbours-leeds.png", full_page=True)
    assert serious_violations(page) == []
    assert console_errors == []


def test_the_form_changes_authority_and_unknown_names_are_refused(
    page, nb_server, artefacts
):
    from playwright.sync_api import expect

    page.goto(f"{nb_server.url}/neighbours", timeout=TIMEOUT)
    # With no authority named, Leeds is shown.
    expect(page.locator("h1")).to_contain_text("Leeds")
    # Keyboard only: the select, then the button.
    page.get_by_label("Authority").focus()
    page.get_by_label("Authority").select_option(label="Cumberland")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/neighbours\?la=E06000063"))
    expect(page.locator("h1")).to_have_text(
        "Statistical neighbour sets compared: Cumberland"
    )
    # Cumberland began in 2023: not in DfE's 2021 set, and the page says so.
    expect(page.locator("main")).to_contain_text("Cumberland is not in dfe-2021")
    heads = page.locator("#neighbour-sets thead th").all_inner_texts()
    assert "DfE 2021 rank" not in heads and "DfE 2025 rank" in heads
    assert serious_violations(page) == []

    response = page.goto(f"{nb_server.url}/neighbours?la=Leedz", timeout=TIMEOUT)
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("no authority 'Leedz'")
    page.get_by_role("link", name=re.compile("^Leeds")).click()
    expect(page.locator("h1")).to_contain_text("Leeds")
    page.screenshot(path=artefacts / "neighbours-after-suggestion.png", full_page=True)
