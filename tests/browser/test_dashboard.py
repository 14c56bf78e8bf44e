"""The web app in a real browser: profiles, the explorer, downloads, uploads, no-JS.

Skipped (saying why) without ../shared/data or chromium; in CI a missing chromium
fails. Screenshots of each step are kept in tests/browser/artefacts/.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from dashboard_server import CLA_31_MARCH

pytestmark = [pytest.mark.browser, pytest.mark.shared]

CLA_KEY = f"rate_per_10000[{CLA_31_MARCH}]"
SPEND_KEY = "csc_expenditure_per_child"
TIMEOUT = 60_000


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def open_profile(page, server, la: str = "E08000035") -> None:
    page.goto(f"{server.url}/?page=profile&la={la}&m={CLA_KEY}&m={SPEND_KEY}")
    page.locator("#profile_body h2").wait_for(timeout=TIMEOUT)


def test_profile_opens_and_changes_authority(page, server, artefacts, console_errors):
    from playwright.sync_api import expect

    open_profile(page, server)
    body = page.locator("#profile_body")
    expect(body.locator("h2")).to_contain_text("Leeds", timeout=TIMEOUT)
    # The headline table: rank, band, neighbours, region and England for Leeds.
    headline = body.locator("table").first
    expect(headline.locator("caption")).to_be_visible()
    headers = " ".join(headline.locator("thead th").all_inner_texts())
    for word in ("Rank", "neighbours", "England"):
        assert word.lower() in headers.lower(), headers
    # Charts are drawn by vega-embed, each with its alt text as accessible name.
    chart = body.locator(".lac-vega").first
    expect(chart.locator("svg")).to_be_attached(timeout=TIMEOUT)
    assert len(chart.get_attribute("aria-label")) > 40
    page.screenshot(path=artefacts / "profile-leeds.png", full_page=True)

    # Change authority by a name variant the registry knows.
    page.get_by_label("Find by any name or code").fill("St.Helens")
    page.get_by_role("button", name="Find").click()
    expect(body.locator("h2")).to_contain_text("St. Helens", timeout=TIMEOUT)
    expect(page.locator("#find_status")).to_contain_text("Found St. Helens")
    # The URL holds the new state: the link can be shared.
    page.wait_for_function("() => location.search.includes('la=E08000013')")
    assert query(page.url)["la"] == ["E08000013"]
    assert query(page.url)["m"] == [CLA_KEY, SPEND_KEY]
    page.screenshot(path=artefacts / "profile-st-helens.png", full_page=True)

    # An unknown name is a one-line error, not a traceback.
    page.get_by_label("Find by any name or code").fill("Nowhereshire")
    page.get_by_role("button", name="Find").click()
    alert = page.locator("#find_status [role=alert]")
    expect(alert).to_contain_text("no authority 'Nowhereshire'")
    expect(body.locator("h2")).to_contain_text("St. Helens")
    assert console_errors == []


def test_shared_link_round_trips(page, server, artefacts, browser):
    from playwright.sync_api import expect

    url = (
        f"{server.url}/?page=measure&measure={SPEND_KEY}&period=2024/25"
        "&group=region:London&highlight=E09000007"
    )
    page.goto(url)
    body = page.locator("#measure_body")
    expect(body.locator("h2")).to_contain_text("London", timeout=TIMEOUT)
    expect(page.locator("#sel_period")).to_have_value("2024/25")
    # London's 33 authorities (those with a value) are listed.
    rows = body.locator("#measure-table tbody tr")
    expect(rows.first).to_be_visible()
    assert 25 <= rows.count() <= 33
    names = body.locator("#measure-table tbody th").all_inner_texts()
    assert "Camden" in names and "Leeds" not in names
    assert body.locator(".lac-vega").count() == 3  # hex map, ranked bars, box plots
    expect(body.locator(".lac-vega svg")).to_have_count(3, timeout=TIMEOUT)
    page.screenshot(path=artefacts / "explorer-london.png", full_page=True)

    # A second browser context (someone the link was sent to) sees the same page.
    other = browser.new_context()
    try:
        again = other.new_page()
        again.goto(url)
        expect(again.locator("#measure_body h2")).to_have_text(
            body.locator("h2").inner_text(), timeout=TIMEOUT
        )
    finally:
        other.close()

    # The table view link carries the same state to the no-JavaScript page.
    page.get_by_role("link", name="Table view (works without JavaScript)").click()
    page.wait_for_url(re.compile(r"/table/measure\?"))
    assert query(page.url)["group"] == ["region:London"]
    assert query(page.url)["period"] == ["2024/25"]
    table_names = page.locator("#measure-table tbody th").all_inner_texts()
    assert table_names == names


def test_download_profile_xlsx(page, server, tmp_path, artefacts):
    from python_calamine import CalamineWorkbook

    open_profile(page, server)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the profile (XLSX)").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    book = CalamineWorkbook.from_path(str(target))
    cells = [
        str(c)
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).to_python()
        for c in row
    ]
    assert any("Leeds" in c for c in cells)
    assert "Sources" in book.sheet_names
    page.screenshot(path=artefacts / "profile-download.png")


def test_download_measure_csv_matches_table(page, server, tmp_path):
    import pandas as pd

    page.goto(f"{server.url}/?page=measure&measure={SPEND_KEY}")
    from playwright.sync_api import expect

    page.locator("#measure-table").wait_for(timeout=TIMEOUT)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the table (CSV)").click()
    target = tmp_path / "measure.csv"
    info.value.save_as(target)
    frame = pd.read_csv(target)
    # expect() retries: Shiny redraws the table once the pickers get their lists.
    expect(page.locator("#measure-table tbody tr")).to_have_count(
        len(frame), timeout=TIMEOUT
    )
    assert len(frame) > 140
    assert {"la_code", "la_name", "value", "rank", "quartile"} <= set(frame.columns)
    # Ranks run from 1 with no gaps where values differ.
    assert frame["rank"].min() == 1


def test_upload_bad_file_shows_error_and_changes_nothing(
    page, server, tmp_path, artefacts, console_errors
):
    from playwright.sync_api import expect

    page.goto(f"{server.url}/?page=data")
    caption = page.locator("#sources-table caption")
    expect(caption).to_contain_text("Sources loaded", timeout=TIMEOUT)
    before = caption.inner_text()
    measures_before = page.locator("#measures-table caption").inner_text()
    bad = tmp_path / "bad_returns.csv"
    bad.write_text(
        "local_authority,referrals\nLeeds,12\nNot A Council,x7\n", encoding="utf-8"
    )
    # The label ends with the upload limit ("…; at most 25 MB").
    upload = page.get_by_label(re.compile(r"^File \(CSV, XLSX, XLS, ODS or Parquet"))
    upload.set_input_files(bad)
    page.get_by_label("Period for every row (optional)").fill("2021")
    expect(page.locator("#upload_file_progress")).to_contain_text(
        "Upload complete", timeout=TIMEOUT
    )
    page.get_by_role("button", name="Load the file").click()
    alert = page.locator("#upload_result [role=alert]")
    expect(alert).to_be_visible(timeout=TIMEOUT)
    text = alert.inner_text()
    assert "bad_returns.csv" in text and "lacompare-uploads" not in text
    assert "\n" not in text.strip() and "Traceback" not in text
    page.screenshot(path=artefacts / "upload-error.png", full_page=True)
    # The store is unchanged: same sources and measures listed.
    expect(caption).to_have_text(before)
    assert page.locator("#measures-table caption").inner_text() == measures_before
    assert console_errors == []


def test_keyboard_navigation(page, server, artefacts):
    from playwright.sync_api import expect

    open_profile(page, server)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # Tab on to the page tabs and open the explorer with the keyboard alone.
    for _ in range(10):
        page.keyboard.press("Tab")
        if (
            page.evaluate("document.activeElement.textContent.trim()")
            == "Authority profile"
        ):
            break
    else:
        pytest.fail("the page tabs cannot be reached with Tab")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator("#measure_body h2")).to_be_visible(timeout=TIMEOUT)
    assert query(page.url)["page"] == ["measure"]
    # The focused element is visibly outlined.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.screenshot(path=artefacts / "keyboard-explorer.png")


def test_every_page_without_console_errors(page, server, console_errors, artefacts):
    from playwright.sync_api import expect

    for name, ready in (
        ("profile", "#profile_body h2"),
        ("measure", "#measure_body h2"),
        ("relationships", "#spend_body h3"),
        ("data", "#sources-table"),
    ):
        page.goto(f"{server.url}/?page={name}")
        expect(page.locator(ready).first).to_be_visible(timeout=TIMEOUT)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=artefacts / f"page-{name}.png", full_page=True)
    scatter = page.locator("#scatter_body")
    page.goto(
        f"{server.url}/?page=relationships&x=idaci_average_score"
        f"&y={SPEND_KEY}&target={SPEND_KEY}"
    )
    expect(scatter).to_contain_text("Spearman r", timeout=TIMEOUT)
    assert re.search(r"n = \d+ authorities", scatter.inner_text())
    assert page.locator("#spend_body .lac-vega").count() >= 2  # predicted, heatmap
    assert console_errors == []


def test_tables_work_without_javascript(browser, server, artefacts):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/table/measure?measure={SPEND_KEY}")
        table = page.locator("#measure-table table")
        assert table.locator("thead th[scope=col]").count() == 8
        n = table.locator("tbody tr").count()
        assert n > 140
        page.screenshot(path=artefacts / "nojs-measure.png", full_page=True)
        # Choose a region with the plain form: a GET, so the URL can be shared.
        page.get_by_label("Comparison group").select_option("region:North East")
        page.get_by_role("button", name="Show").click()
        assert query(page.url)["group"] == ["region:North East"]
        names = page.locator("#measure-table tbody th").all_inner_texts()
        assert "Hartlepool" in names and len(names) <= 12
        # The profile table, linked from the header.
        page.get_by_role("link", name="Authority profile (table)").click()
        page.get_by_label("Authority", exact=True).select_option("E06000001")
        page.get_by_role("button", name="Show").click()
        assert page.locator("h1").inner_text().startswith("Hartlepool")
        assert page.locator("table caption").count() >= 2
        assert page.locator(".lac-vega").count() == 0  # charts as text instead
        assert page.locator(".lac-alt").count() >= 1
        page.screenshot(path=artefacts / "nojs-profile.png", full_page=True)
        # The Shiny page points people without JavaScript to the tables.
        page.goto(f"{server.url}/?page=profile&la=E06000001")
        link = page.locator("noscript a").first
        assert "/table/profile?" in (link.get_attribute("href") or "")
    finally:
        context.close()
