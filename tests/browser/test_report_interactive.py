"""HTML reports written with ``--interactive``, opened from a file:// URL in chromium.

Each report inlines the Vega-Lite specs and the vega-embed bundle: every chart must
be drawn (an SVG or canvas in each chart's container) with no console error and
nothing fetched, and the static image with its alt text must stay in the page for
readers without JavaScript. Reports are written by the command line from the
packaged demo data, so these tests need no ../shared/data.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dashboard_server import REPO

pytestmark = pytest.mark.browser
TIMEOUT = 30_000


def write_report(args: list[str], out: Path) -> Path:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lacompare",
            "report",
            *args,
            "--out",
            str(out),
            "--interactive",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.exists()
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """The network report (demo data) and Leeds' profile (the demo store)."""
    from lacompare.demo import run_demo

    folder = tmp_path_factory.mktemp("interactive")
    db = run_demo(folder / "demo").db
    return {
        "network": write_report(["network"], folder / "network.html"),
        "la-profile": write_report(
            ["la-profile", "--authority", "Leeds", "--db", str(db)],
            folder / "leeds.html",
        ),
    }


@pytest.mark.parametrize("name", ["network", "la-profile"])
def test_every_chart_is_drawn_from_file_url(
    page, reports, name, artefacts, console_errors
):
    from playwright.sync_api import expect

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(reports[name].as_uri())
    figures = page.locator("figure.chart")
    count = figures.count()
    assert count >= 1
    # Each figure has its spec and live container, and vega-embed draws into it.
    expect(page.locator("figure.chart script[type='application/json']")).to_have_count(
        count
    )
    drawn = page.locator("figure.chart div.live").locator("svg, canvas")
    expect(drawn).to_have_count(count, timeout=TIMEOUT)
    for i in range(count):
        figure = figures.nth(i)
        expect(figure.locator("div.live")).to_be_visible()
        box = figure.locator("div.live svg, div.live canvas").first.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
        # The static image stays (moved out of sight on screen), with its alt text.
        img = figure.locator("img")
        assert len(img.get_attribute("alt") or "") > 40
        assert "screen-hidden" in (img.get_attribute("class") or "")
    page.screenshot(path=artefacts / f"report-{name}-interactive.png", full_page=True)
    assert console_errors == []
    assert all(u.startswith(("file:", "data:", "blob:", "about:")) for u in requests), (
        requests
    )


def test_without_javascript_the_static_images_remain(browser, reports, artefacts):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(reports["network"].as_uri())
        figures = page.locator("figure.chart")
        assert figures.count() >= 1
        for i in range(figures.count()):
            figure = figures.nth(i)
            img = figure.locator("img")
            assert img.is_visible()
            assert (img.get_attribute("src") or "").startswith("data:image/svg+xml")
            assert img.evaluate("i => i.naturalWidth") > 100  # the image decodes
            assert figure.locator("div.live").is_hidden()
        page.screenshot(path=artefacts / "report-network-nojs.png", full_page=True)
    finally:
        context.close()
